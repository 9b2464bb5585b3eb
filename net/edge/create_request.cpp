#include "net/edge/create_request.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "actors/agent/agent_spec.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/settings/settings.hpp"

namespace aragora::edge {

namespace json = boost::json;

namespace {

api_error invalid(std::string field, std::string what) {
  return {api_errc::invalid_value, "'" + field + "' " + what};
}

/// A value the settings table refused: its message already names the setting.
api_error refused(const settings::refusal& r) { return {api_errc::invalid_value, r.message}; }

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string{s.substr(b, e - b + 1)};
}

/// An integer field checked by the settings table (its range and message, as YAML and CLI).
std::optional<api_error> integer_setting(const json::value& v, std::string_view field,
                                         settings::id id, int64_t& out) {
  double d = 0;
  if (v.is_int64()) d = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
  else if (v.is_double()) d = v.get_double();
  else if (v.is_string()) {
    auto parsed = settings::parse(id, std::string_view{v.get_string()});
    if (auto* r = std::get_if<settings::refusal>(&parsed)) return refused(*r);
    out = std::get<int64_t>(std::get<settings::value>(parsed));
    return std::nullopt;
  } else return invalid(std::string{field}, "must be an integer");
  if (d != std::floor(d) || std::abs(d) > 1e15) return invalid(std::string{field}, "must be an integer");
  out = static_cast<int64_t>(d);
  if (auto r = settings::check(id, out)) return refused(*r);
  return std::nullopt;
}

std::optional<api_error> read_consensus(const json::value& v, debate::debate_spec& spec) {
  if (!v.is_string()) return invalid("consensus", "must be a string");
  std::string_view name = v.get_string();
  // The clients' OpenAPI names "weighted": our majority is a weighted tally.
  if (name == "weighted") name = "majority";
  auto c = debate::parse_consensus(name);
  if (!c) return invalid("consensus", "must be one of majority, supermajority, unanimous, judge, none, weighted");
  spec.consensus = *c;
  return std::nullopt;
}

/// `agents`: ["mock:critical:bob", ...], "mock:critical,mock:balanced", or [{"provider",
/// "option" (or "style", "model"), "name"}, ...].
std::optional<api_error> read_agents(const json::value& v, debate::debate_spec& spec) {
  std::string list;
  auto add = [&](std::string_view one) {
    if (!list.empty()) list += ',';
    list += one;
  };
  if (v.is_string()) {
    list = std::string{v.get_string()};
  } else if (v.is_array()) {
    for (const auto& a : v.get_array()) {
      if (a.is_string()) {
        std::string_view s = a.get_string();
        if (s.find(',') != std::string_view::npos) return invalid("agents", "entries must not contain ','");
        add(s);
      } else if (a.is_object()) {
        const auto& o = a.get_object();
        auto text = [&](std::string_view key) -> std::string {
          auto* x = o.if_contains(key);
          return x && x->is_string() ? std::string{x->get_string()} : std::string{};
        };
        auto provider = text("provider");
        if (provider.empty()) provider = "mock";
        auto option = text("option");
        if (option.empty()) option = text("style");
        if (option.empty()) option = text("model");
        auto name = text("name");
        std::string one = provider;
        if (!option.empty() || !name.empty()) one += ":" + option;
        if (!name.empty()) one += ":" + name;
        if (one.find(',') != std::string::npos) return invalid("agents", "entries must not contain ','");
        add(one);
      } else {
        return invalid("agents", "must be a list of agent specs (\"mock:critical:bob\") or objects");
      }
    }
  } else {
    return invalid("agents", "must be a list or a comma-separated string of agent specs");
  }
  if (trimmed(list).empty()) return std::nullopt;  // empty: the default agents
  auto agents = agent::parse_agents(list);
  if (!agents) return invalid("agents", agents.error().message);
  spec.agents = std::move(agents).value();
  return std::nullopt;
}

/// The fields `protocol` may carry as an object, and the top level too.
std::optional<api_error> read_rules(const json::object& o, debate::debate_spec& spec) {
  if (auto* v = o.if_contains("rounds")) {
    int64_t n = 0;
    if (auto e = integer_setting(*v, "rounds", settings::id::rounds, n)) return e;
    spec.rounds = static_cast<uint32_t>(n);
  }
  if (auto* v = o.if_contains("consensus"))
    if (auto e = read_consensus(*v, spec)) return e;
  if (auto* v = o.if_contains("early_stop")) {
    if (!v->is_bool()) return invalid("early_stop", "must be true or false");
    spec.early_stop = v->get_bool();
  }
  if (auto* v = o.if_contains("seed")) {
    int64_t n = 0;
    if (auto e = integer_setting(*v, "seed", settings::id::seed, n)) return e;
    spec.seed = static_cast<uint32_t>(n);
  }
  if (auto* v = o.if_contains("consensus_threshold")) {
    if (!v->is_number()) return invalid("consensus_threshold", "must be a number");
    double d = v->to_number<double>();
    if (auto r = settings::check(settings::id::consensus_threshold, d))
      return refused(*r);
    spec.consensus_threshold = d;
  }
  if (auto* v = o.if_contains("budget_usd"); v && !v->is_null()) {
    if (!v->is_number()) return invalid("budget_usd", "must be a number of USD (0: no budget)");
    double d = v->to_number<double>();
    if (auto r = settings::check(settings::id::budget_usd, d)) return refused(*r);
    spec.budget_usd = d;
  }
  return std::nullopt;
}

}  // namespace

api_result<debate::debate_spec> parse_create(std::string_view body, debate::debate_spec base) {
  json::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object())
    return api_error{api_errc::invalid_json, "the body must be a JSON object" +
                                                 (ec ? ": " + ec.message() : std::string{})};
  const auto& o = doc.get_object();
  auto spec = std::move(base);
  std::string question;
  for (auto key : {"task", "question"}) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) continue;
    if (!v->is_string()) return invalid(key, "must be a string");
    question = trimmed(v->get_string());
    if (!question.empty()) break;
  }
  if (question.empty())
    return api_error{api_errc::missing_field, "'task' (or 'question') is required and must not be empty"};
  spec.question = std::move(question);
  auto defaults = agent::parse_agents(defaults::debate_agents);
  if (defaults) spec.agents = std::move(defaults).value();
  if (auto* v = o.if_contains("agents"); v && !v->is_null())
    if (auto e = read_agents(*v, spec)) return *e;
  if (auto* v = o.if_contains("protocol"); v && !v->is_null()) {
    if (v->is_string()) {
      auto p = debate::parse_protocol(v->get_string());
      if (!p) return invalid("protocol", "must be lite or full (or an object of rules)");
      spec.protocol = *p;
      spec.consensus = debate::default_consensus(*p);
    } else if (v->is_object()) {
      const auto& po = v->get_object();
      if (auto* name = po.if_contains("name"); name && name->is_string())
        if (auto p = debate::parse_protocol(name->get_string())) {
          spec.protocol = *p;
          spec.consensus = debate::default_consensus(*p);
        }
      if (auto e = read_rules(po, spec)) return *e;
    } else {
      return invalid("protocol", "must be a string or an object");
    }
  }
  if (auto e = read_rules(o, spec)) return *e;
  if (auto* v = o.if_contains("context"); v && !v->is_null()) {
    if (!v->is_string()) return invalid("context", "must be a string");
    spec.context = std::string{v->get_string()};
  }
  if (auto* v = o.if_contains("domain"); v && !v->is_null()) {
    if (!v->is_string() || v->get_string().empty() || v->get_string().size() > 64)
      return invalid("domain", "must be a string of 1 to 64 characters");
    spec.domain = std::string{v->get_string()};
  }
  if (auto err = debate::validate(spec))
    return api_error{api_errc::invalid_value, std::string{debate::to_string(err->code)} + ": " + err->message};
  return spec;
}

}  // namespace aragora::edge
