#include "runtime/node/node_backend.hpp"

#include <caf/all.hpp>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <sstream>

#include "actors/agent/agent_spec.hpp"
#include "actors/agent/llm_options.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/ranking/ranking.hpp"
#include "net/edge/stream_hub.hpp"
#include "net/edge/views.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/capacity/capacity.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_gauges.hpp"
#include "storage/backup.hpp"
#include "storage/store.hpp"

namespace aragora::node {

namespace {

using edge::api_errc;
using edge::api_error;

/// The debates' metrics (docs/operations.md): started here, finished by status, and how long
/// they took. In flight is read off the node when /metrics is scraped.
struct debate_metrics {
  metrics::counter& started = metrics::process_counter(
      "aragora_debates_started_total",
      "Debates started over the API, and resumed at start (so started - finished = in flight).")
      .with({});
  metrics::counter_family& finished = metrics::process_counter(
      "aragora_debates_finished_total", "Debates that ended, by their result's status.",
      {"status"});
  metrics::histogram_family& duration = metrics::process_histogram(
      "aragora_debate_duration_seconds",
      "From a debate's start to its result, by the result's status (a debate resumed after a "
      "restart is counted from its start, if this process saw it).",
      metrics::debate_duration_buckets, {"status"});

  static debate_metrics& get() {
    static debate_metrics m;
    return m;
  }
};

/// What the sink knows of a debate between its events.
struct followed {
  edge::answer_tracker answers;  // for the consensus frames' answer
  uint32_t total_rounds = 0;
  uint32_t last_seq = 0;
  std::optional<v1::Event> end;  // held until the result is stored
  std::optional<std::chrono::system_clock::time_point> started;  // its debate_start, if seen
};

struct sink_state {
  std::unordered_map<std::string, followed> debates;
};

/// Turns events into frames, once per event, and publishes them; holds debate_end until the
/// debate's owner (this actor) hears it is stored and the ranking has taken its result in.
caf::behavior event_sink(caf::stateful_actor<sink_state>* self, edge::stream_hub* hub,
                         node_backend* backend) {
  return {
      [=](debate::event_ptr& e) {
        if (e->type() == v1::EventType::token_delta) {
          // Live only: no seq, no state; made only when someone follows the debate; JSON only
          // (in the binary form an Event's seq never repeats, and a delta would repeat one).
          if (hub->watched(e->debate_id()))
            hub->publish_live(e->debate_id(), e->seq(), edge::stream_hub::make_frame(edge::event_frame(*e, {}), {}));
          return;
        }
        auto& f = self->state.debates[e->debate_id()];
        if (f.last_seq == 0) hub->open(e->debate_id());
        f.last_seq = std::max(f.last_seq, e->seq());
        if (e->has_start()) {
          f.total_rounds = e->start().rounds();
          f.started = debate::from_timestamp(e->timestamp());
        }
        f.answers.see(*e);
        if (e->type() == v1::EventType::debate_end) {
          f.end = *e;
          return;
        }
        edge::frame_context ctx;
        ctx.total_rounds = f.total_rounds;
        ctx.final_answer = f.answers.answer_for(*e);
        hub->publish(e->debate_id(), e->seq(),
                     edge::stream_hub::make_frame(edge::event_frame(*e, ctx),
                                                  edge::binary_event_frame(*e)));
      },
      [=](debate::debate_durable& d) {
        hub->durable(d.id, d.seq);
        backend->written(d.id);
      },
      [=](debate::debate_finished& done) {
        auto it = self->state.debates.find(done.id);
        followed f = it == self->state.debates.end() ? followed{} : std::move(it->second);
        if (it != self->state.debates.end()) self->state.debates.erase(it);
        backend->finished(done.id);
        v1::Event end;
        if (f.end) {
          end = std::move(*f.end);
        } else {
          // The debate actor itself failed: no debate_end was published; one is made here.
          end.set_debate_id(done.id);
          end.set_seq(f.last_seq + 1);
          end.set_type(v1::EventType::debate_end);
          *end.mutable_timestamp() = debate::to_timestamp(std::chrono::system_clock::now());
          end.mutable_end()->set_status(v1::Status::failed);
          end.mutable_end()->set_error(done.error);
        }
        auto status = v1::Status::Value_Name(end.end().status());
        auto& m = debate_metrics::get();
        m.finished.with({status}).inc();
        if (f.started)
          m.duration.with({status}).observe(std::chrono::system_clock::now() - *f.started);
        edge::frame_context ctx;
        ctx.total_rounds = f.total_rounds;
        ctx.receipt_id = done.receipt.id;
        if (done.machine) {
          v1::DebateResult r;
          debate::fill_result(*done.machine, &done.receipt, r);
          ctx.final_answer = r.final_answer();
          ctx.total_rounds = done.machine->spec().rounds;
        }
        auto frame = edge::stream_hub::make_frame(edge::event_frame(end, ctx),
                                                  edge::binary_event_frame(end), true);
        auto publish = [hub, id = done.id, seq = end.seq(), frame] {
          hub->publish(id, seq, frame, true);
          hub->close(id);
        };
        // The ranking took the result in before this report was sent (the debate told it first):
        // its answer to a question asked now comes after the ratings are stored.
        auto ranking = backend->ranking_actor();
        if (!ranking) return publish();
        self->request(ranking, std::chrono::seconds{5}, ranking::leaderboard_atom::value,
                      std::string{})
            .then([publish](v1::Leaderboard&) { publish(); },
                  [publish](caf::error&) { publish(); });
      },
  };
}

}  // namespace

node_backend::node_backend(local_node& node, std::shared_ptr<storage::store> db,
                           edge::stream_hub& hub, config::node_config cfg)
    : node_(node), db_(std::move(db)), hub_(hub), cfg_(std::move(cfg)),
      budget_bytes_(capacity::memory_budget(cfg_)) {
  sink_ = node_.system().spawn(event_sink, &hub_, this);
  node_.observe_durability(sink_);
}

node_backend::~node_backend() {
  // The sink holds this backend and the hub by pointer: it must be gone before either is, not
  // merely told to go (a sink mid-event outlived both: ASan, stack-use-after-scope in serve).
  // It never blocks, so the wait is short; this runs on the owner's thread, not a CAF worker.
  caf::scoped_actor self{node_.system()};
  self->monitor(sink_);
  self->send_exit(sink_, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
}

caf::actor node_backend::ranking_actor() { return node_.ranking(); }

std::vector<std::string> node_backend::resume() {
  {
    std::lock_guard<std::mutex> lock{mtx_};
    resuming_ = true;
  }
  auto r = node_.resume_unfinished(sink_, debate::finish_report::full, "serve", {sink_});
  for (const auto& [id, why] : r.unreadable) log::warn("serve", "debate ", id, " not resumed: ", why);
  // Live before anyone can subscribe (the server starts after this): a subscriber who comes
  // before a resumed debate's next event must still be kept for it.
  // A resumed debate may have ended already (its rest was one step): it is neither reopened on
  // the hub (its stream closed) nor given a version (what is stored of it is final).
  std::lock_guard<std::mutex> lock{mtx_};
  for (const auto& id : r.ids) {
    if (ended_while_resuming_.count(id)) continue;
    hub_.open(id);
    versions_.emplace(id, ++next_version_);
  }
  ++list_version_;
  resuming_ = false;
  ended_while_resuming_.clear();
  debate_metrics::get().started.inc(r.ids.size());
  return r.ids;
}

void node_backend::use_cluster(cluster_hooks hooks) { cluster_ = std::move(hooks); }

std::vector<std::string> node_backend::follow_running(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock{mtx_};
  for (const auto& id : ids) {
    hub_.open(id);
    versions_.emplace(id, ++next_version_);
  }
  ++list_version_;
  return ids;
}

debate::debate_spec node_backend::base_spec() { return config::default_spec(cfg_); }

v1::DebateSpec node_backend::register_new(debate::debate_spec& spec) {
  spec.id = node_.next_debate_id();
  auto proto = debate::to_proto(spec);
  {
    std::lock_guard<std::mutex> lock{mtx_};
    starting_[spec.id] = proto;
    versions_[spec.id] = ++next_version_;
    ++list_version_;
  }
  hub_.open(spec.id);
  return proto;
}

edge::api_result<v1::DebateSpec> node_backend::start(debate::debate_spec spec) {
  if (auto missing = agent::check_keys(spec.agents, cfg_.llm))
    return api_error{api_errc::invalid_value, missing->message};
  if (cluster_) return start_on_worker(std::move(spec));
  auto fp = capacity::estimate_footprint(spec, cfg_.mock.message_bytes);
  auto running = node_.running_debates();
  if ((running + 1) * fp.running > budget_bytes_)
    return api_error{api_errc::at_capacity,
                     "the node is at capacity (" + std::to_string(running) +
                         " debates running within its memory budget); retry later"};
  auto proto = register_new(spec);
  debate_metrics::get().started.inc();
  (void)node_.start_debate(std::make_shared<const debate::debate_spec>(std::move(spec)), sink_,
                           {sink_}, debate::finish_report::full);
  return proto;
}

edge::api_result<v1::DebateSpec> node_backend::start_on_worker(debate::debate_spec spec) {
  auto proto = register_new(spec);
  if (auto err = cluster_->place(proto)) {
    {
      std::lock_guard<std::mutex> lock{mtx_};
      starting_.erase(spec.id);
      versions_.erase(spec.id);
      ++list_version_;
    }
    hub_.close(spec.id);
    return *err;
  }
  debate_metrics::get().started.inc();
  return proto;
}

namespace {

std::array<uint64_t, storage::cf_count> bytes_of(const std::vector<storage::store::family_size>& sizes) {
  std::array<uint64_t, storage::cf_count> out{};
  for (const auto& f : sizes) out[static_cast<size_t>(f.family)] = f.sst_bytes + f.memtable_bytes;
  return out;
}

}  // namespace

std::vector<storage::store::family_size> refresh_node_gauges(local_node& node, storage::store* db,
                                                            const std::string& data_dir,
                                                            uint64_t budget_bytes,
                                                            std::optional<size_t> running) {
  struct gauges {
    metrics::gauge& in_flight = metrics::process_gauge(
        "aragora_debates_in_flight", "Debates running on this node.").with({});
    metrics::gauge_family& queue = metrics::process_gauge(
        "aragora_agent_queue_depth",
        "Debate steps waiting for an agent worker, per worker, when it last took one.",
        {"worker"});
    metrics::gauge& budget = metrics::process_gauge(
        "aragora_memory_budget_bytes", "The memory this node lets its debates use.").with({});
    metrics::gauge& rss = metrics::process_gauge(
        "process_resident_memory_bytes", "Resident memory of this process.").with({});
    metrics::gauge& disk_size = metrics::process_gauge(
        "aragora_disk_size_bytes", "Size of the file system holding the data dir.").with({});
    metrics::gauge& disk_free = metrics::process_gauge(
        "aragora_disk_free_bytes", "Bytes free for this node on that file system.").with({});
    metrics::counter& cpu = metrics::process_counter(
        "process_cpu_seconds_total", "User and system CPU time this process spent.").with({});
    metrics::gauge_family& store_bytes = metrics::process_gauge(
        "aragora_store_bytes", "The store's bytes per column family: table files plus memtables.", {"cf"});
    metrics::gauge_family& store_keys = metrics::process_gauge(
        "aragora_store_keys", "Records per column family (RocksDB's estimate; expired ones count until compacted).",
        {"cf"});
  };
  static gauges g;
  if (running) g.in_flight.set(static_cast<double>(*running));
  auto depths = node.queue_depths();
  for (size_t i = 0; i < depths.size(); ++i)
    g.queue.with({std::to_string(i)}).set(static_cast<double>(depths[i]));
  g.budget.set(static_cast<double>(budget_bytes));
  std::ifstream statm{"/proc/self/statm"};
  uint64_t pages = 0, resident = 0;
  if (statm >> pages >> resident)
    g.rss.set(static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  {
    // utime and stime, the 14th and 15th fields, after the command name's closing parenthesis.
    std::ifstream stat{"/proc/self/stat"};
    std::string text{std::istreambuf_iterator<char>{stat}, std::istreambuf_iterator<char>{}};
    if (auto close = text.rfind(')'); close != std::string::npos) {
      std::istringstream rest{text.substr(close + 2)};
      std::string field;
      double utime = 0, stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::strtod(field.c_str(), nullptr);
        if (i == 15) stime = std::strtod(field.c_str(), nullptr);
      }
      double seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
      static std::mutex mtx;
      static double seen = 0;  // what the counter holds: it only adds what came since
      std::lock_guard<std::mutex> lock{mtx};
      if (seconds > seen) {
        g.cpu.add(seconds - seen);
        seen = seconds;
      }
    }
  }
  struct statvfs fs {};
  if (statvfs(data_dir.c_str(), &fs) == 0) {
    g.disk_size.set(static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize));
    g.disk_free.set(static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize));
  }
  std::vector<storage::store::family_size> sizes;
  if (db) {
    sizes = db->family_sizes();
    for (const auto& f : sizes) {
      std::string cf{storage::name(f.family)};
      g.store_bytes.with({cf}).set(static_cast<double>(f.sst_bytes + f.memtable_bytes));
      g.store_keys.with({cf}).set(static_cast<double>(f.keys));
    }
  }
  return sizes;
}

void node_backend::refresh_gauges(const std::string& data_dir, std::optional<size_t> running) {
  if (!running) running = cluster_ ? cluster_->running() : node_.running_debates();
  auto sizes = refresh_node_gauges(node_, db_.get(), data_dir, budget_bytes_, running);
  if (db_) sample_sizes(bytes_of(sizes));
}

void node_backend::sample_sizes(const std::array<uint64_t, storage::cf_count>& bytes) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock{samples_mtx_};
  if (!samples_.empty() && now - samples_.back().at < defaults::storage_sample_every) return;
  samples_.push_back(size_sample{now, bytes});
  while (samples_.size() > defaults::storage_samples_kept) samples_.pop_front();
}

edge::api_result<edge::storage_report> node_backend::storage() {
  if (!db_) return edge::api_error{api_errc::unavailable, "this node has no store"};
  edge::storage_report r;
  r.node = cluster_ ? cluster_->self_name : std::string{"local"};
  r.sweep_interval_s = std::chrono::duration_cast<std::chrono::seconds>(cfg_.sweep_interval).count();
  auto sizes = db_->family_sizes();
  sample_sizes(bytes_of(sizes));
  auto now = std::chrono::steady_clock::now();
  std::optional<size_sample> base;
  {
    // The oldest sample of the last day, if it is an hour old at least.
    std::lock_guard<std::mutex> lock{samples_mtx_};
    for (const auto& s : samples_)
      if (now - s.at <= std::chrono::hours{24} && now - s.at >= defaults::storage_sample_every) {
        base = s;
        break;
      }
  }
  bool outlook = db_->breaker() == resilience::breaker_state::closed;
  auto budget_left = static_cast<int64_t>(defaults::storage_outlook_records);
  for (const auto& f : sizes) {
    edge::storage_report::family out;
    out.name = std::string{storage::name(f.family)};
    out.bytes = f.sst_bytes + f.memtable_bytes;
    out.records = f.keys;
    out.retention_s = db_->retention().of(f.family);
    if (base) {
      double days = std::chrono::duration<double>(now - base->at).count() / 86400.0;
      out.growth_bytes_per_day =
          (static_cast<double>(out.bytes) - static_cast<double>(base->bytes[static_cast<size_t>(f.family)])) / days;
    }
    // Every family (a record keeps the expiry it was written with, whatever the retention is
    // now), within one budget for the whole report; only while the store is healthy: a failing
    // store still answers with its sizes, and this scan is never its breaker's trial call.
    if (outlook && budget_left >= 0) {
      auto o = db_->expiry_outlook_of(f.family, 86'400, static_cast<uint64_t>(budget_left));
      if (o.ok()) {
        budget_left -= static_cast<int64_t>(o.value().scanned);
        out.expiring = edge::storage_report::family::outlook{
            o.value().expired_records, o.value().expired_bytes, o.value().due_records,
            o.value().due_bytes,       o.value().next_expiry_s, o.value().scanned,
            o.value().complete};
      } else {
        outlook = false;
      }
    }
    r.bytes += out.bytes;
    r.families.push_back(std::move(out));
  }
  if (!cfg_.data_dir.empty())
    if (auto free = storage::free_space_of(cfg_.data_dir)) r.disk_free_bytes = *free;
  return r;
}

void node_backend::written(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx_};
  // The first write also puts the debate in the list's index: pages kept from before it are
  // stale from now on (the start alone could not make them so: its write was still in flight).
  if (starting_.erase(id)) ++list_version_;
  if (auto it = versions_.find(id); it != versions_.end()) it->second = ++next_version_;
}

void node_backend::finished(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx_};
  starting_.erase(id);
  if (!versions_.erase(id) && resuming_) ended_while_resuming_.insert(id);
  ++list_version_;
}

uint64_t node_backend::list_version() {
  std::lock_guard<std::mutex> lock{mtx_};
  return list_version_;
}

uint64_t node_backend::version(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = versions_.find(id);
  return it == versions_.end() ? 0 : it->second;
}

namespace {

api_error store_failed(const storage::store_error& e) {
  return {api_errc::unavailable, "the store cannot be read: " + e.message};
}

/// The record of a debate created here whose first step is not written yet.
v1::DebateRecord just_created(const v1::DebateSpec& spec) {
  v1::DebateRecord r;
  *r.mutable_spec() = spec;
  r.set_status(v1::Status::running);
  *r.mutable_created_at() = debate::to_timestamp(std::chrono::system_clock::now());
  return r;
}

}  // namespace

edge::api_result<std::pair<v1::DebateResult, v1::DebateRecord>> node_backend::debate(
    const std::string& id) {
  auto stored = debate::load_debate(*db_, id);
  if (!stored.ok()) return store_failed(stored.error());
  if (!stored.value()) {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = starting_.find(id);
    if (it == starting_.end()) return api_error{api_errc::not_found, "no debate '" + id + "'"};
    v1::DebateResult result;
    result.set_id(id);
    result.set_question(it->second.question());
    result.set_status(v1::Status::running);
    return std::pair{std::move(result), just_created(it->second)};
  }
  const auto& d = *stored.value();
  auto rebuilt = debate::rebuild(d, cfg_.machine);
  if (auto* why = std::get_if<std::string>(&rebuilt))
    return api_error{api_errc::internal, "debate " + id + " cannot be read back: " + *why};
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
  return std::pair{std::move(result), d.record};
}

edge::api_result<edge::debate_page> node_backend::list(uint32_t limit, uint64_t offset,
                                                       const std::string& status) {
  auto q = debate::make_query(limit, static_cast<int64_t>(offset), status);
  if (!q) return api_error{api_errc::invalid_value, q.error().message};
  q->ids_only = true;
  debate::list_page page;
  if (auto err = debate::list_debates(*db_, *q, page)) return store_failed(*err);
  edge::debate_page out{std::move(page.ids), page.more};
  if (offset == 0 && (!q->status || *q->status == debate::list_status::running)) {
    // Created here, first write in flight: not in the index yet, but the newest of all (a client
    // that creates and then lists sees its debate, as a GET would).
    std::vector<std::string> fresh;
    {
      std::lock_guard<std::mutex> lock{mtx_};
      for (const auto& [id, spec] : starting_)
        if (std::find(out.ids.begin(), out.ids.end(), id) == out.ids.end()) fresh.push_back(id);
    }
    std::sort(fresh.begin(), fresh.end(), std::greater<>{});  // ids sort by creation time
    out.ids.insert(out.ids.begin(), fresh.begin(), fresh.end());
    if (out.ids.size() > limit) {
      out.ids.resize(limit);
      out.more = true;
    }
  }
  return out;
}

edge::api_result<v1::DebateRecord> node_backend::record(const std::string& id) {
  auto stored = debate::load_record(*db_, id);
  if (!stored.ok()) return store_failed(stored.error());
  if (stored.value()) return std::move(*stored.value());
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = starting_.find(id);
  if (it == starting_.end()) return api_error{api_errc::not_found, "no debate '" + id + "'"};
  return just_created(it->second);
}

edge::api_result<std::vector<v1::Event>> node_backend::events(const std::string& id,
                                                              uint32_t after, uint32_t limit,
                                                              v1::DebateRecord* record) {
  auto stored = debate::load_debate(*db_, id);
  if (!stored.ok()) return store_failed(stored.error());
  if (!stored.value()) {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = starting_.find(id);
    if (it == starting_.end()) return api_error{api_errc::not_found, "no debate '" + id + "'"};
    if (record) *record = just_created(it->second);
    return std::vector<v1::Event>{};
  }
  auto& d = *stored.value();
  if (record) *record = d.record;
  std::vector<v1::Event> out;
  for (auto& e : d.events) {
    if (e.seq() <= after) continue;
    if (out.size() >= limit) break;
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<edge::api_error> node_backend::cancel(const std::string& id, const std::string& by) {
  if (cluster_) {
    auto r = cluster_->cancel(id, by);
    if (!r.ok()) return r.error();
    if (r.value()) return std::nullopt;
  } else if (node_.cancel(id, "cancelled over the API by " + by, by)) {
    return std::nullopt;
  }
  auto stored = debate::load_debate(*db_, id);
  if (!stored.ok()) return store_failed(stored.error());
  if (!stored.value()) return api_error{api_errc::not_found, "no debate '" + id + "'"};
  return api_error{api_errc::conflict,
                   "debate " + id + " is not running (" +
                       std::string{edge::sdk_status(stored.value()->record.status())} + ")"};
}

edge::api_result<v1::Receipt> node_backend::receipt(const std::string& debate_id) {
  auto stored = debate::load_debate(*db_, debate_id);
  if (!stored.ok()) return store_failed(stored.error());
  if (!stored.value()) return api_error{api_errc::not_found, "no debate '" + debate_id + "'"};
  const auto& record = stored.value()->record;
  if (!record.has_receipt())
    return api_error{api_errc::not_found, "debate " + debate_id + " has no receipt yet (" +
                                              std::string{edge::sdk_status(record.status())} + ")"};
  return record.receipt();
}

edge::api_result<v1::Leaderboard> node_backend::leaderboard(const std::string& domain) {
  auto table = ranking::load_ratings(*db_);
  if (!table.ok()) return store_failed(table.error());
  ranking::elo_params p{cfg_.elo_initial, cfg_.elo_k, cfg_.calibration_min};
  return ranking::leaderboard(table.value(), domain, p);
}

std::vector<debate::agent_spec> node_backend::agent_catalog() {
  std::vector<debate::agent_spec> out;
  for (auto style : {"supportive", "critical", "balanced", "contrarian"})
    out.push_back({style, "mock", style});
  return out;
}

edge::cluster_view node_backend::cluster() {
  if (cluster_) return cluster_->status();
  edge::cluster_view v;
  edge::cluster_view::node self;
  self.name = "local";
  self.roles = {"edge", "worker", "journal", "ranking"};
  self.address = "";
  self.status = "up";
  self.debates_in_flight = static_cast<uint32_t>(node_.running_debates());
  v.nodes.push_back(std::move(self));
  return v;
}

std::optional<edge::api_error> node_backend::drain(const std::string& node, bool on) {
  if (cluster_) return cluster_->drain(node, on);
  return api_error{api_errc::not_found, "this is a single node (aragora serve): there is no worker '" + node +
                                            "' to drain; cluster files run workers (aragora node)"};
}

std::vector<edge::breaker_status> breakers_of(const std::string& node,
                                              const std::vector<v1::BreakerStatus>& breakers) {
  std::vector<edge::breaker_status> out;
  out.reserve(breakers.size());
  for (const auto& b : breakers)
    out.push_back({node, b.name(), b.kind(), b.state(), b.up(), b.restarts(), b.times_opened()});
  return out;
}

std::vector<edge::breaker_status> node_backend::breakers() {
  auto self = cluster_ ? cluster_->self_name : std::string{"local"};
  auto out = breakers_of(self, node_.breakers());
  if (cluster_)
    for (auto& n : cluster_->status().nodes)
      if (n.name != self) out.insert(out.end(), n.breakers.begin(), n.breakers.end());
  return out;
}

edge::api_result<edge::compact_report> node_backend::compact() {
  if (!db_) return edge::api_error{api_errc::unavailable, "this node has no store to compact"};
  edge::compact_report r;
  r.node = cluster_ ? cluster_->self_name : std::string{"local"};
  r.sst_bytes_before = db_->sst_bytes();
  auto started = std::chrono::steady_clock::now();
  if (auto err = db_->compact_all())
    return edge::api_error{api_errc::unavailable, "compaction failed: " + err->message};
  r.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  r.sst_bytes_after = db_->sst_bytes();
  log::info("edge", "compacted the store in ", r.ms, " ms: ", r.sst_bytes_before, " -> ", r.sst_bytes_after, " SST bytes");
  return r;
}

edge::api_result<edge::backup_report> node_backend::backup(std::string_view node) {
  if (!db_) return edge::api_error{api_errc::unavailable, "this node has no store to back up"};
  edge::backup_report r;
  r.node = cluster_ ? cluster_->self_name : std::string{"local"};
  if (!node.empty() && node != r.node) {
    bool known = false;
    if (cluster_)
      for (const auto& n : cluster_->status().nodes) known = known || n.name == node;
    if (!known) return edge::api_error{api_errc::not_found, "no node '" + std::string{node} + "'"};
    // The journal holds every committed step of every debate (a worker's store is a copy of its
    // share): the edge's store is the one a cluster backs up.
    return edge::api_error{api_errc::invalid_value,
                           "backups are taken of this node (" + r.node + "), which holds the journal; " +
                               std::string{node} + " holds copies of its debates' steps"};
  }
  if (cfg_.backup_dir.empty())
    return edge::api_error{api_errc::unavailable, "no backup dir: set storage.backup_dir"};
  auto started = std::chrono::steady_clock::now();
  auto b = storage::create_backup(*db_, cfg_.backup_dir, cfg_.backup_keep);
  if (!b)
    return edge::api_error{b.code() == storage::backup_errc::backup_busy ? api_errc::conflict : api_errc::unavailable,
                           std::string{to_string(b.code())} + ": " + b.error().message};
  r.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  r.dir = cfg_.backup_dir;
  r.id = b->id;
  r.timestamp = b->timestamp;
  r.bytes = b->bytes;
  r.files = b->files;
  if (auto all = storage::list_backups(cfg_.backup_dir))
    r.kept = static_cast<uint32_t>(std::count_if(all->begin(), all->end(), [](const auto& x) { return !x.damaged; }));
  log::info("edge", "backed the store up into ", r.dir, " (backup ", r.id, ", ", r.files, " files, ", r.bytes,
            " bytes) in ", r.ms, " ms");
  return r;
}

edge::health_report node_backend::health() {
  edge::health_report h;
  h.running = cluster_ ? cluster_->running() : node_.running_debates();
  for (const auto& p : node_.provider_breakers())
    h.providers.emplace_back(p.name, std::string{resilience::to_string(p.state)});
  for (const auto& c : node_.supervision_status())
    if (c.breaker != resilience::breaker_state::closed || !c.up) {
      h.breakers_closed = false;
      h.detail = c.name + (c.up ? ": restart breaker open" : ": down");
      break;
    }
  return h;
}

}  // namespace aragora::node
