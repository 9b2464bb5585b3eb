// `aragora list`, `aragora show ID`, `aragora resume`: the debates a data dir holds.

#include <caf/all.hpp>
#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "actors/debate/codec.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/cli/terminal.hpp"
#include "runtime/base/ids/ids.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::cli {

namespace {

std::string time_text(const google::protobuf::Timestamp& t) {
  char buf[32];
  std::time_t secs = t.seconds();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int run_list(const list_options& o, const config::node_config& cfg) {
  auto query = debate::make_query(o.limit.value_or(defaults::list_limit), o.offset.value_or(0),
                                  o.status);
  if (!query) return print_error(exit_usage, query.error().code_name(), query.error().message);
  const debate::list_query& q = *query;
  auto db = open_store(o.data_dir, cfg, storage::open_mode::read_only, false,
                       {debate::list_families.begin(), debate::list_families.end()});
  if (!db) return exit_failed;
  // What can be read is listed even when the rest cannot; the damage is reported (stderr, exit
  // 1), never hidden.
  debate::list_page page;
  auto damage = debate::list_debates(*db, q, page);
  if (!damage && page.unreadable.unreadable > 0)
    damage = storage::unreadable_error(storage::cf::debates, page.unreadable);
  if (page.scanned)
    std::cerr << "note: " << o.data_dir << " has no list index (written by schema "
              << db->schema() << "): all " << page.scanned_records
              << " records were read for this page; the next command that writes to it (ask, "
                 "resume, benchmark) builds the index\n";
  int rc = damage ? print_error(*damage) : exit_ok;
  v1::DebateList list;
  for (const auto& r : page.records) {
    auto* e = list.add_debates();
    e->set_id(r.spec().id());
    e->set_question(r.spec().question());
    e->set_status(std::string{debate::to_string(debate::list_status_of(r.status()))});
    if (r.status() != v1::Status::running) e->set_verdict(v1::Verdict::Value_Name(r.verdict()));
    *e->mutable_created_at() = r.created_at();
  }
  list.set_limit(q.limit);
  list.set_offset(q.offset);
  list.set_status(o.status);
  list.set_more(page.more);
  if (o.json) {
    std::cout << debate::to_json(list) << "\n";
    return rc;
  }
  if (list.debates_size() == 0) {
    if (q.offset > 0 || q.status)
      std::cout << "No " << (q.status ? o.status + " " : "") << "debates"
                << (q.offset > 0 ? " after the newest " + std::to_string(q.offset) : "")
                << " in " << o.data_dir << "\n";
    else
      std::cout << "No debates in " << o.data_dir << "\n";
    return rc;
  }
  std::printf("%-26s  %-19s  %-9s  %-24s  %s\n", "ID", "CREATED (UTC)", "STATUS", "VERDICT",
              "QUESTION");
  for (const auto& e : list.debates())
    std::printf("%-26s  %-19s  %-9s  %-24s  %s\n", printable(e.id()).c_str(),
                time_text(e.created_at()).c_str(), e.status().c_str(), e.verdict().c_str(),
                excerpt(e.question(), 60).c_str());
  if (page.more)
    std::printf("(more: --offset %llu)\n",
                static_cast<unsigned long long>(q.offset) + q.limit);
  return rc;
}

int run_show(const history_options& o, const config::node_config& cfg) {
  // Old stores' 16 hex digits and the 26-character ids both pass; a path or key piece does not.
  if (!ids::valid_debate_id(o.id))
    return print_error(exit_usage, "bad_debate_id",
                       "'" + o.id + "' is not a debate id: 1 to 64 of A-Z a-z 0-9 _ - "
                       "(see 'aragora list')");
  auto db = open_store(o.data_dir, cfg, storage::open_mode::read_only);
  if (!db) return exit_failed;
  auto stored = debate::load_debate(*db, o.id);
  if (!stored.ok()) return print_error(stored.error());
  if (!stored.value())
    return print_error(exit_failed, "debate_not_found",
                       "no debate '" + o.id + "' in " + o.data_dir);
  const auto& d = *stored.value();
  auto rebuilt = debate::rebuild(d, cfg.machine);
  if (auto* why = std::get_if<std::string>(&rebuilt))
    return print_error(exit_failed, "unreadable_log", "debate " + o.id + ": " + *why);
  const auto& m = *std::get<std::unique_ptr<debate::debate_machine>>(rebuilt);
  v1::DebateResult result;
  debate::sealed_receipt receipt;
  const debate::sealed_receipt* sealed = nullptr;
  if (d.record.has_receipt()) {
    receipt.id = d.record.receipt().receipt_id();
    receipt.sha256 = d.record.receipt().sha256();
    sealed = &receipt;
  }
  debate::fill_result(m, sealed, result);
  if (o.json) {
    std::cout << debate::to_json(result) << "\n";
    return exit_ok;
  }
  terminal_printer printer{std::cout, stdout_wants_color()};
  for (const auto& e : d.events) printer.print(e);
  if (m.finished())
    printer.print_result(result);
  else
    std::cout << "\nStill running: " << m.transcript().size() << " messages so far, resume with "
              << "'aragora resume --data-dir " << o.data_dir << "'\n";
  return exit_ok;
}

int run_resume(const history_options& o, const config::node_config& cfg) {
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  auto db = open_store(o.data_dir, cfg, storage::open_mode::existing);
  if (!db) return exit_failed;
  v1::ResumeReport report;
  {
    node::local_node node{cfg, *key, db};
    signal_action_scope on_signal{[&node](int signo) {
                                    (void)node.cancel_all(
                                        std::string{"interrupted by "} + signal_name(signo),
                                        "signal");
                                  }};
    caf::scoped_actor self{node.system()};
    auto resumed = node.resume_unfinished(self, debate::finish_report::summary, cli_actor());
    for (const auto& id : resumed.ids) report.add_debates(id);
    for (const auto& [id, why] : resumed.unreadable) report.add_unreadable(id + ": " + why);
    report.set_resumed(static_cast<uint32_t>(resumed.ids.size()));
    // Progress for a person (and the moment a Ctrl-C cancels debates rather than the start-up).
    if (!o.json && !resumed.ids.empty())
      std::cout << "Resuming " << resumed.ids.size() << " unfinished debate" << (resumed.ids.size() == 1 ? "" : "s")
                << "..." << std::endl;
    size_t received = 0;
    self->receive_for(received, resumed.ids.size())([&](debate::debate_finished& f) {
      if (debate::ended_badly(f.summary.status))
        report.set_failed(report.failed() + 1);
      else
        report.set_completed(report.completed() + 1);
      report.set_agent_calls_made(report.agent_calls_made() + f.summary.calls_sent);
    });
  }
  if (o.json) {
    std::cout << debate::to_json(report) << "\n";
  } else {
    std::cout << "Resumed " << report.resumed() << " unfinished debate"
              << (report.resumed() == 1 ? "" : "s") << " from " << o.data_dir << ": "
              << report.completed() << " completed, " << report.failed() << " failed; "
              << report.agent_calls_made() << " agent calls made after the resume\n";
    for (const auto& u : report.unreadable())
      std::cout << "  unreadable: " << printable(u) << "\n";
  }
  // Something that could not be resumed is a failure the caller must see.
  return process_signals().exit_code(report.unreadable_size() > 0 ? exit_failed : exit_ok);
}

std::string cli_actor() {
  const char* user = std::getenv("USER");
  // It is stored in the audit log: text that is not UTF-8 would make the entry unreadable.
  if (!user || !*user || !text::is_valid_utf8(user)) {
    const auto* pw = getpwuid(geteuid());
    user = pw ? pw->pw_name : nullptr;
  }
  return std::string{"cli:"} + (user && *user && text::is_valid_utf8(user) ? user : "unknown");
}

int run_audit(const history_options& o, const config::node_config& cfg) {
  auto db = open_store(o.data_dir, cfg, storage::open_mode::read_only);
  if (!db) return exit_failed;
  auto entries = debate::load_audit(*db);
  if (!entries.ok()) return print_error(entries.error());
  v1::AuditLog log;
  for (auto& e : entries.value()) *log.add_entries() = std::move(e);
  if (o.json) {
    std::cout << debate::to_json(log) << "\n";
    return exit_ok;
  }
  for (const auto& e : log.entries())
    std::printf("%s  %-16s  %-14s  %-26s  %s\n", time_text(e.at()).c_str(),
                printable(e.actor()).c_str(), printable(e.action()).c_str(),
                printable(e.debate_id()).c_str(), excerpt(e.detail(), 60).c_str());
  return exit_ok;
}

int run_leaderboard(const leaderboard_options& o, const config::node_config& cfg) {
  auto db = open_store(o.data_dir, cfg, storage::open_mode::read_only);
  if (!db) return exit_failed;
  ranking::elo_params p{cfg.elo_initial, cfg.elo_k, cfg.calibration_min};
  auto table = ranking::load_ratings(*db);
  if (!table.ok()) return print_error(table.error());
  // Debates that ended while no ranking ran (a crash) are counted in this answer. If they cannot
  // all be read, the stored ratings are still shown, and the damage reported (exit 1).
  int rc = exit_ok;
  if (auto r = ranking::reconcile(*db, table.value(), p); !r.ok()) rc = print_error(r.error());
  auto board = ranking::leaderboard(table.value(), o.domain, p);
  if (o.json) {
    std::cout << debate::to_json(board) << "\n";
    return rc;
  }
  if (board.agents_size() == 0) {
    std::cout << "No rated agents yet"
              << (o.domain.empty() ? "" : " in domain " + printable(o.domain))
              << "\n";
    return rc;
  }
  std::printf("%-4s  %-20s  %8s  %7s  %5s  %6s  %5s  %11s\n", "RANK", "AGENT", "ELO", "DEBATES",
              "WINS", "LOSSES", "DRAWS", "CALIBRATION");
  int rank = 0;
  for (const auto& a : board.agents()) {
    double elo = o.domain.empty() ? a.elo() : a.domain_elo().at(o.domain);
    std::printf("%-4d  %-20s  %8.1f  %7u  %5u  %6u  %5u  %11.3f\n", ++rank,
                printable(a.name()).c_str(), elo,
                a.debates(), a.wins(), a.losses(), a.draws(), a.calibration().score());
  }
  return rc;
}

}  // namespace aragora::cli
