#include "actors/debate/store/list_index.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "actors/debate/codec.hpp"
#include "actors/debate/store/persistence.hpp"
#include "storage/record.hpp"

namespace aragora::debate {

namespace {

constexpr std::string_view time_prefix = "time/";
constexpr std::string_view status_prefix = "status/";
constexpr size_t time_bytes = 8;
/// Index entries written per batch while a store is upgraded: bounded memory, few writes.
constexpr size_t upgrade_batch_records = 4096;

/// The id at the end of an index key, nullopt for a key of no known shape.
std::optional<std::string_view> id_of(std::string_view key) {
  size_t head = 0;
  if (key.starts_with(time_prefix)) {
    head = time_prefix.size();
  } else if (key.starts_with(status_prefix)) {
    auto slash = key.find('/', status_prefix.size());
    if (slash == std::string_view::npos) return std::nullopt;
    head = slash + 1;
  } else {
    return std::nullopt;
  }
  if (key.size() <= head + time_bytes) return std::nullopt;
  return key.substr(head + time_bytes);
}

/// The record's entries, without moving anything.
void put_entries(storage::write_batch& batch, const v1::DebateRecord& record, int64_t expiry_s) {
  const auto ms = created_ms(record);
  const auto& id = record.spec().id();
  batch.put(storage::cf::debate_index, index_key(std::nullopt, ms, id), "", expiry_s);
  batch.put(storage::cf::debate_index, index_key(list_status_of(record.status()), ms, id), "",
            expiry_s);
}

void count_unreadable(storage::store& db, storage::cf family, std::string_view key,
                      storage::scan_report& report) {
  if (report.unreadable++ == 0) report.first_key = std::string{key};
  db.note_unreadable(family, key, 1);
}

/// Reads the page's records by id; those gone since (expired) or no longer of the status asked
/// for (an entry that has not moved yet) are left out.
std::optional<storage::store_error> read_records(storage::store& db, const list_query& q,
                                                 const std::vector<std::string>& ids,
                                                 list_page& out) {
  for (const auto& id : ids) {
    auto value = db.get(storage::cf::debates, id);
    if (!value.ok()) return value.error();
    if (!value.value()) continue;
    v1::DebateRecord r;
    if (!r.ParseFromString(*value.value())) {
      count_unreadable(db, storage::cf::debates, id, out.unreadable);
      continue;
    }
    if (q.status && list_status_of(r.status()) != *q.status) continue;
    out.records.push_back(std::move(r));
  }
  return std::nullopt;
}

std::optional<storage::store_error> list_indexed(storage::store& db, const list_query& q,
                                                 list_page& out) {
  const auto prefix = index_prefix(q.status);
  std::vector<std::string> ids;
  ids.reserve(std::min<size_t>(q.limit, defaults::max_list_limit));
  uint64_t skipped = 0;
  auto err = db.scan_records(
      storage::cf::debate_index, prefix, storage::scan_order::descending,
      [&](std::string_view key, const storage::record_view&) {
        auto id = id_of(key);
        if (!id) {
          count_unreadable(db, storage::cf::debate_index, key, out.unreadable);
          return true;
        }
        if (skipped < q.offset) {
          ++skipped;
          return true;
        }
        if (ids.size() == q.limit) {
          out.more = true;
          return false;
        }
        ids.emplace_back(*id);
        return true;
      },
      &out.unreadable);
  if (q.ids_only) {
    out.ids = std::move(ids);
    return err;
  }
  // What the index gave is still read and listed; the error says why it may be incomplete.
  auto read = read_records(db, q, ids, out);
  return err ? err : read;
}

/// A store without the index: every record is read, and only its time, id and status kept.
std::optional<storage::store_error> list_scanned(storage::store& db, const list_query& q,
                                                 list_page& out) {
  struct row {
    uint64_t ms;
    std::string id;
  };
  std::vector<row> rows;
  out.scanned = true;
  v1::DebateRecord r;
  auto err = db.scan(
      storage::cf::debates, "",
      [&](std::string_view id, std::string_view payload) {
        ++out.scanned_records;
        if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          count_unreadable(db, storage::cf::debates, id, out.unreadable);
          return true;
        }
        if (!q.status || list_status_of(r.status()) == *q.status)
          rows.push_back({created_ms(r), std::string{id}});
        return true;
      },
      &out.unreadable);
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return a.ms != b.ms ? a.ms > b.ms : a.id > b.id;
  });
  std::vector<std::string> ids;
  for (uint64_t i = q.offset; i < rows.size() && ids.size() < q.limit; ++i)
    ids.push_back(std::move(rows[i].id));
  out.more = rows.size() > q.offset && rows.size() - q.offset > q.limit;
  if (q.ids_only) {
    out.ids = std::move(ids);
    return err;
  }
  auto read = read_records(db, q, ids, out);
  return err ? err : read;
}

}  // namespace

std::string_view to_string(list_status s) {
  switch (s) {
    case list_status::running: return "running";
    case list_status::completed: return "completed";
    case list_status::failed: return "failed";
    case list_status::cancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<list_status> parse_list_status(std::string_view s) {
  for (auto x : all_list_statuses)
    if (to_string(x) == s) return x;
  return std::nullopt;
}

list_status list_status_of(v1::Status::Value s) {
  switch (s) {
    case v1::Status::running: return list_status::running;
    case v1::Status::failed: return list_status::failed;
    case v1::Status::cancelled: return list_status::cancelled;
    default: return list_status::completed;
  }
}

std::string index_prefix(std::optional<list_status> status) {
  if (!status) return std::string{time_prefix};
  std::string p{status_prefix};
  p += to_string(*status);
  p.push_back('/');
  return p;
}

std::string index_key(std::optional<list_status> status, uint64_t ms, std::string_view id) {
  auto key = index_prefix(status);
  key.reserve(key.size() + time_bytes + id.size());
  storage::append_be64(key, ms);
  key.append(id);
  return key;
}

uint64_t created_ms(const v1::DebateRecord& record) {
  auto us = timestamp_micros(record.created_at());
  return us > 0 ? static_cast<uint64_t>(us / 1000) : 0;
}

void add_index(storage::write_batch& batch, const v1::DebateRecord& record, int64_t expiry_s) {
  put_entries(batch, record, expiry_s);
  if (list_status_of(record.status()) != list_status::running)
    batch.erase(storage::cf::debate_index,
                index_key(list_status::running, created_ms(record), record.spec().id()));
}

std::string_view to_string(query_errc x) {
  switch (x) {
    case query_errc::bad_limit: return "bad_limit";
    case query_errc::bad_offset: return "bad_offset";
    case query_errc::bad_status: return "bad_status";
  }
  return "unknown";
}

expected<list_query, query_errc> make_query(int64_t limit, int64_t offset,
                                            std::string_view status) {
  if (limit < 1 || limit > int64_t{defaults::max_list_limit})
    return query_error{query_errc::bad_limit, "the limit must be within 1.." +
                                        std::to_string(defaults::max_list_limit) + ", got " +
                                        std::to_string(limit)};
  if (offset < 0 || offset > int64_t{UINT32_MAX})
    return query_error{query_errc::bad_offset, "the offset must be within 0.." +
                                         std::to_string(UINT32_MAX) + ", got " +
                                         std::to_string(offset)};
  std::optional<list_status> s;
  if (!status.empty()) {
    s = parse_list_status(status);
    if (!s) {
      std::string known;
      for (auto x : all_list_statuses)
        known += (known.empty() ? "" : ", ") + std::string{to_string(x)};
      return query_error{query_errc::bad_status,
                         "unknown status '" + std::string{status} + "'; use one of " + known};
    }
  }
  return list_query{static_cast<uint32_t>(limit), static_cast<uint32_t>(offset), s};
}

std::optional<storage::store_error> list_debates(storage::store& db, const list_query& q,
                                                 list_page& out) {
  return db.schema() >= 2 ? list_indexed(db, q, out) : list_scanned(db, q, out);
}

storage::result<std::string> upgrade_store(storage::store& db, uint32_t from_version) {
  if (from_version >= 2) return std::string{};
  const auto start = std::chrono::steady_clock::now();
  // Entries a writer of this version left in a store it could not upgrade (opened without the
  // upgrade): a running entry whose debate has finished since is the one thing that can be stale.
  std::vector<std::string> running_before;
  const auto running = index_prefix(list_status::running);
  auto err = db.scan(storage::cf::debate_index, running,
                     [&](std::string_view key, std::string_view) {
                       running_before.emplace_back(key);
                       return true;
                     });
  if (err) return *err;

  // Every record gets its entries; a finished one deletes no running entry here (there is none
  // to delete, and a tombstone per debate would slow every scan of the running status).
  std::unordered_set<std::string> running_now;
  storage::write_batch batch;
  uint64_t indexed = 0;
  storage::scan_report unreadable;
  std::optional<storage::store_error> write_err;
  v1::DebateRecord r;
  err = db.scan_records(
      storage::cf::debates, "", storage::scan_order::ascending,
      [&](std::string_view id, const storage::record_view& v) {
        if (!r.ParseFromArray(v.payload.data(), static_cast<int>(v.payload.size()))) {
          // Its time is unknown: it sorts as the oldest, so the last page meets it and reports
          // it, as every unreadable record is reported, instead of leaving it out in silence.
          count_unreadable(db, storage::cf::debates, id, unreadable);
          batch.put(storage::cf::debate_index, index_key(std::nullopt, 0, id), "", v.expiry_s);
          return true;
        }
        put_entries(batch, r, v.expiry_s);
        if (list_status_of(r.status()) == list_status::running)
          running_now.insert(index_key(list_status::running, created_ms(r), r.spec().id()));
        ++indexed;
        if (batch.size() >= 2 * upgrade_batch_records) {
          write_err = db.write(batch, false);
          batch = {};
          if (write_err) return false;
        }
        return true;
      },
      &unreadable);
  if (write_err) return *write_err;
  if (err) return *err;
  for (auto& key : running_before)
    if (!running_now.count(key)) batch.erase(storage::cf::debate_index, std::move(key));
  // Synced: the marker that says "indexed" is written (synced) after this.
  if (auto e = db.write(batch, true)) return *e;

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  std::string note = "upgraded from schema " + std::to_string(from_version) +
                     ": built the list index of " + std::to_string(indexed) + " debate" +
                     (indexed == 1 ? "" : "s") + " in " + std::to_string(ms) + " ms";
  if (unreadable.unreadable > 0)
    note += "; " + std::to_string(unreadable.unreadable) +
            " record(s) do not parse (first '" + storage::printable_key(unreadable.first_key) +
            "'): listed last, as unreadable; run 'aragora doctor'";
  return note;
}

storage::result<index_check> check_index(storage::store& db) {
  index_check c;
  std::unordered_set<std::string> entries;
  storage::scan_report bad_entries;  // no valid header: the family check reports them
  auto err = db.scan(
      storage::cf::debate_index, "",
      [&](std::string_view key, std::string_view) {
        entries.emplace(key);
        ++c.entries;
        return true;
      },
      &bad_entries);
  if (err) return *err;
  auto problem = [&](std::string text) {
    if (c.first_problem.empty()) c.first_problem = std::move(text);
  };
  std::unordered_set<std::string> unreadable_ids;
  v1::DebateRecord r;
  storage::scan_report bad_records;  // the family check reports them
  err = db.scan(
      storage::cf::debates, "",
      [&](std::string_view id, std::string_view payload) {
        if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          unreadable_ids.emplace(id);
          return true;
        }
        const auto ms = created_ms(r);
        const std::optional<list_status> all, own{list_status_of(r.status())};
        for (const auto& status : {all, own}) {
          if (entries.erase(index_key(status, ms, id))) continue;
          ++c.missing;
          problem("debate '" + storage::printable_key(id) + "' has no " +
                  (status ? std::string{to_string(*status)} + " entry" : "time entry"));
        }
        return true;
      },
      &bad_records);
  if (err) return *err;
  for (const auto& key : entries) {
    auto id = id_of(key);
    if (id && unreadable_ids.count(std::string{*id})) continue;  // its record is reported
    ++c.stale;
    problem("entry '" + storage::printable_key(key) + "' matches no record");
  }
  return c;
}

std::vector<v1::DebateRecord> running_records(
    storage::store& db, std::vector<std::pair<std::string, std::string>>& unreadable) {
  std::vector<v1::DebateRecord> out;
  storage::scan_report damaged;
  list_query q;
  q.status = list_status::running;
  q.limit = defaults::max_list_limit;
  for (;;) {
    list_page page;
    auto err = list_debates(db, q, page);
    if (page.scanned) {  // no index: every record, as before schema 2
      out.clear();
      damaged = {};
      err = load_records(db, out, damaged);
      std::erase_if(out, [](const auto& r) { return r.status() != v1::Status::running; });
      if (err) unreadable.emplace_back("*", err->message);
      break;
    }
    damaged.unreadable += page.unreadable.unreadable;
    if (damaged.first_key.empty()) damaged.first_key = page.unreadable.first_key;
    for (auto& r : page.records) out.push_back(std::move(r));
    if (err) {
      unreadable.emplace_back("*", err->message);
      break;
    }
    // Resuming does not change a running debate's entry, so the next page starts right here.
    if (!page.more || q.offset > UINT32_MAX - q.limit) break;
    q.offset += q.limit;
  }
  if (damaged.unreadable > 0)
    unreadable.emplace_back("*",
                            storage::unreadable_error(storage::cf::debates, damaged).message);
  return out;
}

}  // namespace aragora::debate
