#include "raft/sim/random_run.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "raft/sim/cluster.h"
#include "raft/util.h"

namespace etcdpp::raft::sim {
namespace {

// What a seed chooses before the run.
struct Scenario {
  int members = 3;
  int drop_percent = 0;
  int duplicate_percent = 0;
  bool crashes = false;
  bool conf_changes = false;
  bool compaction = false;
  Options options;

  std::string Describe() const {
    const Config& c = options.raft;
    return absl::StrCat(members, " members, election_tick ", c.election_tick, ", pre_vote ",
                        c.pre_vote, ", check_quorum ", c.check_quorum, ", max_size_per_msg ",
                        c.max_size_per_msg, ", max_inflight ", c.max_inflight_msgs, ", drop ",
                        drop_percent, "%, duplicate ", duplicate_percent, "%, crashes ", crashes,
                        ", crash_in_ready ", options.crash_in_ready_per_mille,
                        "/1000, leader_sends_first ", options.leader_sends_first, ", conf_changes ",
                        conf_changes, ", compaction ", compaction);
  }
};

Scenario ChooseScenario(std::mt19937_64& rng) {
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  Scenario s;
  static constexpr int kSizes[] = {3, 3, 3, 3, 5, 5, 5, 7};
  s.members = kSizes[rng() % 8];
  Config& c = s.options.raft;
  c.heartbeat_tick = 1;
  c.election_tick = 3 + static_cast<int>(rng() % 5);
  c.pre_vote = chance(50);
  c.check_quorum = chance(50);
  c.max_size_per_msg = chance(30) ? 1 : (chance(50) ? 100 : 1 << 20);  // 1: one entry per MsgApp
  static constexpr size_t kInflight[] = {1, 2, 4, 256};
  c.max_inflight_msgs = kInflight[rng() % 4];
  static constexpr int kDrop[] = {0, 0, 2, 5, 10, 30};
  s.drop_percent = kDrop[rng() % 6];
  s.duplicate_percent = chance(30) ? 5 : 0;
  s.crashes = chance(60);
  s.conf_changes = chance(40);
  s.compaction = chance(40);
  s.options.leader_sends_first = chance(50);
  s.options.crash_in_ready_per_mille = s.crashes && chance(50) ? 10 : 0;
  s.options.sync_state_machine_percent = chance(50) ? 30 : 0;
  s.options.report_unreachable = chance(50);
  return s;
}

class RandomRun {
 public:
  RandomRun(uint64_t seed, const RunOptions& options)
      : seed_(seed),
        options_(options),
        rng_(seed),
        scenario_(ChooseScenario(rng_)),
        cluster_(InitialIds(scenario_.members), ClusterOptions(scenario_, options.trace), rng_()) {
    next_id_ = static_cast<uint64_t>(scenario_.members) + 1;
  }

  absl::Status Run(RunStats* stats) {
    for (int step = 0; step < options_.steps && cluster_.status().ok(); ++step) Step();
    if (cluster_.status().ok()) Heal();
    uint64_t ticks = 0;
    if (cluster_.status().ok()) ticks = MakeProgress();
    if (cluster_.status().ok()) cluster_.CheckLogMatching();
    if (stats != nullptr) {
      stats->leaders += cluster_.checker().leaders_elected();
      stats->committed += cluster_.checker().max_commit();
      stats->crashes += crashes_;
      stats->conf_changes += conf_changes_;
      stats->liveness_ticks = std::max(stats->liveness_ticks, ticks);
    }
    if (cluster_.status().ok()) return absl::OkStatus();
    std::string msg = absl::StrCat("seed ", seed_, " (", scenario_.Describe(),
                                   "): ", cluster_.status().message());
    if (options_.trace) {
      const std::vector<std::string>& t = cluster_.trace();
      size_t from = t.size() > 400 ? t.size() - 400 : 0;
      absl::StrAppend(&msg, "\ntrace (last ", t.size() - from, " inputs):\n",
                      absl::StrJoin(t.begin() + static_cast<std::ptrdiff_t>(from), t.end(), "\n"));
    }
    return absl::InternalError(msg);
  }

 private:
  static Options ClusterOptions(Scenario s, bool trace) {
    s.options.trace = trace;
    return s.options;
  }

  static std::vector<uint64_t> InitialIds(int n) {
    std::vector<uint64_t> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(static_cast<uint64_t>(i));
    return ids;
  }

  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[rng_() % v.size()];
  }
  void Trace(const std::string& s) {
    if (options_.trace) cluster_.Trace(s);
  }

  std::vector<uint64_t> DownIds() const {
    std::vector<uint64_t> out;
    for (uint64_t id : cluster_.ids()) {
      Node& n = const_cast<Cluster&>(cluster_).node(id);
      if (!n.up() && !n.removed()) out.push_back(id);
    }
    return out;
  }

  void Step() {
    std::vector<uint64_t> live = cluster_.LiveIds();
    uint64_t r = rng_() % 100;
    if (r < 50) {
      if (!cluster_.network().empty()) return Deliver();
      r = 50 + rng_() % 50;
    }
    if (live.empty()) {
      std::vector<uint64_t> down = DownIds();
      if (!down.empty()) Restart(Pick(down));
      return;
    }
    uint64_t id = Pick(live);
    if (r < 68) {
      Trace(absl::StrCat("tick ", id));
      cluster_.Tick(id);
    } else if (r < 71) {
      Trace("tick all");
      cluster_.TickAll();
    } else if (r < 84) {
      std::string data = absl::StrCat("p", ++proposals_);
      Trace(absl::StrCat("propose ", data, " at ", id));
      (void)cluster_.Propose(id, data);
    } else if (r < 87) {
      std::string ctx = absl::StrCat("r", ++reads_);
      Trace(absl::StrCat("read ", ctx, " at ", id));
      cluster_.ReadIndex(id, ctx);
    } else if (r < 90) {
      if (scenario_.crashes) {
        ++crashes_;
        Trace(absl::StrCat("crash ", id));
        cluster_.Crash(id);
      }
    } else if (r < 93) {
      std::vector<uint64_t> down = DownIds();
      if (!down.empty()) Restart(Pick(down));
    } else if (r < 95) {
      Partition();
    } else if (r < 97) {
      if (scenario_.compaction) {
        Trace(absl::StrCat("compact ", id));
        cluster_.CompactLog(id, rng_() % 4);
      }
    } else if (r < 98) {
      if (scenario_.conf_changes) ChangeConf(id);
    } else if (r < 99) {
      uint64_t leader = cluster_.Leader();
      if (leader != 0) {
        uint64_t to = Pick(cluster_.config().voters);
        Trace(absl::StrCat("transfer leadership from ", leader, " to ", to));
        cluster_.TransferLeader(leader, to);
      }
    } else {
      Trace(absl::StrCat("campaign ", id));
      (void)cluster_.Campaign(id);
    }
  }

  void Deliver() {
    Network& net = cluster_.network();
    // Mostly near the front (delays), sometimes anywhere (reordering).
    size_t i = Chance(70) ? rng_() % std::min<size_t>(net.size(), 3) : rng_() % net.size();
    Cluster::Fate fate = Cluster::Fate::kDeliver;
    if (Chance(scenario_.drop_percent)) {
      fate = Cluster::Fate::kDrop;
    } else if (Chance(scenario_.duplicate_percent)) {
      fate = Cluster::Fate::kDuplicate;
    }
    cluster_.Deliver(i, fate);
  }

  void Restart(uint64_t id) {
    bool synced = Chance(50);
    Trace(absl::StrCat("restart ", id, synced ? " from its synced state machine" : ""));
    cluster_.Restart(id, synced);
  }

  void Partition() {
    Network& net = cluster_.network();
    if (net.Partitioned() && Chance(50)) {
      Trace("heal");
      net.Heal();
      return;
    }
    int groups = Chance(70) ? 2 : 3;
    std::string desc = "partition";
    for (uint64_t id : cluster_.ids()) {
      int g = static_cast<int>(rng_() % static_cast<uint64_t>(groups));
      net.SetGroup(id, g);
      absl::StrAppend(&desc, " ", id, ":", g);
    }
    Trace(desc);
  }

  void ChangeConf(uint64_t id) {
    const ConfState& cs = cluster_.config();
    size_t members = cs.voters.size() + cs.learners.size();
    ConfChange cc;
    uint64_t r = rng_() % 4;
    if (r == 0 && members < 7) {
      cc = {.type = ConfChangeType::kAddNode, .node_id = next_id_++};
    } else if (r == 1 && members < 7 && cs.learners.empty()) {
      cc = {.type = ConfChangeType::kAddLearnerNode, .node_id = next_id_++};
    } else if (r == 2 && !cs.learners.empty()) {
      cc = {.type = ConfChangeType::kAddNode, .node_id = Pick(cs.learners)};  // promote
    } else if (cs.voters.size() >= 3) {
      cc = {.type = ConfChangeType::kRemoveNode, .node_id = Pick(cs.voters)};
    } else {
      return;
    }
    uint64_t at = cluster_.Leader() != 0 && Chance(80) ? cluster_.Leader() : id;
    Trace(absl::StrCat("conf change ", static_cast<int>(cc.type), " of ", cc.node_id, " at ", at));
    ++conf_changes_;
    (void)cluster_.ProposeConfChange(at, cc);
  }

  // Fair conditions from here on: no loss, no partition, every member running.
  void Heal() {
    Trace("--- heal everything");
    Options& o = cluster_.options();
    o.crash_in_ready_per_mille = 0;
    cluster_.network().Heal();
    scenario_.drop_percent = 0;
    scenario_.duplicate_percent = 0;
    for (uint64_t id : DownIds()) cluster_.Restart(id, Chance(50));
  }

  // Ticks until a proposal is applied on every member; returns the ticks it took.
  uint64_t MakeProgress() {
    uint64_t want_index = 0, want_term = 0;
    for (int t = 0; t < options_.liveness_ticks; ++t) {
      cluster_.TickAll();
      cluster_.Settle();
      if (!cluster_.status().ok()) return static_cast<uint64_t>(t);
      if (want_index != 0 && AllApplied(want_index, want_term)) return static_cast<uint64_t>(t);
      uint64_t leader = cluster_.Leader();
      if (leader == 0 || (want_index != 0 && t % 20 != 0)) continue;
      Node& l = cluster_.node(leader);
      if (cluster_.Propose(leader, "live").ok() && l.up()) {
        want_index = l.raft().log().LastIndex();
        want_term = l.raft().term();
      }
    }
    std::string state;
    for (uint64_t id : cluster_.ids()) {
      Node& n = cluster_.node(id);
      absl::StrAppend(&state, " [", id, n.removed() ? " removed" : "", n.up() ? "" : " down");
      if (n.up()) {
        absl::StrAppend(&state, " state ", static_cast<int>(n.raft().state()), " term ",
                        n.raft().term(), " lead ", n.raft().lead(), " last ",
                        n.raft().log().LastIndex(), " commit ", n.raft().log().committed(),
                        " applied ", n.state_machine().index);
        if (n.raft().state() == StateType::kLeader) {
          for (const auto& [pid, pr] : n.raft().tracker().progress()) {
            absl::StrAppend(&state, " (", pid, ": ", pr.DebugString(), ")");
          }
        }
      }
      absl::StrAppend(&state, "]");
    }
    cluster_.checker().Fail(absl::StrCat(
        "liveness: no proposal committed on every member within ", options_.liveness_ticks,
        " ticks after healing (voters ", absl::StrJoin(cluster_.config().voters, ","), " learners ",
        absl::StrJoin(cluster_.config().learners, ","), ";", state, ")"));
    return static_cast<uint64_t>(options_.liveness_ticks);
  }

  bool AllApplied(uint64_t index, uint64_t term) {
    const ConfState& cs = cluster_.config();
    for (const std::vector<uint64_t>* ids : {&cs.voters, &cs.learners}) {
      for (uint64_t id : *ids) {
        Node& n = cluster_.node(id);
        if (!n.up() || n.state_machine().index < index) return false;
        std::optional<uint64_t> t = TermAt(n.raft().log(), index);
        if (t && *t != term) return false;
      }
    }
    return true;
  }

  const uint64_t seed_;
  const RunOptions options_;
  std::mt19937_64 rng_;
  Scenario scenario_;
  Cluster cluster_;
  uint64_t next_id_ = 0;
  uint64_t proposals_ = 0;
  uint64_t reads_ = 0;
  uint64_t crashes_ = 0;
  uint64_t conf_changes_ = 0;
};

}  // namespace

[[nodiscard]] absl::Status RunRandomSimulation(uint64_t seed, const RunOptions& options,
                                               RunStats* stats) {
  RandomRun run(seed, options);
  return run.Run(stats);
}

}  // namespace etcdpp::raft::sim
