#pragma once
// What calm's load tools share to run their servers themselves (--spawn): processes started
// on loopback, each with its data directory and log under one temporary directory, stopped
// and removed at the end; and a free loopback port for each.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace calm::apps {

/// The first port the kernel hands out for outgoing connections and port 0
/// (/proc/sys/net/ipv4/ip_local_port_range; Linux's default when it cannot be read).
inline std::uint16_t ephemeral_port_first() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0;
  if (range >> first && first > 0 && first < 65536) return static_cast<std::uint16_t>(first);
  return 32768;
}

/// A loopback port free now, for a process started soon after to listen on. Drawn at random
/// below the ephemeral range: a port the kernel chose (port 0) is one it may give the next
/// outgoing connection of any process (tests run side by side), which then takes the port
/// before the server binds it ("Address already in use"). Falls back to the kernel's choice
/// when the range leaves too little room below it.
inline std::uint16_t free_port() {
  namespace ip = boost::asio::ip;
  constexpr unsigned lowest = 10000, tries = 64;
  const unsigned first = ephemeral_port_first();
  boost::asio::io_context io;
  if (first > lowest + 1000) {
    std::random_device entropy;
    std::uniform_int_distribution<unsigned> pick(lowest, first - 1);
    static std::set<std::uint16_t> handed_out;  // not twice to this process's servers
    for (unsigned t = 0; t < tries; ++t) {
      const auto port = static_cast<std::uint16_t>(pick(entropy));
      if (!handed_out.insert(port).second) continue;
      ip::tcp::acceptor probe(io);
      boost::system::error_code ec;
      probe.open(ip::tcp::v4(), ec);
      if (!ec) probe.bind(ip::tcp::endpoint(ip::make_address("127.0.0.1"), port), ec);
      if (!ec) return port;
    }
  }
  ip::tcp::acceptor a(io, ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

class Processes {
 public:
  /// Makes the directory /tmp/<tag>.XXXXXX.
  explicit Processes(const std::string& tag) {
    std::string pattern = "/tmp/" + tag + ".XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  /// Stops every process (SIGTERM), prints the last line of each log that has " stats: " in
  /// it (what the servers say of themselves as they stop), removes the directory.
  ~Processes() {
    for (std::size_t i = 0; i < pids_.size(); ++i) stop(i, SIGTERM);
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      std::ifstream log(log_of(i));
      std::string line, stats;
      while (std::getline(log, line)) {
        if (line.find(" stats: ") != std::string::npos) stats = line;
      }
      if (!stats.empty()) std::printf("%s\n", stats.c_str());
    }
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  /// A path under the directory (a process's data directory).
  std::string path(const std::string& name) const { return (root_ / name).string(); }

  /// Registers a process, `name` for its log (<name>.log), not started; returns its index.
  std::size_t add(const std::string& name, std::vector<std::string> argv) {
    names_.push_back(name);
    args_.push_back(std::move(argv));
    pids_.push_back(-1);
    return pids_.size() - 1;
  }
  void start(std::size_t i) {
    const std::string log = log_of(i);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      std::FILE* out = std::freopen(log.c_str(), "a", stderr);
      static_cast<void>(out);
      std::vector<char*> argv;
      for (std::string& a : args_[i]) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::perror("execv");
      ::_exit(127);
    }
    pids_[i] = pid;
  }
  void stop(std::size_t i, int signal) {
    if (pids_[i] <= 0) return;
    ::kill(pids_[i], signal);
    int status = 0;
    ::waitpid(pids_[i], &status, 0);
    pids_[i] = -1;
  }
  std::string log_of(std::size_t i) const { return path(names_[i] + ".log"); }
  /// Every log, for a run that failed.
  void dump_logs(std::ostream& out) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      out << names_[i] << "'s log:\n";
      std::ifstream log(log_of(i));
      out << log.rdbuf() << "\n";
    }
  }

 private:
  std::filesystem::path root_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> args_;
  std::vector<pid_t> pids_;
};

}  // namespace calm::apps
