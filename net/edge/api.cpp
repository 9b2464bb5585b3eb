#include "net/edge/api.hpp"

#include <chrono>

#include "net/edge/create_request.hpp"
#include "net/edge/views.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::edge {

namespace {

api_response ok(std::string body, unsigned status = 200) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Upstream's /events page: at most 500 events (client-contract §5).
constexpr int64_t max_events_page = 500;

}  // namespace

api_response error_response(const api_error& e) {
  api_response r;
  r.status = http_status(e.code);
  if (e.code == api_errc::method_not_allowed) {
    r.headers.emplace_back("Allow", e.message);
    r.body = error_body({e.code, "method not allowed; this path takes " + e.message});
  } else {
    r.body = error_body(e);
  }
  return r;
}

api_response api::handle(const route_match& m, const api_request& r) {
  auto [path, query_text] = split_target(r.target);
  query_params q{query_text};
  switch (m.which) {
    case route::health: {
      auto h = backend_.health();
      auto now = google::protobuf::Timestamp{};
      auto t = std::chrono::system_clock::now().time_since_epoch();
      now.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(t).count());
      bool healthy = h.store_ok && h.breakers_closed;
      std::string body = "{\"status\":\"";
      body += healthy ? "healthy" : "degraded";
      body += "\",\"timestamp\":\"" + iso8601(now) + "\",\"running_debates\":" +
              std::to_string(h.running) + "}";
      return ok(std::move(body), healthy ? 200 : 503);
    }
    case route::create_debate: {
      auto spec = parse_create(r.body, backend_.base_spec());
      if (!spec) return error_response(spec.error());
      spec->requested_by = r.principal;
      auto started = backend_.start(std::move(*spec));
      if (!started) return error_response(started.error());
      return ok(created_body(*started, r.ws_base.empty() ? std::string{}
                                                         : r.ws_base + "/ws?debate_id=" + started->id()),
                200);
    }
    case route::list_debates: {
      auto limit = q.integer("limit", 1, defaults::max_list_limit);
      if (!limit) return error_response(limit.error());
      auto offset = q.integer("offset", 0, int64_t{1} << 40);
      if (!offset) return error_response(offset.error());
      auto status = q.get("status").value_or("");
      auto l = static_cast<uint32_t>(limit->value_or(20));
      auto o = static_cast<uint64_t>(offset->value_or(0));
      return list(l, o, status);
    }
    case route::get_debate:
    case route::debate_messages:
      return rendered_or_read(m);
    case route::debate_events: {
      auto since = q.integer("since", 0, UINT32_MAX);
      if (!since) return error_response(since.error());
      auto limit = q.integer("limit", 1, max_events_page);
      if (!limit) return error_response(limit.error());
      auto after = static_cast<uint32_t>(since->value_or(0));
      v1::DebateRecord record;
      // All of them: debate_end's answer is the winner's last text, which may come before `since`.
      auto events = backend_.events(m.id, 0, UINT32_MAX, &record);
      if (!events) return error_response(events.error());
      frame_context ctx;
      ctx.total_rounds = record.spec().rounds();
      if (record.has_receipt()) ctx.receipt_id = record.receipt().receipt_id();
      answer_tracker answers;
      std::vector<std::string> frames;
      uint32_t next = after + 1;
      auto want = static_cast<size_t>(limit->value_or(100));
      for (const auto& e : *events) {
        answers.see(e);
        if (e.seq() <= after || frames.size() >= want) continue;
        // debate_end is reported once the result, receipt and ratings are stored.
        if (e.type() == v1::EventType::debate_end && !record.has_receipt() &&
            record.status() == v1::Status::running)
          break;
        ctx.final_answer = answers.answer_for(e);
        if (e.has_end() && ctx.final_answer.empty())
          if (auto d = backend_.debate(m.id)) ctx.final_answer = d->first.final_answer();  // no winner
        frames.push_back(event_frame(e, ctx));
        next = e.seq() + 1;
      }
      return ok(events_body(m.id, frames, next));
    }
    case route::cancel_debate: {
      if (auto e = backend_.cancel(m.id, r.principal)) return error_response(*e);
      return ok("{\"success\":true,\"debate_id\":\"" + m.id + "\",\"status\":\"cancelling\"}", 202);
    }
    case route::debate_receipt: {
      auto rc = backend_.receipt(m.id);
      if (!rc) return error_response(rc.error());
      return ok(debate::to_json(*rc, true) + "\n");
    }
    case route::get_receipt: {
      // "DR-<debate id>" (our receipt ids) or "debate-<debate id>" (the gauntlet alias).
      std::string_view id = m.id;
      std::string debate_id;
      if (id.substr(0, 3) == "DR-") debate_id = std::string{id.substr(3)};
      else if (id.substr(0, 7) == "debate-") debate_id = std::string{id.substr(7)};
      else debate_id = std::string{id};
      auto rc = backend_.receipt(debate_id);
      if (!rc) return error_response({api_errc::not_found, "no receipt '" + m.id + "'"});
      return ok(receipt_body(*rc));
    }
    case route::leaderboard: {
      auto limit = q.integer("limit", 1, 1000);
      if (!limit) return error_response(limit.error());
      auto board = backend_.leaderboard(q.get("domain").value_or(""));
      if (!board) return error_response(board.error());
      return ok(leaderboard_body(*board, static_cast<size_t>(limit->value_or(50))));
    }
    case route::agents: {
      std::string body = "{\"agents\":[";
      bool first = true;
      for (const auto& a : backend_.agent_catalog()) {
        if (!first) body += ',';
        first = false;
        body += "{\"name\":\"" + a.name + "\",\"provider\":\"" + a.provider + "\",\"option\":\"" +
                a.option + "\",\"spec\":\"" + a.provider + ":" + a.option + "\"}";
      }
      body += "]}";
      return ok(std::move(body));
    }
    case route::cluster_nodes: {
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
      return ok(cluster_body(backend_.cluster(), now));
    }
    case route::drain_node:
    case route::undrain_node: {
      bool on = m.which == route::drain_node;
      if (auto e = backend_.drain(m.id, on)) return error_response(*e);
      return ok("{\"success\":true,\"node\":\"" + m.id + "\",\"drained\":" + (on ? "true" : "false") + "}");
    }
    case route::breakers: return ok(breakers_body(backend_.breakers()));
    case route::compact: {
      auto done = backend_.compact();
      if (!done) return error_response(done.error());
      return ok(compact_body(*done));
    }
    case route::storage: {
      auto r = backend_.storage();
      if (!r) return error_response(r.error());
      return ok(storage_body(*r));
    }
    case route::backup: {
      auto done = backend_.backup(q.get("node").value_or(""));
      if (!done) return error_response(done.error());
      return ok(backup_body(*done));
    }
    default:
      return error_response({api_errc::not_found, "no route for " + std::string{path}});
  }
}

namespace {

/// Whether what was rendered at `version` stays current: a running debate's answer until it is
/// written again, a finished one's for good (version 0 is then all the backend will say).
bool keepable(uint64_t version, v1::Status::Value status) {
  return version != 0 || (status != v1::Status::running && status != v1::Status::status_unspecified);
}

}  // namespace

api_response api::rendered_or_read(const route_match& m) {
  auto key = std::string{m.which == route::get_debate ? "d:" : "m:"} + m.id;
  auto now = body_cache::clock::now();
  // Read before the debate is: what is read then is at least as new as this version.
  auto version = backend_.version(m.id);
  if (auto hit = rendered_.get(key, version, now)) return ok(std::string{*hit.body});
  auto d = backend_.debate(m.id);
  if (!d) return error_response(d.error());
  auto body = m.which == route::get_debate ? debate_body(d->first, d->second)
                                           : messages_body(d->first);
  if (keepable(version, d->second.status())) rendered_.put(key, version, body, now);
  return ok(std::move(body));
}

api_response api::list(uint32_t limit, uint64_t offset, const std::string& status) {
  auto now = body_cache::clock::now();
  // The page's ids, kept while no debate was created or ended: a reverse scan of the index's
  // newest entries costs most of a list while debates write (bench/RESULTS.md "Edge (issue 9)").
  auto page_key = "l:" + std::to_string(limit) + ":" + std::to_string(offset) + ":" + status;
  auto list_version = backend_.list_version();
  std::vector<std::string> ids;
  bool more = false;
  if (auto hit = rendered_.get(page_key, list_version, now)) {
    std::string_view rest{*hit.body};
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      ids.emplace_back(rest.substr(0, nl));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    more = hit.tag != 0;
  } else {
    auto page = backend_.list(limit, offset, status);
    if (!page) return error_response(page.error());
    std::string joined;
    for (const auto& id : page->ids) (joined += id) += '\n';
    if (!joined.empty()) joined.pop_back();
    rendered_.put(page_key, list_version, std::move(joined), now, page->more ? 1 : 0);
    ids = std::move(page->ids);
    more = page->more;
  }
  std::vector<std::shared_ptr<const std::string>> rows;
  rows.reserve(ids.size());
  std::string key;
  for (const auto& id : ids) {
    key.assign("r:").append(id);
    auto version = backend_.version(id);
    auto hit = rendered_.get(key, version, now);
    auto row_status = static_cast<v1::Status::Value>(hit.tag);
    if (!hit) {
      auto record = backend_.record(id);
      if (!record) {
        if (record.error().code == api_errc::not_found) continue;  // expired since the index read
        return error_response(record.error());
      }
      row_status = record->status();
      hit.body = std::make_shared<const std::string>(summary_json(*record));
      if (keepable(version, row_status))
        rendered_.put(key, version, *hit.body, now, static_cast<uint8_t>(row_status));
    }
    // The index and the record are read apart: a debate that ended in between is left out of
    // the page of the status it had.
    if (!status.empty() && sdk_status(row_status) != status) continue;
    rows.push_back(std::move(hit.body));
  }
  return ok(list_body(rows, limit, offset, more, status));
}

}  // namespace aragora::edge
