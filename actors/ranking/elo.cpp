#include "actors/ranking/elo.hpp"

#include <algorithm>
#include <cmath>

namespace aragora::ranking {

double expected_score(double a, double b) {
  return 1.0 / (1.0 + std::pow(10.0, (b - a) / 400.0));
}

namespace {

double score_of(const match_input& m, const std::string& agent) {
  if (!m.winner) return 0.5;
  if (agent == *m.winner) return 1.0;
  return m.consensus_reached ? 0.5 : 0.0;
}

double rating_in(const rating_table& table, const std::string& agent, const std::string* domain,
                 double initial) {
  auto it = table.find(agent);
  if (it == table.end()) return initial;
  if (!domain) return it->second.elo;
  auto d = it->second.domain_elo.find(*domain);
  return d == it->second.domain_elo.end() ? initial : d->second;
}

std::map<std::string, double> changes_for(const match_input& m, const rating_table& table,
                                          const elo_params& p, const std::string* domain) {
  std::map<std::string, double> out;
  double w = m.weight();
  for (const auto& a : m.participants) out[a] = 0.0;
  for (size_t i = 0; i < m.participants.size(); ++i)
    for (size_t j = i + 1; j < m.participants.size(); ++j) {
      const auto& a = m.participants[i];
      const auto& b = m.participants[j];
      double sa = score_of(m, a), sb = score_of(m, b);
      double s = (sa + sb) == 0 ? 0.5 : sa / (sa + sb);
      double e = expected_score(rating_in(table, a, domain, p.initial),
                                rating_in(table, b, domain, p.initial));
      double delta = p.k * w * (s - e);
      out[a] += delta;
      out[b] -= delta;
    }
  return out;
}

}  // namespace

std::map<std::string, double> elo_changes(const match_input& m, const rating_table& table,
                                          const elo_params& p) {
  return changes_for(m, table, p, nullptr);
}

std::map<std::string, double> apply_match(rating_table& table, const match_input& m,
                                          const elo_params& p) {
  auto overall = changes_for(m, table, p, nullptr);
  auto in_domain = changes_for(m, table, p, &m.domain);
  for (const auto& agent : m.participants) {
    auto& r = table[agent];
    if (r.name.empty()) {
      r.name = agent;
      r.elo = p.initial;
    }
    r.elo += overall[agent];
    auto [it, fresh] = r.domain_elo.try_emplace(m.domain, p.initial);
    it->second += in_domain[agent];
    ++r.debates;
    if (!m.winner)
      ++r.draws;
    else if (agent == *m.winner)
      ++r.wins;
    else
      ++r.losses;
  }
  if (m.winner)
    for (const auto& v : m.votes) {
      auto it = table.find(v.voter);
      if (it == table.end()) continue;
      bool correct = v.choice == *m.winner;
      double c = std::clamp(v.confidence, 0.0, 1.0);
      auto& cal = it->second.calib;
      ++cal.predictions;
      cal.correct += correct ? 1 : 0;
      cal.brier_sum += (c - (correct ? 1.0 : 0.0)) * (c - (correct ? 1.0 : 0.0));
    }
  return overall;
}

double calibration_score(const calibration& c, uint32_t min_predictions) {
  if (c.predictions < min_predictions || c.predictions == 0) return 0.0;
  double mean_brier = c.brier_sum / c.predictions;
  double factor = std::min(1.0, 0.5 + 0.5 * (static_cast<double>(c.predictions) - min_predictions) / 40.0);
  return (1.0 - mean_brier) * factor;
}

}  // namespace aragora::ranking
