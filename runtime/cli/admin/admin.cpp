#include "runtime/cli/admin/admin.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <ctime>
#include <cstdio>
#include <functional>
#include <map>
#include <ostream>

#include "net/client/client.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::admin {

namespace json = boost::json;

namespace {

constexpr std::string_view usage_text =
    "usage: aragora-admin [--endpoint ws://HOST:PORT] [--token T] [--json] [--timeout-ms N] COMMAND\n"
    "commands:\n"
    "  nodes                 the cluster's nodes: roles, status, load, last heartbeat\n"
    "  debates [--active] [--limit N]\n"
    "                        debates, newest first (--active: running only)\n"
    "  debate ID             one debate: status, rounds, outcome, receipt\n"
    "  breakers              every node's breakers (supervisors' children, providers, store)\n"
    "  drain NODE            the worker takes no new debates and finishes its own (admin)\n"
    "  undrain NODE          the worker takes new debates again (admin)\n"
    "  leaderboard           agents by rating\n"
    "  health                the edge's health (exit 1 when degraded)\n"
    "  compact               compact the edge node's store now (admin)\n"
    "  storage               the edge node's store per column family: bytes, records, retention,\n"
    "                        growth per day\n"
    "  backup [NODE]         back the edge node's store up into its storage.backup_dir (admin;\n"
    "                        a cluster backs up the node holding the journal)\n"
    "environment: ARAGORA_ENDPOINT, ARAGORA_TOKEN (the flags win)\n"
    "exit codes: 0 done, 1 refused, 2 usage, 3 unreachable, 4 unauthorised\n";

struct command_line {
  std::string endpoint;
  std::string token;
  bool as_json = false;
  int64_t timeout_ms = 10000;
  bool timeout_given = false;
  std::string command;
  std::vector<std::string> operands;
  bool active = false;
  uint32_t limit = 50;
};

int usage(std::ostream& err, const std::string& why) {
  err << "aragora-admin: " << why << "\n" << usage_text;
  return exit_usage;
}

std::optional<int64_t> number(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string text_of(const json::value* v) {
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return std::string{v->as_string().c_str()};
  if (v->is_bool()) return v->as_bool() ? "yes" : "no";
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_double()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v->as_double());
    return buf;
  }
  if (v->is_array()) {
    std::string out;
    for (const auto& x : v->as_array()) out += (out.empty() ? "" : ",") + text_of(&x);
    return out.empty() ? "-" : out;
  }
  return json::serialize(*v);
}

std::string field(const json::object& o, std::string_view key) { return text_of(o.if_contains(key)); }

std::string clip(std::string s, size_t n) {
  if (s.size() <= n) return s;
  s.resize(n - 3);
  return s + "...";
}

std::string utc_time(int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

/// Rows of `array_key`'s objects, one column per key.
std::string table_of(const json::object& body, std::string_view array_key,
                     const std::vector<std::pair<std::string, std::string>>& columns,
                     const std::function<std::string(const json::object&, const std::string&)>& cell = {}) {
  std::vector<std::string> headers;
  for (const auto& [h, k] : columns) headers.push_back(h);
  std::vector<std::vector<std::string>> rows;
  if (auto* a = body.if_contains(array_key); a && a->is_array())
    for (const auto& v : a->as_array()) {
      if (!v.is_object()) continue;
      std::vector<std::string> row;
      for (const auto& [h, k] : columns) row.push_back(cell ? cell(v.as_object(), k) : field(v.as_object(), k));
      rows.push_back(std::move(row));
    }
  return render_table(headers, rows);
}

int exit_for(const client::client_error& e) {
  switch (e.code) {
    case client::client_errc::unreachable:
    case client::client_errc::timeout:
    case client::client_errc::protocol: return exit_unreachable;
    case client::client_errc::unauthorised: return exit_unauthorised;
    case client::client_errc::bad_endpoint: return exit_usage;
    default: return exit_failed;
  }
}

}  // namespace

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < width.size(); ++i) {
      auto c = i < cells.size() ? cells[i] : std::string{};
      l += c;
      if (i + 1 < width.size()) l.append(width[i] - c.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
  return out;
}

int run(const std::vector<std::string>& args, const std::string& env_endpoint,
        const std::string& env_token, std::ostream& out, std::ostream& err) {
  command_line c;
  c.endpoint = env_endpoint.empty() ? "ws://127.0.0.1:8080" : env_endpoint;
  c.token = env_token;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)flag;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      out << usage_text;
      return exit_ok;
    } else if (a == "--endpoint") {
      auto v = value("--endpoint");
      if (!v) return usage(err, "--endpoint needs a URL");
      c.endpoint = *v;
    } else if (a == "--token") {
      auto v = value("--token");
      if (!v) return usage(err, "--token needs a value");
      c.token = *v;
    } else if (a == "--json") {
      c.as_json = true;
    } else if (a == "--active") {
      c.active = true;
    } else if (a == "--timeout-ms" || a == "--limit") {
      auto v = value(a.c_str());
      auto n = v ? number(*v) : std::nullopt;
      if (!n || *n < 1 || *n > (a == "--limit" ? 1000 : 3'600'000))
        return usage(err, a + " needs a number in [1, " + (a == "--limit" ? "1000" : "3600000") + "]");
      if (a == "--limit") c.limit = static_cast<uint32_t>(*n);
      else {
        c.timeout_ms = *n;
        c.timeout_given = true;
      }
    } else if (a.starts_with("--")) {
      return usage(err, "unknown flag " + a);
    } else if (c.command.empty()) {
      c.command = a;
    } else {
      c.operands.push_back(a);
    }
  }
  static const std::map<std::string, size_t, std::less<>> operands{
      {"nodes", 0}, {"debates", 0}, {"debate", 1}, {"breakers", 0}, {"drain", 1},
      {"undrain", 1}, {"leaderboard", 0}, {"health", 0}, {"compact", 0}, {"backup", 1}, {"storage", 0}};
  if (c.command.empty()) return usage(err, "no command");
  auto known = operands.find(c.command);
  if (known == operands.end()) return usage(err, "unknown command '" + c.command + "'");
  bool optional_operand = c.command == "backup" && c.operands.empty();
  if (c.operands.size() != known->second && !optional_operand)
    return usage(err, c.command + " takes " + (known->second ? "one operand" : "no operand"));
  if (c.active && c.command != "debates") return usage(err, "--active belongs to `debates`");

  client::options o;
  o.endpoint = c.endpoint;
  o.token = c.token;
  o.connect_timeout = std::chrono::milliseconds{std::min<int64_t>(c.timeout_ms, 10000)};
  o.call_timeout = std::chrono::milliseconds{c.timeout_ms};
  // A compaction or a backup takes as long as the store is big: an hour unless told otherwise
  // (an answer given up on would leave it running, and a retry would find it busy).
  if (!c.timeout_given && (c.command == "compact" || c.command == "backup" || c.command == "storage")) o.call_timeout = std::chrono::hours{1};
  o.idle_timeout = std::max<std::chrono::milliseconds>(o.idle_timeout, o.call_timeout + std::chrono::seconds{5});
  client::client cl{o};

  const auto& cmd = c.command;
  const std::string operand = c.operands.empty() ? std::string{} : c.operands[0];
  client::result<client::reply> r = client::client_error{};
  if (cmd == "nodes") r = cl.nodes();
  else if (cmd == "debates") r = cl.list(c.limit, 0, c.active ? "running" : "");
  else if (cmd == "debate") r = cl.debate(operand);
  else if (cmd == "breakers") r = cl.breakers();
  else if (cmd == "drain") r = cl.drain(operand);
  else if (cmd == "undrain") r = cl.undrain(operand);
  else if (cmd == "leaderboard") r = cl.leaderboard();
  else if (cmd == "health") r = cl.health();
  else if (cmd == "compact") r = cl.compact();
  else if (cmd == "storage") r = cl.storage();
  else r = cl.backup(operand);

  std::string body;
  int code = exit_ok;
  if (!r) {
    const auto& e = r.error();
    // A degraded health is an answer, with its body: shown, and exit 1.
    if (!(cmd == "health" && e.status == 503 && !e.body.empty())) {
      err << "aragora-admin: " << cmd << ": " << to_string(e.code) << ": " << e.message << "\n";
      if (e.code == client::client_errc::unauthorised)
        err << "  (give an admin token with --token or ARAGORA_TOKEN)\n";
      return exit_for(e);
    }
    body = e.body;
    code = exit_failed;
  } else {
    body = std::move(r->body);
  }
  if (c.as_json) {
    out << body << "\n";
    return code;
  }
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    out << body << "\n";
    return code;
  }
  const auto& b = parsed.as_object();
  if (cmd == "nodes") {
    out << table_of(b, "nodes",
                    {{"NAME", "name"}, {"ROLES", "roles"}, {"STATUS", "status"}, {"ADDRESS", "address"},
                     {"DEBATES", "debates_in_flight"}, {"CALLS", "calls_pending"},
                     {"LAST HEARTBEAT", "last_heartbeat_ms_ago"}},
                    [](const json::object& n, const std::string& k) {
                      if (k != "last_heartbeat_ms_ago") return field(n, k);
                      auto* v = n.if_contains(k);
                      return v ? text_of(v) + " ms ago" : std::string{"-"};
                    });
    if (auto* orphans = b.if_contains("orphans"); orphans && text_of(orphans) != "0")
      out << text_of(orphans) << " debates wait for a worker\n";
  } else if (cmd == "debates") {
    out << table_of(b, "debates",
                    {{"ID", "debate_id"}, {"STATUS", "status"}, {"ROUNDS", "rounds_used"},
                     {"AGENTS", "agents"}, {"CREATED", "created_at"}, {"TASK", "task"}},
                    [](const json::object& d, const std::string& k) {
                      return k == "task" ? clip(field(d, k), 60) : field(d, k);
                    });
  } else if (cmd == "debate") {
    std::vector<std::vector<std::string>> rows;
    for (const char* k : {"debate_id", "status", "task", "agents", "protocol", "rounds", "rounds_used",
                          "consensus_reached", "confidence", "winner", "final_answer", "receipt_id",
                          "created_at", "completed_at", "error"})
      if (b.if_contains(k)) rows.push_back({k, clip(field(b, k), 100)});
    out << render_table({"FIELD", "VALUE"}, rows);
  } else if (cmd == "breakers") {
    out << table_of(b, "breakers",
                    {{"NODE", "node"}, {"KIND", "kind"}, {"NAME", "name"}, {"STATE", "state"},
                     {"UP", "up"}, {"RESTARTS", "restarts"}, {"OPENED", "times_opened"}});
    out << field(b, "open") << " not closed\n";
  } else if (cmd == "drain" || cmd == "undrain") {
    out << "worker " << field(b, "node") << (cmd == "drain" ? " drains: it takes no new debates and finishes its own"
                                                             : " takes new debates again")
        << "\n";
  } else if (cmd == "leaderboard") {
    out << table_of(b, "rankings",
                    {{"AGENT", "name"}, {"ELO", "elo"}, {"WINS", "wins"}, {"LOSSES", "losses"},
                     {"DRAWS", "draws"}, {"DEBATES", "debates"}});
  } else if (cmd == "health") {
    out << "status " << field(b, "status") << ", " << field(b, "running_debates") << " debates running\n";
  } else if (cmd == "storage") {
    out << table_of(b, "families",
                    {{"CF", "cf"}, {"BYTES", "bytes"}, {"RECORDS", "records"}, {"RETENTION DAYS", "retention_days"},
                     {"GROWTH/DAY", "growth_bytes_per_day"}, {"EXPIRED", "expired_records"},
                     {"NEXT 24H", "next_day_records"}, {"NEXT EXPIRY (UTC)", "next_expiry"}},
                    [](const json::object& f, const std::string& k) {
                      auto* e = f.if_contains("expiring");
                      bool outlook = k == "expired_records" || k == "next_day_records" || k == "next_expiry";
                      if (!outlook) return field(f, k);
                      if (!e || !e->is_object()) return std::string{"-"};
                      const auto& o = e->as_object();
                      std::string cell;
                      if (k == "next_expiry") {
                        auto* t = o.if_contains(k);
                        cell = t && t->is_int64() ? utc_time(t->as_int64()) : std::string{"-"};
                      } else {
                        cell = field(o, k) + " (" + field(o, k == "expired_records" ? "expired_bytes" : "next_day_bytes") +
                               " B)";
                      }
                      // A scan that stopped at its budget saw only part of the family.
                      if (auto* c = o.if_contains("complete"); c && c->is_bool() && !c->as_bool()) cell += "+";
                      return cell;
                    });
    out << field(b, "bytes") << " bytes in all on " << field(b, "node") << ", " << field(b, "disk_free_bytes")
        << " bytes free; the retention sweep runs every " << field(b, "sweep_interval_s")
        << " s (growth per day: from an hour of this node's samples on; EXPIRED goes at the next sweep,"
           " NEXT 24H within a day, from each record's own expiry; + : past the first "
        << defaults::storage_outlook_records << " records read in all)\n";
  } else if (cmd == "backup") {
    out << "backed the store of " << field(b, "node") << " up into " << field(b, "dir") << ": backup "
        << field(b, "id") << ", " << field(b, "files") << " files, " << field(b, "bytes") << " bytes, in "
        << field(b, "ms") << " ms (" << field(b, "kept") << " backups kept there)\n";
  } else {
    out << "compacted the store of " << field(b, "node") << " in " << field(b, "ms") << " ms: "
        << field(b, "sst_bytes_before") << " -> " << field(b, "sst_bytes_after") << " bytes of SST files\n";
  }
  return code;
}

}  // namespace aragora::admin
