#pragma once
/// SyncThread: syncs a disk on a thread of its own, so that an event loop does not wait for
/// fsync (host::Host's `background_sync`). One sync runs at a time; a request made while one
/// runs is served by the next, which starts after it.
///
/// `sync` must be safe to call from this thread while the event loop writes (RocksDisk's
/// `sync_concurrently`); `post` hands a function to the event loop's thread. The destructor
/// waits for a running sync and drops requests not yet started (their callbacks never run):
/// destroy it before the disk and the event loop.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace calm::protocols::storage {

class SyncThread {
 public:
  using Done = std::function<void(const std::string* failure)>;

  SyncThread(std::function<std::optional<std::string>()> sync,
             std::function<void(std::function<void()>)> post)
      : sync_(std::move(sync)), post_(std::move(post)), thread_([this] { run(); }) {}

  ~SyncThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  /// Syncs every write made before this call, then posts `done` to the event loop.
  void request(Done done) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(done));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !requests_.empty(); });
      if (stop_) return;
      std::vector<Done> batch = std::move(requests_);
      requests_.clear();
      lock.unlock();
      // Every request in `batch` was made before this sync starts: it covers them all.
      std::optional<std::string> failure = sync_();
      for (Done& done : batch) {
        post_([done = std::move(done), failure] { done(failure ? &*failure : nullptr); });
      }
      lock.lock();
    }
  }

  std::function<std::optional<std::string>()> sync_;
  std::function<void(std::function<void()>)> post_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Done> requests_;
  bool stop_ = false;
  std::thread thread_;  // last: it starts once everything above is made
};

}  // namespace calm::protocols::storage
