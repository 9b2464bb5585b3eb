// `aragora doctor`: reads every record of a data dir and says what cannot be read; with
// `--salvage`, opens a store whose WAL is damaged by recovering up to the damage.

#include <filesystem>
#include <iostream>

#include "actors/debate/codec.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/store/persistence.hpp"
#include "aragora/v1/ops.pb.h"
#include "aragora/v1/wire.pb.h"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/cli/terminal.hpp"

namespace aragora::cli {

namespace {

namespace fs = std::filesystem;

/// Whether a payload of `family` parses as what that family stores.
bool parses(storage::cf family, std::string_view key, std::string_view payload) {
  auto parse = [&](google::protobuf::Message&& m) {
    return m.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
  };
  switch (family) {
    case storage::cf::debates: return parse(v1::DebateRecord{});
    case storage::cf::debate_events: return parse(v1::Event{});
    case storage::cf::critiques: return parse(v1::CritiquePattern{});
    case storage::cf::evidence: return parse(v1::EvidenceRecord{});
    case storage::cf::evidence_by_hash: return true;  // the value is an evidence id
    case storage::cf::elo:
      return key.starts_with("match/") ? parse(v1::MatchRecord{}) : parse(v1::AgentRating{});
    case storage::cf::consensus: return parse(v1::ConsensusRecord{});
    case storage::cf::memory_fast:
    case storage::cf::memory_medium:
    case storage::cf::memory_slow:
    case storage::cf::memory_glacial: return parse(v1::MemoryEntry{});
    case storage::cf::audit: return parse(v1::AuditEntry{});
    case storage::cf::debate_index: return payload.empty();  // the header carries the expiry
    case storage::cf::placements: return parse(v1::Placement{});
  }
  return false;
}

/// Copies the WAL files aside before a salvage drops part of them.
std::optional<std::string> back_up_wal(const std::string& dir, std::string& error) {
  auto backup = fs::path{dir} / ("salvaged-wal-" + std::to_string(storage::system_now_s()));
  std::error_code ec;
  fs::create_directories(backup, ec);
  if (ec) {
    error = "cannot create " + backup.string() + ": " + ec.message();
    return std::nullopt;
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".log") continue;
    fs::copy_file(e.path(), backup / e.path().filename(), ec);
    if (ec) {
      error = "cannot copy " + e.path().string() + ": " + ec.message() + "; nothing was changed";
      std::error_code ignored;
      fs::remove_all(backup, ignored);  // a partial copy would only fill the disk
      return std::nullopt;
    }
  }
  return backup.string();
}

/// After a salvage, a debate the store shows as running may be one that had finished (and
/// issued its receipt) in the part of the WAL that was lost: it is marked failed, never re-run.
/// nullopt when that could not be written (the caller must fail: a resume would re-run them).
std::optional<uint64_t> stop_running(storage::store& db,
                                     const std::vector<v1::DebateRecord>& records) {
  uint64_t n = 0;
  storage::write_batch batch;
  auto now = std::chrono::system_clock::now();
  for (const auto& r : records) {
    if (r.status() != v1::Status::running) continue;
    auto failed = r;
    failed.set_status(v1::Status::failed);
    failed.set_error("salvaged: the store's WAL was damaged and this debate's last steps may be "
                     "lost; it is not resumed");
    debate::add_record(batch, failed, db);
    debate::add_audit(batch, db, now, cli_actor(), "debate.salvage", r.spec().id(),
                      failed.error());
    ++n;
  }
  if (n > 0)
    if (auto err = db.write(batch, true)) {
      print_error(*err);
      return std::nullopt;
    }
  return n;
}

}  // namespace

int run_doctor(const doctor_options& o, const config::node_config& cfg) {
  v1::DoctorReport report;
  report.set_data_dir(o.data_dir);
  std::shared_ptr<storage::store> db;
  if (o.salvage) {
    // Only a store is salvaged: a mistyped directory gets nothing written into it.
    std::error_code ec;
    if (!fs::exists(fs::path{o.data_dir} / "CURRENT", ec))
      return print_error(exit_failed, "data_dir_not_found",
                         "no store in " + o.data_dir + " (no CURRENT file); nothing was changed");
    std::string error;
    auto backup = back_up_wal(o.data_dir, error);
    if (!backup) return print_error(exit_failed, "salvage_failed", error);
    report.set_salvage_backup(*backup);
    db = open_store(o.data_dir, cfg, storage::open_mode::existing, /*salvage_wal=*/true);
  } else {
    db = open_store(o.data_dir, cfg, storage::open_mode::read_only);
  }
  if (!db) return exit_failed;
  for (const auto& note : db->open_notes()) report.add_notes(note);

  bool healthy = true;
  for (auto family : storage::all_cfs) {
    auto* check = report.add_families();
    check->set_name(std::string{storage::name(family)});
    storage::scan_report bad;
    uint64_t records = 0;
    auto err = db->scan(
        family, "",
        [&](std::string_view key, std::string_view payload) {
          ++records;
          if (!parses(family, key, payload)) {
            if (bad.unreadable++ == 0) bad.first_key = std::string{key};
            db->note_unreadable(family, key, 1);
          }
          return true;
        },
        &bad);
    check->set_records(records);
    check->set_unreadable(bad.unreadable);
    if (bad.unreadable > 0) check->set_first_unreadable(storage::printable_key(bad.first_key));
    if (err) check->set_error(err->message);
    healthy = healthy && bad.unreadable == 0 && !err;
  }

  std::vector<v1::DebateRecord> records;
  storage::scan_report unreadable;
  (void)debate::load_records(*db, records, unreadable);  // counted above
  report.set_debates(records.size());
  for (const auto& r : records) {
    if (r.status() == v1::Status::running) report.set_running(report.running() + 1);
    auto stored = debate::load_debate(*db, r.spec().id());
    std::string why;
    if (!stored.ok())
      why = stored.error().message;
    else if (!stored.value())
      why = "no record";
    else if (auto rebuilt = debate::rebuild(*stored.value(), cfg.machine);
             auto* e = std::get_if<std::string>(&rebuilt))
      why = *e;
    if (!why.empty()) report.add_unreplayable(r.spec().id() + ": " + why);
  }
  healthy = healthy && report.unreplayable_size() == 0;
  if (db->schema() < 2) {
    // Not damage: an older version wrote the store. `list` reads every record until then.
    report.set_list_index("absent: the store follows schema " + std::to_string(db->schema()) +
                          "; the next command that writes to it builds the index");
  } else if (auto check = debate::check_index(*db); !check.ok()) {
    report.set_list_index("unreadable: " + check.error().message);
    healthy = false;
  } else if (check.value().missing > 0 || check.value().stale > 0) {
    const auto& c = check.value();
    report.set_list_index(std::to_string(c.missing) + " missing and " + std::to_string(c.stale) +
                          " stale entries (first: " + c.first_problem + ")");
    healthy = false;
  } else {
    report.set_list_index("complete: " + std::to_string(check.value().entries) + " entries");
  }
  if (o.salvage) {
    auto stopped = stop_running(*db, records);
    if (!stopped)
      return print_error(exit_failed, "salvage_failed",
                         "the running debates could not be marked failed; do not resume this "
                         "store before 'aragora doctor --salvage' succeeds");
    report.set_salvaged(*stopped);
    report.set_running(report.running() - report.salvaged());
  }
  report.set_healthy(healthy);

  if (o.json) {
    std::cout << debate::to_json(report) << "\n";
  } else {
    std::cout << "Data dir " << o.data_dir << ": " << report.debates() << " debates ("
              << report.running() << " running)\n";
    for (const auto& n : report.notes()) std::cout << "  note: " << printable(n) << "\n";
    for (const auto& f : report.families()) {
      std::printf("  %-17s %10llu records", f.name().c_str(),
                  static_cast<unsigned long long>(f.records()));
      if (f.unreadable() > 0)
        std::printf(", %llu UNREADABLE (first key '%s')",
                    static_cast<unsigned long long>(f.unreadable()),
                    printable(f.first_unreadable()).c_str());
      if (!f.error().empty()) std::printf(", SCAN FAILED: %s", printable(f.error()).c_str());
      std::printf("\n");
    }
    for (const auto& u : report.unreplayable())
      std::cout << "  unreplayable: " << printable(u) << "\n";
    std::cout << "  list index: " << printable(report.list_index()) << "\n";
    if (o.salvage)
      std::cout << "Salvaged: the damaged WAL was copied to " << report.salvage_backup() << "; "
                << report.salvaged() << " running debate(s) marked failed (not resumed)\n";
    std::cout << (healthy ? "Healthy: every record reads and every debate log replays\n"
                          : "PROBLEMS found: unreadable records are kept as they are; see "
                            "docs/operations.md\n");
  }
  return healthy ? exit_ok : exit_failed;
}

}  // namespace aragora::cli
