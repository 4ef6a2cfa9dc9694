// The code that runs on more than one thread, under ThreadSanitizer in the tsan preset (and
// as plain tests in the others): AWSet's count, which a const size() fills in on demand, and
// SyncThread, which syncs a RocksDB log while the event loop writes to it (calm-kvs's
// background fsync). The TCP runtime's cross-thread post() and stop() (KvsServer::stop is the
// runtime's stop) are covered by tests/protocols/tcp_test.cpp, which the tsan preset builds
// into this executable too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lattices/aw_set.hpp"
#include "protocols/storage/rocks_disk.hpp"
#include "protocols/storage/sync_thread.hpp"

namespace {

using calm::lattices::AWSet;
using calm::protocols::storage::RocksDisk;
using calm::protocols::storage::Sync;
using calm::protocols::storage::SyncThread;

// Two threads read one const set whose count a large join left unknown: both may count, and
// both store the same number (the count is atomic, so this is not a race).
TEST(Threads, TwoReadersOfOneSetCountItOnce) {
  for (int round = 0; round < 20; ++round) {
    AWSet<std::uint64_t> a, b;
    for (std::uint64_t i = 0; i < 2'000; ++i) {
      a.add(1, i);
      b.add(2, i + 1'000);
    }
    a.merge(b);
    const AWSet<std::uint64_t>& shared = a;
    std::size_t seen[2] = {0, 0};
    std::thread first([&] { seen[0] = shared.size(); });
    std::thread second([&] { seen[1] = shared.size(); });
    first.join();
    second.join();
    EXPECT_EQ(seen[0], 3'000u);
    EXPECT_EQ(seen[1], 3'000u);
  }
}

/// An event loop's queue: SyncThread posts completions to it from its own thread.
class Loop {
 public:
  void post(std::function<void()> f) {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(f));
  }
  /// Runs what was posted; returns how many ran.
  std::size_t run_posted() {
    std::deque<std::function<void()>> ready;
    {
      const std::lock_guard lock(mutex_);
      ready.swap(queue_);
    }
    for (auto& f : ready) f();
    return ready.size();
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
};

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("calm-threads-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The event loop writes unsynced batches and asks for syncs; SyncThread syncs RocksDB's log
// on its own thread meanwhile and posts each completion back. Every request is answered once,
// without a failure, and what was written before a request is readable after it.
TEST(Threads, SyncThreadSyncsWhileTheLoopWrites) {
  TempDir dir;
  RocksDisk disk(dir.path(), &calm::protocols::storage::refuse_merges, Sync::no);
  Loop loop;
  std::size_t answered = 0;
  std::size_t requested = 0;
  {
    SyncThread syncer([&] { return disk.sync_concurrently(); },
                      [&](std::function<void()> f) { loop.post(std::move(f)); });
    for (int i = 0; i < 300; ++i) {
      disk.put("k" + std::to_string(i), std::string(100, 'v'), Sync::no);
      if (i % 3 == 0) {
        ++requested;
        syncer.request([&answered](const std::string* failure) {
          EXPECT_EQ(failure, nullptr);
          ++answered;
        });
      }
      loop.run_posted();
    }
    while (answered < requested) {
      loop.run_posted();
      std::this_thread::yield();
    }
  }
  EXPECT_EQ(answered, 100u);
  EXPECT_EQ(loop.run_posted(), 0u);
  EXPECT_EQ(disk.get("k299"), std::optional<std::string>(std::string(100, 'v')));
}

// Destroying a SyncThread while a sync runs waits for that sync, and a callback runs only for a
// sync that finished: the first request's, and the ten made meanwhile only if the thread took
// them before the destructor told it to stop (it usually does not: the gate opens 20 ms into
// the destructor's wait, but a slow machine may reorder that).
TEST(Threads, SyncThreadStopsWithASyncInProgress) {
  Loop loop;
  std::atomic<bool> started = false;
  std::atomic<bool> open = false;  // the sync in progress waits for it
  std::size_t syncs = 0;
  std::size_t answered = 0;
  std::thread opener;
  {
    SyncThread syncer(
        [&]() -> std::optional<std::string> {
          started = true;
          while (!open) std::this_thread::yield();
          ++syncs;
          return std::nullopt;
        },
        [&](std::function<void()> f) { loop.post(std::move(f)); });
    syncer.request([&](const std::string*) { ++answered; });
    while (!started) std::this_thread::yield();
    for (int i = 0; i < 10; ++i) syncer.request([&](const std::string*) { ++answered; });
    // Opens the gate while this thread is in the destructor, which must wait for the sync.
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      open = true;
    });
  }
  opener.join();
  ASSERT_TRUE(syncs == 1 || syncs == 2) << syncs;
  const std::size_t expected = syncs == 1 ? 1 : 11;
  EXPECT_EQ(loop.run_posted(), expected);
  EXPECT_EQ(answered, expected);
  EXPECT_EQ(loop.run_posted(), 0u);
}

}  // namespace
