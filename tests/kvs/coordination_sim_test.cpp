// calm-kvs's linearizable keys, end to end below the sockets: three replicas, each a
// LogCoordination (the Paxos log of LinearMachine, and forwarding) on net::Channels, in the
// deterministic simulator with lost, duplicated and late messages, crashes and partitions, and
// clocks that disagree. Clients at every replica submit SET / GET / INCR on registers and a
// counter, and take a lock with SET NX PX. Each seed checks:
//   - the history of every key is linearizable (operations whose reply never came, or that
//     failed, count as unknown);
//   - the lock never has two holders at once, where a holder counts its lock from its reply
//     until its request's send time plus the lock's time minus the clocks' largest disagreement;
//   - a queue (RPUSH / LPOP of a list key) pops each value at most once, only values pushed,
//     and loses no acknowledged push;
//   - every command is answered (applied, or an error) within the coordination timeout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cstdint>
#include <kvs/coordination.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lattices/random.hpp"
#include "lattices/serialize.hpp"
#include "protocols/check/linearizability.hpp"
#include "protocols/net/channels.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/storage/memory_disk.hpp"
#include "redis_model.hpp"

namespace calm::apps::kvs {
namespace {

namespace net = protocols::net;
namespace check = protocols::check;
namespace storage = protocols::storage;

Request words(std::initializer_list<std::string> w) { return Request(w); }

using Op = check::Operation<RedisModel::Input, RedisModel::Output>;

constexpr std::uint64_t lock_ms = 300;
constexpr std::uint64_t timeout_ms = 2000;

struct Cluster {
  Cluster(std::uint64_t seed, std::uint64_t skew_max_ms, std::uint64_t rogue_ms)
      : sim(seed, network()), random(seed ^ 0x5eed) {
    for (std::uint64_t id = 0; id < 3; ++id) {
      skew.push_back(random.next() % (skew_max_ms + 1) + (id == 0 ? rogue_ms : 0));
      CoordinationOptions o;
      o.self = id;  // the simulator's node ids: 0, 1, 2
      o.members = {0, 1, 2};
      o.timeout_ms = timeout_ms;
      o.lanes = 64;
      o.paxos.seed = seed * 3 + id;
      o.paxos.snapshot_every_slots = 50;  // snapshots and their transfers happen too
      o.wall_ms = [this, id] { return 1'000'000 + sim.now_ms() + skew[id]; };
      // Odd seeds sync the log in the background, as calm-kvs does: a sync covers the batches
      // written before it starts and ends 0-3 ms later (a crash meanwhile: it never does).
      if (seed % 2 == 1) {
        o.background_sync = [this, id](std::function<void(const std::string*)> done) {
          storage::MemoryDisk* disk = disks[id];
          const std::uint64_t covered = disk->batches_written();
          std::weak_ptr<bool> alive = incarnations[id];
          sim.at(sim.now_ms() + sim.random().below(4), [disk, alive, covered, done] {
            if (alive.expired()) return;
            disk->sync_through(covered);
            done(nullptr);
          });
        };
      }
      logs.push_back(std::make_unique<LogCoordination>(std::move(o)));
    }
    disks.resize(3);
    incarnations.resize(3);
    for (std::uint64_t id = 0; id < 3; ++id) {
      sim.add_node([this, id](const net::NodeContext& context) {
        disks[id] = &dynamic_cast<storage::MemoryDisk&>(context.disk);
        incarnations[id] = std::make_shared<bool>(true);  // a restart: the old syncs are void
        auto channels = std::make_unique<net::Channels>(context);
        logs[id]->attach(*channels, 1, 2);
        return channels;
      });
    }
  }

  static net::NetworkConfig network() {
    net::NetworkConfig n;
    n.latency_min_ms = 1;
    n.latency_max_ms = 8;
    n.loss = 0.03;
    n.duplicate = 0.02;
    n.slow = 0.02;
    return n;
  }

  net::Simulator sim;
  calm::SplitMix64 random;
  std::vector<std::uint64_t> skew;
  std::vector<std::unique_ptr<LogCoordination>> logs;
  std::vector<storage::MemoryDisk*> disks;
  std::vector<std::shared_ptr<bool>> incarnations;
};

struct SeedRun {
  std::vector<Op> history;
  /// The queue (a list key): values pushed (acknowledged or not) and values popped.
  std::map<std::string, bool> pushed;  // value -> acknowledged
  std::vector<std::string> popped;
  std::size_t unanswered_pops = 0;  // failed: applied or not, nobody knows
  std::vector<std::pair<std::uint64_t, std::uint64_t>> holds;  // [from, until) per lock taken
  std::size_t submitted = 0, answered = 0, failed = 0;
  std::string error;
};

/// One seed: clients at every replica for 6 s of faults, then 4 s healed. The replicas'
/// clocks differ by up to `skew_max_ms`, and replica 0's runs `rogue_ms` further ahead.
SeedRun run_seed(std::uint64_t seed, std::uint64_t skew_max_ms = 20, std::uint64_t rogue_ms = 0) {
  Cluster c(seed, skew_max_ms, rogue_ms);
  SeedRun run;
  calm::SplitMix64& random = c.random;
  constexpr std::uint64_t faults_until_ms = 6000, end_ms = 10000;
  // Faults: each second, maybe a crash (restarted 100-600 ms later) or a partition of one
  // replica (healed 200-1200 ms later).
  for (std::uint64_t t = 500; t < faults_until_ms; t += 1000) {
    const net::NodeId victim = random.next() % 3;
    if (random.next() % 2 == 0) {
      c.sim.at(t, [&c, victim] {
        if (c.sim.is_up(victim)) c.sim.crash(victim, net::DiskFate::keep);
      });
      c.sim.at(t + 100 + random.next() % 500, [&c, victim] {
        if (!c.sim.is_up(victim)) c.sim.restart(victim);
      });
    } else {
      std::vector<net::NodeId> rest;
      for (net::NodeId n = 0; n < 3; ++n) {
        if (n != victim) rest.push_back(n);
      }
      c.sim.at(t, [&c, victim, rest] { c.sim.partition({victim}, rest); });
      c.sim.at(t + 200 + random.next() % 1000, [&c] { c.sim.heal(); });
    }
  }
  c.sim.at(faults_until_ms, [&c] {
    c.sim.heal();
    for (net::NodeId n = 0; n < 3; ++n) {
      if (!c.sim.is_up(n)) c.sim.restart(n);
    }
  });
  // Clients: two per replica, each with one command in flight, a new one 0-30 ms after.
  struct Client {
    std::uint64_t id;
    net::NodeId at;
  };
  std::vector<Client> clients;
  for (std::uint64_t i = 0; i < 6; ++i) clients.push_back({i, i % 3});
  std::function<void(std::size_t)> next;
  next = [&](std::size_t who) {
    const Client& client = clients[who];
    if (c.sim.now_ms() >= end_ms - timeout_ms - 100) return;
    if (!c.sim.is_up(client.at)) {  // the client waits for its replica
      c.sim.at(c.sim.now_ms() + 50, [&next, who] { next(who); });
      return;
    }
    const std::uint64_t pick = random.next() % 12;
    LinearOp op;
    op.kind = LinearOp::Kind::command;
    const std::uint64_t called = c.sim.now_ms();
    ++run.submitted;
    const auto again = [&c, &next, who] {
      c.sim.at(c.sim.now_ms() + c.random.next() % 30, [&next, who] { next(who); });
    };
    if (pick >= 10) {  // the queue: RPUSH of a value never pushed before, or LPOP
      const bool push = pick == 10;
      const std::string value = "v" + std::to_string(run.submitted);
      op.commands.push_back(push ? words({"RPUSH", "q", value}) : words({"LPOP", "q"}));
      if (push) run.pushed[value] = false;
      c.logs[client.at]->submit(
          std::move(op), false, [&run, push, value, again](bool ok, std::string reply) {
            ++run.answered;
            run.failed += !ok;
            if (ok && push) run.pushed[value] = true;
            run.unanswered_pops += !ok && !push;
            if (ok && !push && reply.starts_with("$") && reply != "$-1\r\n") {
              const std::size_t start = reply.find("\r\n") + 2;
              run.popped.push_back(reply.substr(start, reply.size() - start - 2));
            }
            again();
          });
      return;
    }
    if (pick == 0) {  // the lock
      op.commands.push_back(
          words({"SET", "lock", std::to_string(client.id), "NX", "PX", std::to_string(lock_ms)}));
      c.logs[client.at]->submit(std::move(op), false,
                                [&run, &c, called, skew_max_ms, again](bool ok, std::string reply) {
                                  ++run.answered;
                                  run.failed += !ok;
                                  // A holder counts its lock from the reply until its send time
                                  // plus the lock's time, less the clocks' disagreement: a reply
                                  // that comes later than that (a retry answered by the client
                                  // table) holds nothing.
                                  const std::uint64_t until = called + lock_ms - skew_max_ms;
                                  if (ok && reply == "+OK\r\n" && c.sim.now_ms() < until) {
                                    run.holds.push_back({c.sim.now_ms(), until});
                                  }
                                  again();
                                });
      return;
    }
    RedisModel::Input in;
    in.key = pick < 4 ? "r" + std::to_string(pick % 2) : "n";
    in.command = pick < 4 ? (pick % 2 == 0 ? "set" : "get") : (pick < 7 ? "incr" : "get");
    if (in.command == "set") in.value = std::to_string(random.next() % 1000);
    if (in.command == "get" && pick >= 7) in.key = "r" + std::to_string(pick % 2);
    const bool read = in.command == "get";
    Request request = in.command == "set"   ? words({"SET", in.key, in.value})
                      : in.command == "get" ? words({"GET", in.key})
                                            : words({"INCR", in.key});
    op.commands.push_back(std::move(request));
    const std::size_t index = run.history.size();
    run.history.push_back({client.id, in, std::nullopt, called, check::never});
    c.logs[client.at]->submit(std::move(op), read,
                              [&run, &c, index, read, again](bool ok, std::string reply) {
                                ++run.answered;
                                run.failed += !ok;
                                Op& o = run.history[index];
                                if (ok) {
                                  o.output = std::move(reply);
                                  o.returned = c.sim.now_ms();
                                } else if (read) {
                                  o.input.command = "drop";  // a failed read observed nothing
                                }
                                again();
                              });
  };
  for (std::size_t i = 0; i < clients.size(); ++i) {
    c.sim.at(10 + i, [&next, i] { next(i); });
  }
  c.sim.run_until(end_ms);
  if (run.answered != run.submitted) {
    run.error = std::to_string(run.submitted - run.answered) + " commands never answered";
    return run;
  }
  std::erase_if(run.history, [](const Op& o) { return o.input.command == "drop"; });
  const auto result = check::check_linearizable(RedisModel{}, run.history);
  if (!result) {
    run.error = result.report;
    return run;
  }
  // The queue: no value popped twice, none popped that was never pushed, none both popped and
  // still in the list, and every acknowledged push popped or still there, except as many as
  // the pops whose reply never came (applied, unanswered) may have taken.
  std::map<std::string, int> times_popped;
  for (const std::string& v : run.popped) {
    if (++times_popped[v] > 1 || !run.pushed.contains(v)) {
      run.error = "queue value " + v + " popped twice or never pushed";
      return run;
    }
  }
  if (const LinearReplica* replica = c.logs[0]->replica()) {
    LinearOp read;
    read.commands.push_back(words({"LRANGE", "q", "0", "-1"}));
    const std::string left = replica->machine().query(encode(read));
    std::size_t missing = 0;
    for (const auto& [value, acknowledged] : run.pushed) {
      const bool there = left.find("\r\n" + value + "\r\n") != std::string::npos;
      if (there && times_popped.contains(value)) {
        run.error = "queue value " + value + " popped and still in the list";
        return run;
      }
      missing += acknowledged && !there && !times_popped.contains(value);
    }
    if (missing > run.unanswered_pops) {
      run.error = std::to_string(missing) + " acknowledged pushes lost (" +
                  std::to_string(run.unanswered_pops) + " pops unanswered)";
      return run;
    }
  }
  std::sort(run.holds.begin(), run.holds.end());
  for (std::size_t i = 1; i < run.holds.size(); ++i) {
    if (run.holds[i].first < run.holds[i - 1].second) {
      run.error = "two lock holders: one from " + std::to_string(run.holds[i - 1].first) +
                  " until " + std::to_string(run.holds[i - 1].second) + ", one from " +
                  std::to_string(run.holds[i].first);
      return run;
    }
  }
  return run;
}

/// The forwarding channel's message, as coordination.cpp encodes it (a forward of a read).
struct Forward {
  std::uint8_t type = 1;
  std::uint64_t client = 0;
  std::uint64_t seq = 1;
  bool read = true;
  std::uint8_t kind = 0;
  std::optional<std::uint64_t> leader;
  std::string payload = "x";
  template <class Archive>
  void serialize(Archive& ar) {
    ar(type, client, seq, read, kind, leader, payload);
  }
};

/// A forwarded command on a lane its sender does not have is refused: the log's client table
/// (exactly once) then holds at most members x (lanes + 2) clients, not 2^24 per member.
TEST(CoordinationSim, AForwardOnALaneBeyondTheLanesIsRefused) {
  Cluster c(1, 0, 0);
  c.sim.run_for(10);
  const auto forward_on = [&](std::uint64_t lane) {
    Forward f;
    f.client = (std::uint64_t{1} << 24) | lane;  // member 1's lane
    c.sim.node(0)->on_message(1, std::string(1, '\x02') + lattices::to_bytes(f));
  };
  const LogCoordination::Stats before = c.logs[0]->stats();
  forward_on(64);  // lanes 0-63 (o.lanes), then the read and clock lanes at the top
  EXPECT_EQ(c.logs[0]->stats().rejected_messages, before.rejected_messages + 1);
  EXPECT_EQ(c.logs[0]->stats().served_for_peers, before.served_for_peers);
  forward_on(63);
  forward_on((std::uint64_t{1} << 24) - 1);  // the read lane
  EXPECT_EQ(c.logs[0]->stats().rejected_messages, before.rejected_messages + 1);
  EXPECT_EQ(c.logs[0]->stats().served_for_peers, before.served_for_peers + 2);
}

TEST(CoordinationSim, OneSeedIsLinearizableWithOneLockHolderAndEveryCommandAnswered) {
  const SeedRun run = run_seed(1);
  EXPECT_EQ(run.error, "");
  EXPECT_GT(run.history.size(), 200u);
  EXPECT_GT(run.holds.size(), 3u);
  EXPECT_LT(run.failed, run.submitted / 2);
}

/// The lock's bound is a real one: a leader whose clock runs 250 ms ahead of the stated
/// disagreement (20 ms) ends locks early, and the check sees two holders.
TEST(CoordinationSim, ALeaderClockPastTheStatedBoundBreaksTheLockAndTheCheckSeesIt) {
  std::size_t broken = 0;
  // Seeds 33, 37, 53... break it (1-200 checked when expiry became strict).
  for (std::uint64_t seed = 1; seed <= 60 && broken == 0; ++seed) {
    broken += run_seed(seed, 20, 250).error.starts_with("two lock holders");
  }
  EXPECT_GT(broken, 0u);
}

TEST(CoordinationSim, SeedSweep) {
  // CALM_KVS_SIM_SEEDS widens the sweep (the CTest sweep runs many in the optimized build).
  const char* env = std::getenv("CALM_KVS_SIM_SEEDS");
  const std::uint64_t first = env ? std::strtoull(env, nullptr, 10) : 1;
  const char* count_env = std::getenv("CALM_KVS_SIM_COUNT");
  const std::uint64_t count = count_env ? std::strtoull(count_env, nullptr, 10) : 20;
  std::size_t operations = 0, holds = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const SeedRun run = run_seed(seed);
    ASSERT_EQ(run.error, "") << "seed " << seed;
    operations += run.history.size();
    holds += run.holds.size();
  }
  std::printf("kvs coordination sim: %llu seeds from %llu, %zu operations, %zu locks taken\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(first),
              operations, holds);
}

}  // namespace
}  // namespace calm::apps::kvs
