#pragma once
/// Host<P>: the one way a protocol reaches the disk and the network. A protocol is a sans-IO
/// state machine (no clock, socket or disk inside it); the host feeds it the inputs of one turn
/// of the event loop (peer messages, timers, the application's requests), then performs what
/// it asks for, once for the whole turn (ready.hpp):
///
///   inputs of a turn --> protocol --> Ready --> what may leave first (send_first)
///                                           --> one storage batch (synced when asked:
///                                               one fsync for the whole turn)
///                                           --> then sends, then finals to the application
///
/// The same host runs anti-entropy today, on the simulator and on TCP alike (it is a
/// net::Node), and the protocols that coordinate tomorrow.
///
/// The flush runs once the turn's inputs have run (net::Transport::defer), or when the
/// application calls `flush`. The wall clock reaches the protocol as an argument (`Input`):
/// the application's clock when it sets one, else the transport's.
///
/// A failed write (a full disk, an I/O error) changes nothing anyone can observe beyond what
/// the protocol said may leave first (`send_first`, which depends on nothing the batch
/// holds): the host sends nothing else of that turn and hands nothing on, and the protocol
/// rolls back to what the disk holds (`rollback`: it reloads the keys of the failed batch from the
/// disk). The application hears of the failure (`on_turn_end`) and fails the turn's requests.
///
/// A protocol P provides (the `Protocol` concept below):
///   - `P::Final`, `P::disk_prefix` (the keys it persists start with it);
///   - `restore(key, bytes)` for each persisted entry at boot (the key without the prefix);
///   - `step(from, bytes, input)`, `tick(input)`, `tick_delay_ms(first)`;
///   - `ready()`: what accumulated since the last call (moves it out);
///   - `checkpoint()` and `rollback(checkpoint, failed, read)`: back to the state of the last
///     batch written, given the batch that failed and a way to read the disk;
///   - optionally `expect_keys(std::uint64_t)`: called before the restores of a boot with the
///     disk's estimate of its keys (Disk::estimated_keys), to size tables once;
///   - optionally `bool durable(std::uint64_t flush)`: every batch of the flushes up to `flush`
///     (the host's calls of `ready()`, counted from 1 since it was made) is written, and synced
///     where it asked; true when that gave the protocol something to do (a flush follows).
///
/// Syncing in the background (`Application::background_sync`): a turn whose batch must be
/// synced is written at once, unsynced, and its sends, finals and `on_turn_end` wait, in
/// order with every later turn's, until a sync started after its write is done. The event
/// loop goes on meanwhile (a leader reads more requests and proposes more slots), and one
/// sync covers every batch written before it started (group commit). `send_first` still
/// leaves at once. After a boot, the first turn that sends anything waits for a sync (what
/// the protocol restored may be unsynced). A sync that fails stops the host for good: nothing
/// held leaves, it throws StorageError from the event loop, and every later flush throws
/// too: what the disk holds is then unknown, and a restart recovers from it, as a crash would.
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "protocols/host/ready.hpp"
#include "protocols/net/transport.hpp"
#include "protocols/storage/disk.hpp"

namespace calm::protocols::host {

/// What every input carries besides its own content.
struct Input {
  /// The transport's monotonic clock, for timeouts.
  std::uint64_t now_ms = 0;
  /// Wall time, ms since the Unix epoch (the transport's clock when the application sets
  /// none), for what compares timestamps with the world.
  std::uint64_t wall_ms = 0;
  /// The incarnation the sender proved to the transport, when it authenticates peers.
  std::optional<std::uint64_t> proven_incarnation;
};

/// Reads the value under a disk key (operands merged), for a rollback.
using DurableRead = std::function<std::optional<std::string>(std::string_view key)>;

template <class P>
concept Protocol = requires(P p, const P cp, NodeId from, std::string_view bytes,
                            const Input& input, std::span<const storage::Write> failed,
                            const DurableRead& read) {
  typename P::Final;
  { P::disk_prefix } -> std::convertible_to<std::string_view>;
  p.restore(std::string(), bytes);
  p.step(from, bytes, input);
  p.tick(input);
  { cp.tick_delay_ms(true) } -> std::convertible_to<std::uint64_t>;
  { p.ready() } -> std::same_as<Ready<typename P::Final>>;
  { cp.checkpoint() } -> std::convertible_to<std::uint64_t>;
  p.rollback(std::uint64_t{}, failed, read);
};

struct HostOptions {
  /// Sync every batch (an application that acknowledges a write once its batch is written
  /// and promises it survives power loss: calm-kvs's --durability always). Otherwise only the
  /// batches the protocol asks to sync are.
  storage::Sync sync_every_batch = storage::Sync::no;
  /// The most recent rejection reasons kept for inspection.
  std::size_t rejection_log_max = 64;
};

template <Protocol P>
class Host : public net::Node {
 public:
  using Final = typename P::Final;

  /// The application's side; every member may be empty.
  struct Application {
    /// What the protocol made final in a turn whose batch was written.
    std::function<void(std::vector<Final>& finals)> on_final;
    /// After every flush: `failure` is null when the turn's batch was written (its sends are
    /// sent), else the storage error's text (nothing of the turn was written or sent).
    std::function<void(const std::string* failure)> on_turn_end;
    /// Wall time in ms since the Unix epoch; empty: the transport's clock.
    std::function<std::uint64_t()> wall_clock;
    /// Syncs every batch written so far away from the event loop, then calls `done` on the
    /// event loop (with the error's text when it failed). Empty: the flush syncs, blocking.
    std::function<void(std::function<void(const std::string* failure)> done)> background_sync;
  };

  Host(const net::NodeContext& context, P protocol, HostOptions options = {})
      : transport_(context.transport),
        disk_(context.disk),
        protocol_(std::move(protocol)),
        options_(options) {}

  void set_application(Application application) { application_ = std::move(application); }

  /// Restores the protocol from every entry under its prefix. A value that does not decode
  /// stops the boot with CorruptRecord naming its key: it is reported, never dropped.
  void on_start() override {
    const std::string_view prefix = P::disk_prefix;
    if constexpr (requires { protocol_.expect_keys(std::uint64_t{0}); }) {
      protocol_.expect_keys(disk_.estimated_keys());
    }
    disk_.scan(prefix, [&](std::string_view key, std::string_view value) {
      try {
        protocol_.restore(std::string(key.substr(prefix.size())), value);
      } catch (const lattices::DecodeError& e) {
        throw storage::CorruptRecord(std::string(key), e.what());
      }
      return true;
    });
    checkpoint_ = protocol_.checkpoint();
    transport_.set_timer(protocol_.tick_delay_ms(true));
  }

  void on_message(net::NodeId from, std::string_view bytes) override {
    protocol_.step(from, bytes, input(transport_.peer_incarnation(from)));
    request_flush();
  }

  void on_timer(net::TimerId) override {
    protocol_.tick(input(std::nullopt));
    transport_.set_timer(protocol_.tick_delay_ms(false));
    request_flush();
  }

  /// Runs an application request `f(P&)` (a local write) in this turn; its effects are
  /// flushed with the turn's. When `f` throws, what the turn did so far is flushed and the
  /// protocol reloads what `f` may have changed from the disk (`rollback` with no failed
  /// batch), so the request changed nothing; then the exception propagates.
  template <class F>
  decltype(auto) apply(F&& f) {
    request_flush();
    try {
      return std::forward<F>(f)(protocol_);
    } catch (...) {
      flush();
      protocol_.rollback(checkpoint_, {}, durable_read());
      checkpoint_ = protocol_.checkpoint();
      throw;
    }
  }

  /// Writes `w` with the next batch (the application's own record, e.g. an id that must be
  /// on disk before anything written under it). It stays queued until a batch is written.
  void persist_with_next_batch(storage::Write w) {
    application_writes_.push_back(std::move(w));
    request_flush();
  }

  /// Performs what the protocol asked for since the last flush (ready.hpp), now (its sends
  /// and finals wait for a background sync when one is due, and behind those that wait).
  void flush() {
    if (sync_failure_) throw storage::StorageError(*sync_failure_);
    flush_due_ = false;
    Ready<Final> ready = protocol_.ready();
    const std::uint64_t flush_number = ++flushes_;
    if (!application_writes_.empty()) {
      ready.persist.insert(ready.persist.begin(), application_writes_.begin(),
                           application_writes_.end());
    }
    const bool has_background = static_cast<bool>(application_.background_sync);
    // After a boot, what the protocol restored may be in the log unsynced (the process died
    // before its background sync ended, and the page cache kept it): the first turn that
    // sends anything syncs first, since what it sends may vouch for it.
    const bool boot_sync =
        has_background && !synced_since_boot_ && (!ready.send.empty() || !ready.final.empty());
    const bool sync = ready.sync || options_.sync_every_batch == storage::Sync::yes || boot_sync;
    const bool background = sync && has_background;
    for (Outgoing& out : ready.send_first) transport_.send(out.to, std::move(out.bytes));
    std::optional<std::string> failure;
    try {
      if (!ready.persist.empty()) {
        const bool sync_now = sync && !background;
        disk_.write(ready.persist, sync_now ? storage::Sync::yes : storage::Sync::no);
        unsynced_ = !sync_now;
      } else if (ready.sync && unsynced_ && !background) {
        disk_.sync();
        unsynced_ = false;
      }
    } catch (const storage::StorageError& e) {
      failure = e.what();
    }
    for (std::string& reason : ready.rejected) note_rejection(std::move(reason));
    if (failure) {
      ++batches_failed_;
      protocol_.rollback(checkpoint_, ready.persist, durable_read());
      checkpoint_ = protocol_.checkpoint();
      Held turn;
      turn.failure = std::move(failure);
      return hold_or_deliver(std::move(turn));
    }
    if (!ready.persist.empty()) ++batches_written_;
    application_writes_.clear();
    checkpoint_ = protocol_.checkpoint();
    Held turn;
    turn.flush = flush_number;
    turn.send = std::move(ready.send);
    turn.final = std::move(ready.final);
    // It waits for a sync when it asked for one and something written may not be synced.
    if (background && (!ready.persist.empty() || unsynced_)) {
      turn.sync_ticket = ++sync_tickets_;
      unsynced_ = false;  // once that sync is done
      held_.push_back(std::move(turn));
      start_background_sync();
      return;
    }
    hold_or_deliver(std::move(turn));
  }

  /// Flushes at the end of this turn even when the protocol has nothing to do (an
  /// application that waits for `on_turn_end`).
  void request_flush() {
    if (flush_due_) return;
    flush_due_ = true;
    transport_.defer([this] {
      if (flush_due_) flush();
    });
  }

  /// Whether a flush is due at the end of this turn (something the turn did is not written).
  bool flush_due() const { return flush_due_; }
  /// Turns whose sends and finals wait for a background sync (or behind one that does).
  std::size_t turns_held() const { return held_.size(); }
  std::uint64_t background_syncs() const { return background_syncs_; }

  P& protocol() { return protocol_; }
  const P& protocol() const { return protocol_; }
  storage::Disk& disk() { return disk_; }
  const std::deque<std::string>& rejections() const { return rejections_; }
  std::uint64_t batches_written() const { return batches_written_; }
  std::uint64_t batches_failed() const { return batches_failed_; }

 private:
  Input input(std::optional<std::uint64_t> proven) const {
    Input in;
    in.now_ms = transport_.now_ms();
    in.wall_ms = application_.wall_clock ? application_.wall_clock() : in.now_ms;
    in.proven_incarnation = proven;
    return in;
  }

  /// A turn's outcome, delivered once the batches it depends on are durable.
  struct Held {
    std::uint64_t flush = 0;        // its ready() call
    std::uint64_t sync_ticket = 0;  // the background sync it waits for (0: none)
    std::vector<Outgoing> send;
    std::vector<Final> final;
    std::optional<std::string> failure;  // its batch failed: nothing but on_turn_end
  };

  /// Delivers `turn` now, or behind the turns still held (their order is the sends' order).
  void hold_or_deliver(Held turn) {
    held_.push_back(std::move(turn));
    release();
  }

  /// Delivers the held turns whose syncs are done, in order. A flush that a delivery causes
  /// (an application's request from `on_final`) queues its turn behind, for this loop.
  void release() {
    if (releasing_) return;
    releasing_ = true;
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{releasing_};
    while (!held_.empty() && held_.front().sync_ticket <= synced_ticket_) {
      Held turn = std::move(held_.front());
      held_.pop_front();
      deliver(turn);
    }
  }

  void deliver(Held& turn) {
    if (turn.failure) {
      if (application_.on_turn_end) application_.on_turn_end(&*turn.failure);
      return;
    }
    if constexpr (requires { protocol_.durable(std::uint64_t{0}); }) {
      if (protocol_.durable(turn.flush)) request_flush();
    }
    for (Outgoing& out : turn.send) transport_.send(out.to, std::move(out.bytes));
    if (!turn.final.empty() && application_.on_final) application_.on_final(turn.final);
    if (application_.on_turn_end) application_.on_turn_end(nullptr);
  }

  /// One sync at a time, covering every batch written before it starts.
  void start_background_sync() {
    if (syncing_ || sync_failure_) return;
    // The last ticket issued: it covers every held turn's (a turn that waits for no sync of
    // its own waits behind them).
    const std::uint64_t target = sync_tickets_;
    if (target <= synced_ticket_) return;
    syncing_ = true;
    ++background_syncs_;
    std::weak_ptr<bool> alive = alive_;
    application_.background_sync([this, alive, target](const std::string* failure) {
      if (alive.expired()) return;  // the host is gone (a restart)
      syncing_ = false;
      if (failure) {
        // Stopped for good: nothing held goes out, and every later flush throws.
        sync_failure_ = "the background sync failed: " + *failure +
                        " (what the disk holds is unknown: restart to recover)";
        held_.clear();
        throw storage::StorageError(*sync_failure_);
      }
      synced_ticket_ = std::max(synced_ticket_, target);
      synced_since_boot_ = true;
      release();
      start_background_sync();
    });
  }

  /// For one rollback: its reads come together, with no write between them.
  DurableRead durable_read() const { return disk_.point_reads(); }

  void note_rejection(std::string reason) {
    rejections_.push_back(std::move(reason));
    if (rejections_.size() > options_.rejection_log_max) rejections_.pop_front();
  }

  net::Transport& transport_;
  storage::Disk& disk_;
  P protocol_;
  HostOptions options_;
  Application application_;
  std::uint64_t checkpoint_ = 0;
  bool flush_due_ = false;
  std::vector<storage::Write> application_writes_;
  /// A batch written since the last sync was not synced (a crash may still lose it).
  bool unsynced_ = true;
  std::uint64_t flushes_ = 0;  // calls of protocol_.ready()
  std::deque<Held> held_;
  std::uint64_t sync_tickets_ = 0;   // the last issued to a held turn
  std::uint64_t synced_ticket_ = 0;  // every ticket up to it is durable
  bool syncing_ = false;
  bool releasing_ = false;                   // in release(): a nested one leaves its turn to it
  bool synced_since_boot_ = false;           // a background sync has ended since this host was made
  std::optional<std::string> sync_failure_;  // a background sync failed: stopped
  std::uint64_t background_syncs_ = 0;
  /// Expires with the host: a background sync that ends after it finds nothing to release.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::deque<std::string> rejections_;
  std::uint64_t batches_written_ = 0;
  std::uint64_t batches_failed_ = 0;
};

}  // namespace calm::protocols::host
