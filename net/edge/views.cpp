#include "net/edge/views.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <cctype>
#include <ctime>

#include "actors/debate/codec.hpp"
#include "net/edge/backend.hpp"
#include "aragora/v1/wire.pb.h"
#include "runtime/base/text/utf8.hpp"

namespace aragora::edge {

namespace json = boost::json;

std::string iso8601(const google::protobuf::Timestamp& t) {
  std::time_t secs = t.seconds();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", t.nanos() / 1'000'000);
  return buf;
}

namespace {

double epoch_seconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + t.nanos() / 1e9;
}

json::array names_of(const google::protobuf::RepeatedPtrField<v1::AgentSpec>& agents) {
  json::array out;
  for (const auto& a : agents) out.emplace_back(a.name());
  return out;
}

std::string_view protocol_name(v1::Protocol::Value p) { return v1::Protocol::Value_Name(p); }

std::string consensus_name(v1::ConsensusMethod::Value c) {
  return v1::ConsensusMethod::Value_Name(c);
}

std::string outcome_name(v1::Status::Value s) { return v1::Status::Value_Name(s); }

json::object message_object(const v1::Message& m) {
  json::object o;
  o["agent"] = m.agent();
  o["role"] = role_of(m.phase());
  o["phase"] = v1::Phase::Value_Name(m.phase());
  o["round"] = m.round();
  o["content"] = m.text();
  if (!m.target().empty()) o["target"] = m.target();
  if (m.has_timestamp()) o["timestamp"] = iso8601(m.timestamp());
  if (m.has_critique()) {
    json::array issues;
    for (const auto& i : m.critique().issues()) issues.emplace_back(i);
    o["issues"] = std::move(issues);
    o["severity"] = m.critique().severity() / 10.0;
  }
  if (m.has_vote()) {
    o["choice"] = m.vote().choice();
    o["confidence"] = m.vote().confidence();
  }
  return o;
}

/// The fields a list entry and a debate share.
json::object summary_object(const v1::DebateRecord& r) {
  json::object o;
  const auto& spec = r.spec();
  o["id"] = spec.id();
  o["debate_id"] = spec.id();
  o["task"] = spec.question();
  o["question"] = spec.question();
  o["status"] = sdk_status(r.status());
  o["outcome"] = outcome_name(r.status());
  o["agents"] = names_of(spec.agents());
  o["rounds"] = spec.rounds();
  o["rounds_used"] = r.rounds_used();
  o["protocol"] = protocol_name(spec.protocol());
  o["consensus_method"] = consensus_name(spec.consensus());
  o["consensus_reached"] = r.status() == v1::Status::consensus_reached;
  o["confidence"] = r.confidence();
  if (r.status() != v1::Status::running) o["verdict"] = verdict_name(r.verdict());
  if (!r.winner().empty()) o["winner"] = r.winner();
  o["created_at"] = iso8601(r.created_at());
  if (r.has_completed_at()) o["completed_at"] = iso8601(r.completed_at());
  if (!r.error().empty()) o["error"] = r.error();
  if (r.status() == v1::Status::running) o["in_progress"] = true;
  if (r.has_receipt()) o["receipt_id"] = r.receipt().receipt_id();
  return o;
}

}  // namespace

std::string_view sdk_status(v1::Status::Value s) {
  switch (s) {
    case v1::Status::running: return "running";
    case v1::Status::failed: return "failed";
    case v1::Status::cancelled: return "cancelled";
    case v1::Status::status_unspecified: return "pending";
    default: return "completed";
  }
}

std::string_view role_of(v1::Phase::Value p) {
  switch (p) {
    case v1::Phase::propose: return "proposer";
    case v1::Phase::critique: return "critic";
    case v1::Phase::revise: return "reviser";
    case v1::Phase::vote: return "voter";
    case v1::Phase::judge: return "judge";
    default: return "agent";
  }
}

std::string verdict_name(v1::Verdict::Value v) {
  if (v == v1::Verdict::verdict_unspecified) return "";
  auto s = v1::Verdict::Value_Name(v);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string error_body(const api_error& e, std::optional<uint32_t> retry_after_s) {
  json::object o;
  // Messages quote the request (a path, a parameter, a field), which need not be UTF-8.
  o["error"] = e.message.empty() ? std::string{to_string(e.code)} : text::utf8_scrub(e.message);
  o["code"] = to_string(e.code);
  if (retry_after_s) o["retry_after"] = *retry_after_s;
  return json::serialize(o);
}

std::string created_body(const v1::DebateSpec& spec, std::string_view ws_url) {
  json::object o;
  o["success"] = true;
  o["debate_id"] = spec.id();
  o["id"] = spec.id();
  o["status"] = "created";
  o["task"] = spec.question();
  o["agents"] = names_of(spec.agents());
  o["rounds"] = spec.rounds();
  o["protocol"] = protocol_name(spec.protocol());
  o["consensus"] = consensus_name(spec.consensus());
  if (!ws_url.empty()) o["websocket_url"] = text::utf8_scrub(ws_url);  // Host need not be UTF-8
  return json::serialize(o);
}

std::string debate_body(const v1::DebateResult& r, const v1::DebateRecord& record) {
  auto o = summary_object(record);
  o["final_answer"] = r.final_answer();
  o["conclusion"] = r.final_answer();
  o["agreement"] = r.confidence();
  o["method_used"] = r.method_used();
  o["duration_seconds"] = r.duration_ms() / 1000.0;
  json::array supporting, dissenting;
  for (const auto& v : r.votes())
    (v.choice() == r.winner() ? supporting : dissenting).emplace_back(v.agent());
  json::object consensus;
  consensus["reached"] = r.consensus_reached();
  consensus["confidence"] = r.confidence();
  consensus["agreement"] = r.confidence();
  consensus["final_answer"] = r.final_answer();
  consensus["conclusion"] = r.final_answer();
  consensus["winner"] = r.winner();
  consensus["method"] = r.method_used();
  consensus["supporting_agents"] = std::move(supporting);
  consensus["dissenting_agents"] = std::move(dissenting);
  o["consensus"] = std::move(consensus);
  json::array failed;
  for (const auto& a : r.agents_failed()) failed.emplace_back(a);
  o["agents_failed"] = std::move(failed);
  json::array messages;
  for (const auto& m : r.messages()) messages.push_back(message_object(m));
  o["messages"] = std::move(messages);
  o["agent_calls"] = r.agent_calls();
  o["failed_calls"] = r.failed_calls();
  return json::serialize(o);
}

std::string summary_json(const v1::DebateRecord& record) {
  return json::serialize(summary_object(record));
}

std::string list_body(const std::vector<std::shared_ptr<const std::string>>& rows, uint32_t limit,
                      uint64_t offset, bool more, std::string_view status) {
  // The rows arrive rendered (and mostly cached): the page is assembled around them.
  size_t bytes = 160 + status.size();
  for (const auto& r : rows) bytes += 2 * (r->size() + 1);
  std::string array;
  array.reserve(bytes / 2);
  array += '[';
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) array += ',';
    array += *rows[i];
  }
  array += ']';
  std::string out;
  out.reserve(bytes);
  auto n = rows.size();
  out += "{\"count\":" + std::to_string(n) + ",\"limit\":" + std::to_string(limit) +
         ",\"offset\":" + std::to_string(offset) + ",\"has_more\":" + (more ? "true" : "false");
  // What is known without counting every debate: the total is exact on the last page only.
  if (!more) out += ",\"total\":" + std::to_string(offset + n);
  if (!status.empty()) out += ",\"status\":" + json::serialize(json::string{status});
  // The Python client's paginator reads `items`; the others `debates`.
  out += ",\"items\":";
  out += array;
  out += ",\"debates\":";
  out += array;
  out += '}';
  return out;
}

std::string messages_body(const v1::DebateResult& r) {
  json::array messages;
  for (const auto& m : r.messages()) messages.push_back(message_object(m));
  json::object o;
  o["debate_id"] = r.id();
  o["count"] = messages.size();
  o["messages"] = std::move(messages);
  return json::serialize(o);
}

void answer_tracker::see(const v1::Event& e) {
  if (!e.has_message()) return;
  const auto& m = e.message();
  if (m.phase() == v1::Phase::propose || m.phase() == v1::Phase::revise)
    latest_[m.agent()] = m.text();
  else if (m.phase() == v1::Phase::judge)
    judged_ = m.text();
}

std::string answer_tracker::answer(std::string_view winner) const {
  if (!judged_.empty()) return judged_;
  if (auto it = latest_.find(std::string{winner}); it != latest_.end()) return it->second;
  return {};
}

std::string answer_tracker::answer_for(const v1::Event& e) const {
  if (e.has_consensus()) return e.consensus().reached() ? answer(e.consensus().winner()) : std::string{};
  if (e.has_end()) return answer(e.end().winner());
  return {};
}

std::string_view event_type_name(v1::EventType::Value t) {
  switch (t) {
    case v1::EventType::debate_start: return "debate_start";
    case v1::EventType::round_start: return "round_start";
    case v1::EventType::agent_message: return "agent_message";
    case v1::EventType::critique: return "critique";
    case v1::EventType::vote: return "vote";
    case v1::EventType::consensus: return "consensus";
    case v1::EventType::debate_end: return "debate_end";
    case v1::EventType::token_delta: return "token_delta";
    case v1::EventType::agent_error: return "agent_error";
    case v1::EventType::heartbeat: return "heartbeat";
    case v1::EventType::convergence: return "convergence";
    default: return "message";
  }
}

std::string binary_event_frame(const v1::Event& e) {
  v1::Envelope env;
  *env.mutable_event() = e;
  return env.SerializeAsString();
}

std::string binary_subscribed_frame(const std::string& debate_id, uint32_t last_seq) {
  v1::Envelope env;
  env.mutable_subscribed()->set_debate_id(debate_id);
  env.mutable_subscribed()->set_last_seq(last_seq);
  return env.SerializeAsString();
}

std::string binary_error_frame(std::string_view code, std::string_view message,
                               std::string_view debate_id) {
  v1::Envelope env;
  env.mutable_error()->set_code(std::string{code});
  env.mutable_error()->set_message(std::string{message});
  env.mutable_error()->set_debate_id(std::string{debate_id});
  return env.SerializeAsString();
}

std::string binary_notice_frame(std::string_view kind, std::string_view debate_id,
                                std::string_view data_json) {
  v1::Envelope env;
  env.mutable_notice()->set_kind(std::string{kind});
  env.mutable_notice()->set_debate_id(std::string{debate_id});
  env.mutable_notice()->set_data(std::string{data_json});
  return env.SerializeAsString();
}

std::string event_frame(const v1::Event& e, const frame_context& ctx) {
  json::object data;
  data["debate_id"] = e.debate_id();
  if (e.round() > 0) {
    data["round"] = e.round();
    data["round_number"] = e.round();
  }
  if (!e.agent().empty()) data["agent"] = e.agent();
  switch (e.payload_case()) {
    case v1::Event::kStart: {
      const auto& s = e.start();
      data["task"] = s.question();
      data["question"] = s.question();
      data["agents"] = names_of(s.agents());
      data["total_rounds"] = s.rounds();
      data["protocol"] = protocol_name(s.protocol());
      data["consensus"] = consensus_name(s.consensus());
      break;
    }
    case v1::Event::kMessage: {
      const auto& m = e.message();
      data["role"] = role_of(m.phase());
      data["phase"] = v1::Phase::Value_Name(m.phase());
      data["content"] = m.text();
      if (m.has_critique()) {
        data["critic"] = m.agent();
        data["target"] = m.target();
        data["target_agent"] = m.target();
        json::array issues;
        for (const auto& i : m.critique().issues()) issues.emplace_back(i);
        data["issues"] = std::move(issues);
        data["severity"] = m.critique().severity() / 10.0;
      }
      if (m.has_vote()) {
        data["vote"] = m.vote().choice();
        data["choice"] = m.vote().choice();
        data["confidence"] = m.vote().confidence();
        if (!m.vote().reasoning().empty()) data["reasoning"] = m.vote().reasoning();
      } else if (!m.target().empty() && !m.has_critique()) {
        data["target"] = m.target();
      }
      break;
    }
    case v1::Event::kError: {
      const auto& x = e.error();
      data["code"] = x.code();
      data["message"] = x.message();
      data["recoverable"] = x.recoverable();
      data["phase"] = v1::Phase::Value_Name(x.phase());
      if (!x.target().empty()) data["target"] = x.target();
      break;
    }
    case v1::Event::kConsensus: {
      const auto& c = e.consensus();
      data["reached"] = c.reached();
      data["confidence"] = c.confidence();
      data["winner"] = c.winner();
      data["method"] = c.method();
      data["status"] = outcome_name(c.status());
      data["votes"] = c.votes();
      data["quorum"] = c.quorum();
      data["answer"] = ctx.final_answer;
      data["final_answer"] = ctx.final_answer;
      data["result"] = ctx.final_answer;
      break;
    }
    case v1::Event::kConvergence: {
      const auto& c = e.convergence();
      data["status"] = v1::ConvergenceStatus::Value_Name(c.status());
      data["min_similarity"] = c.min_similarity();
      data["avg_similarity"] = c.avg_similarity();
      break;
    }
    case v1::Event::kEnd: {
      const auto& x = e.end();
      data["status"] = sdk_status(x.status());
      data["outcome"] = outcome_name(x.status());
      data["verdict"] = verdict_name(x.verdict());
      data["confidence"] = x.confidence();
      data["consensus_reached"] = x.status() == v1::Status::consensus_reached;
      data["rounds"] = x.rounds_used();
      data["total_rounds"] = ctx.total_rounds;
      data["duration"] = x.duration_ms() / 1000.0;
      data["duration_seconds"] = x.duration_ms() / 1000.0;
      data["winner"] = x.winner();
      data["result"] = ctx.final_answer;
      data["final_answer"] = ctx.final_answer;
      if (!ctx.receipt_id.empty()) data["receipt_id"] = ctx.receipt_id;
      if (!x.error().empty()) data["error"] = x.error();
      break;
    }
    case v1::Event::kDelta: {
      const auto& d = e.delta();
      data["token"] = d.text();  // upstream's token_delta {debate_id, agent, token}
      data["text"] = d.text();
      data["index"] = d.index();
      data["phase"] = v1::Phase::Value_Name(d.phase());
      data["role"] = role_of(d.phase());
      if (!d.target().empty()) data["target"] = d.target();
      break;
    }
    default:
      break;
  }
  if (e.type() == v1::EventType::round_start && ctx.total_rounds > 0)
    data["total_rounds"] = ctx.total_rounds;
  json::object o;
  o["type"] = event_type_name(e.type());
  // A delta is live only and takes no seq (the events' seqs are gapless; clients resume by them).
  if (e.type() != v1::EventType::token_delta) o["seq"] = e.seq();
  o["debate_id"] = e.debate_id();
  o["loop_id"] = e.debate_id();
  o["timestamp"] = e.has_timestamp() ? epoch_seconds(e.timestamp()) : 0.0;
  o["round"] = e.round();
  o["agent"] = e.agent();
  o["data"] = std::move(data);
  return json::serialize(o);
}

std::string events_body(std::string_view debate_id, const std::vector<std::string>& frames,
                        uint32_t next_seq) {
  // The frames are serialised objects already: spliced, not parsed again.
  std::string out = "{\"debate_id\":";
  out += json::serialize(json::string{debate_id});
  out += ",\"events\":[";
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i > 0) out += ',';
    out += frames[i];
  }
  out += "],\"count\":" + std::to_string(frames.size());
  out += ",\"next_seq\":" + std::to_string(next_seq) + "}";
  return out;
}

std::string control_frame(std::string_view type, std::string_view data_json,
                          std::string_view debate_id) {
  std::string out = "{\"type\":";
  out += json::serialize(json::string{type});
  if (!debate_id.empty()) {
    out += ",\"debate_id\":";
    out += json::serialize(json::string{debate_id});
  }
  out += ",\"data\":";
  out += data_json.empty() ? std::string_view{"{}"} : data_json;
  out += '}';
  return out;
}

std::string receipt_body(const v1::Receipt& r) {
  json::object o;
  o["receipt_id"] = r.receipt_id();
  o["id"] = r.receipt_id();
  o["gauntlet_id"] = "debate-" + r.debate_id();
  o["debate_id"] = r.debate_id();
  o["verdict"] = verdict_name(r.verdict());
  o["status"] = sdk_status(r.status());
  o["outcome"] = outcome_name(r.status());
  o["confidence"] = r.confidence();
  o["consensus_reached"] = r.consensus_reached();
  o["winner"] = r.winner();
  o["final_answer_sha256"] = r.final_answer_sha256();
  json::array agents, contributing, dissenting;
  for (const auto& a : r.agents()) {
    agents.emplace_back(a.name());
    if (a.contributing()) contributing.emplace_back(a.name());
  }
  for (const auto& v : r.votes())
    if (!r.winner().empty() && v.choice() != r.winner()) dissenting.emplace_back(v.agent());
  o["agents_involved"] = std::move(agents);
  o["participating_agents"] = std::move(contributing);
  o["dissenting_agents"] = std::move(dissenting);
  o["rounds_completed"] = r.rounds_used();
  o["checksum"] = r.sha256();
  o["hash"] = r.sha256();
  o["algorithm"] = r.algorithm();
  o["is_signed"] = r.has_signature();
  o["created_at"] = epoch_seconds(r.completed_at());
  o["timestamp"] = iso8601(r.completed_at());
  o["receipt"] = json::parse(debate::to_json(r));
  return json::serialize(o);
}

std::string cluster_body(const cluster_view& view, int64_t now_ms) {
  json::array nodes;
  for (const auto& n : view.nodes) {
    json::object o;
    o["name"] = n.name;
    json::array roles;
    for (const auto& r : n.roles) roles.emplace_back(r);
    o["roles"] = std::move(roles);
    o["status"] = n.status;
    o["address"] = n.address;
    o["debates_in_flight"] = n.debates_in_flight;
    o["calls_pending"] = n.calls_pending;
    if (n.since_heartbeat_ms) {
      google::protobuf::Timestamp t;
      auto at = now_ms - *n.since_heartbeat_ms;
      t.set_seconds(at / 1000);
      t.set_nanos(static_cast<int32_t>(at % 1000) * 1'000'000);
      o["last_heartbeat"] = iso8601(t);
      o["last_heartbeat_ms_ago"] = *n.since_heartbeat_ms;
    } else {
      o["last_heartbeat"] = nullptr;
    }
    nodes.emplace_back(std::move(o));
  }
  json::object body;
  body["nodes"] = std::move(nodes);
  body["orphans"] = view.orphans;
  return json::serialize(body);
}

std::string breakers_body(const std::vector<breaker_status>& breakers) {
  json::array out;
  size_t open = 0;
  for (const auto& b : breakers) {
    json::object o;
    o["node"] = b.node;
    o["name"] = b.name;
    o["kind"] = b.kind;
    o["state"] = b.state;
    o["up"] = b.up;
    o["restarts"] = b.restarts;
    o["times_opened"] = b.times_opened;
    open += b.state != "closed";
    out.emplace_back(std::move(o));
  }
  json::object body;
  body["breakers"] = std::move(out);
  body["open"] = open;
  return json::serialize(body);
}

std::string compact_body(const compact_report& r) {
  json::object body;
  body["success"] = true;
  body["node"] = r.node;
  body["ms"] = r.ms;
  body["sst_bytes_before"] = r.sst_bytes_before;
  body["sst_bytes_after"] = r.sst_bytes_after;
  return json::serialize(body);
}

std::string backup_body(const backup_report& r) {
  json::object body;
  body["success"] = true;
  body["node"] = r.node;
  body["dir"] = r.dir;
  body["id"] = r.id;
  body["timestamp"] = r.timestamp;
  body["bytes"] = r.bytes;
  body["files"] = r.files;
  body["kept"] = r.kept;
  body["ms"] = r.ms;
  return json::serialize(body);
}

std::string storage_body(const storage_report& r) {
  json::array families;
  for (const auto& f : r.families) {
    json::object o;
    o["cf"] = f.name;
    o["bytes"] = f.bytes;
    o["records"] = f.records;
    o["retention_days"] = static_cast<double>(f.retention_s) / 86400.0;
    if (f.growth_bytes_per_day) o["growth_bytes_per_day"] = *f.growth_bytes_per_day;
    else o["growth_bytes_per_day"] = nullptr;
    if (f.expiring) {
      json::object e;
      e["expired_records"] = f.expiring->expired_records;
      e["expired_bytes"] = f.expiring->expired_bytes;
      e["next_day_records"] = f.expiring->day_records;
      e["next_day_bytes"] = f.expiring->day_bytes;
      if (f.expiring->next_expiry_s) e["next_expiry"] = f.expiring->next_expiry_s;
      else e["next_expiry"] = nullptr;
      e["scanned"] = f.expiring->scanned;
      e["complete"] = f.expiring->complete;
      o["expiring"] = std::move(e);
    } else {
      o["expiring"] = nullptr;
    }
    families.emplace_back(std::move(o));
  }
  json::object body;
  body["node"] = r.node;
  body["bytes"] = r.bytes;
  if (r.disk_free_bytes) body["disk_free_bytes"] = *r.disk_free_bytes;
  else body["disk_free_bytes"] = nullptr;
  body["sweep_interval_s"] = r.sweep_interval_s;
  body["families"] = std::move(families);
  return json::serialize(body);
}

std::string leaderboard_body(const v1::Leaderboard& board, size_t limit) {
  json::array entries;
  for (const auto& a : board.agents()) {
    if (entries.size() >= limit) break;
    json::object e;
    e["name"] = a.name();
    e["agent_name"] = a.name();
    e["elo"] = a.elo();
    e["rating"] = a.elo();
    e["wins"] = a.wins();
    e["losses"] = a.losses();
    e["draws"] = a.draws();
    auto games = a.wins() + a.losses() + a.draws();
    e["games"] = games;
    e["matches"] = games;
    e["debates"] = a.debates();
    e["win_rate"] = games == 0 ? 0.0 : static_cast<double>(a.wins()) / games;
    if (a.has_calibration()) e["calibration"] = a.calibration().score();
    entries.push_back(std::move(e));
  }
  json::object o;
  if (!board.domain().empty()) o["domain"] = text::utf8_scrub(board.domain());  // the query's
  o["count"] = entries.size();
  o["agents"] = entries;
  o["rankings"] = std::move(entries);
  return json::serialize(o);
}

}  // namespace aragora::edge
