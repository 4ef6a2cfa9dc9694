// calm-sim: runs seeded replicated workloads on the network simulator and checks each seed
// (see sim/run_seed.hpp and docs/replication.md). Ends with one line: "N seeds, K failed".
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/run_seed.hpp"

namespace {

using calm::apps::sim::Durability;
using calm::apps::sim::FaultMix;
using calm::apps::sim::Workload;

constexpr std::string_view usage =
    "usage: calm-sim [--first-seed S] [--seeds N] [--faults MIX] [--workload W]\n"
    "                [--replicas R] [--sync S] [--verbose]\n"
    "  MIX: none, loss, dup-reorder, partition, crash-disk, crash-amnesia, disk-full, all\n"
    "       (default all)\n"
    "  W:   set, counter, register, map, or any (default any: the seed picks)\n"
    "  S:   when-asked (the protocol's syncs only), every-batch, or any (default any: the\n"
    "       seed picks)\n";

[[noreturn]] void fail_usage(std::string_view why) {
  std::cerr << "calm-sim: " << why << "\n" << usage;
  std::exit(2);
}

/// A decimal number in [0, UINT64_MAX]: digits only (strtoull would take "-1" as UINT64_MAX,
/// and leading blanks or a '+').
std::uint64_t parse_number(std::string_view flag, std::string_view text) {
  const auto bad = [&] {
    fail_usage(std::string(flag) + " needs a number from 0 to 18446744073709551615, not '" +
               std::string(text.substr(0, 40)) + "'");
  };
  if (text.empty()) bad();
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') bad();
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) bad();
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t first_seed = 1;
  std::uint64_t seeds = 100;
  FaultMix faults = FaultMix::all;
  std::optional<Workload> workload;
  std::optional<Durability> durability;
  std::size_t replicas = 5;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--verbose") {
      verbose = true;
      continue;
    }
    if (flag == "--help") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc) fail_usage(std::string(flag) + " needs a value");
    const std::string_view value = argv[++i];
    if (flag == "--first-seed") {
      first_seed = parse_number(flag, value);
    } else if (flag == "--seeds") {
      seeds = parse_number(flag, value);
    } else if (flag == "--replicas") {
      replicas = parse_number(flag, value);
      if (replicas < 2 || replicas > 64) fail_usage("--replicas must be in [2, 64]");
    } else if (flag == "--faults") {
      auto parsed = calm::apps::sim::parse_fault_mix(value);
      if (!parsed) fail_usage("unknown fault mix");
      faults = *parsed;
    } else if (flag == "--sync") {
      if (value != "any") {
        durability = calm::apps::sim::parse_durability(value);
        if (!durability) fail_usage("unknown sync mode");
      }
    } else if (flag == "--workload") {
      if (value != "any") {
        workload = calm::apps::sim::parse_workload(value);
        if (!workload) fail_usage("unknown workload");
      }
    } else {
      fail_usage("unknown flag " + std::string(flag));
    }
  }

  // The seeds run are first_seed .. first_seed + seeds - 1, which must not pass UINT64_MAX.
  if (seeds == 0) fail_usage("--seeds must be at least 1");
  if (seeds - 1 > UINT64_MAX - first_seed) {
    fail_usage("--first-seed + --seeds - 1 is past the last seed, 18446744073709551615");
  }

  const auto started = std::chrono::steady_clock::now();
  std::uint64_t failed = 0;
  std::uint64_t simulated_ms = 0;
  constexpr Workload workloads[] = {Workload::set, Workload::counter, Workload::register_,
                                    Workload::map};
  for (std::uint64_t done = 0; done < seeds; ++done) {
    const std::uint64_t seed = first_seed + done;  // cannot wrap: checked above
    calm::apps::sim::RunOptions options;
    options.seed = seed;
    options.faults = faults;
    options.replicas = replicas;
    options.workload = workload ? *workload : workloads[seed % 4];
    // Independent of the workload's choice: every workload runs in both modes.
    options.durability = durability            ? *durability
                         : (seed / 4) % 2 == 0 ? Durability::sync_when_asked
                                               : Durability::sync_every_batch;
    const auto result = calm::apps::sim::run_seed(options);
    simulated_ms += result.simulated_ms;
    const std::string replay = "calm-sim --first-seed " + std::to_string(seed) +
                               " --seeds 1 --faults " + std::string(calm::apps::sim::name(faults)) +
                               " --workload " +
                               std::string(calm::apps::sim::name(options.workload)) +
                               " --replicas " + std::to_string(replicas) + " --sync " +
                               std::string(calm::apps::sim::name(options.durability));
    if (!result.ok()) {
      ++failed;
      std::cout << "FAILED seed " << seed << ": " << result.failure << "\n  replay: " << replay
                << "\n";
    } else if (verbose) {
      const auto& n = result.network;
      std::cout << "ok seed " << seed << " (" << calm::apps::sim::name(options.workload)
                << ", sync " << calm::apps::sim::name(options.durability) << "): " << result.writes
                << " writes, " << result.acknowledged << " acknowledged, converged "
                << result.convergence_ms << " ms after the heal; sent " << n.sent << ", lost "
                << n.dropped_loss << ", partitioned " << n.dropped_partition << ", to a down node "
                << n.dropped_down << ", duplicated " << n.duplicated << ", reordered "
                << n.reordered << ", crashes " << n.crashes << ", unsynced batches lost "
                << n.batches_lost << ", batches refused " << result.batches_failed << "; digest "
                << std::hex << result.trace_digest << std::dec << "\n";
    }
  }
  const double real_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double simulated_s = static_cast<double>(simulated_ms) / 1000.0;
  std::cout << "simulated " << simulated_s << " s in " << real_s
            << " s of real time: " << (real_s > 0 ? simulated_s / real_s : 0.0)
            << " simulated s per real s\n";
  std::cout << seeds << " seeds, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
