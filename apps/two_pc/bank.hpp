#pragma once
// A bank's accounts as a two-phase commit participant's application (two_pc::ParticipantApp):
// what examples/bank_transfer.cpp shows, the simulation runs (tests/protocols/two_pc_sim.hpp)
// and calm-two-pc serves.
//
// An account opens with `opening_balance` and is written (app key "b/<account>") once it
// changes. A transaction's payload for this participant is a list of moves, "<account>
// <delta>" separated by spaces (move_payload). prepare checks every move (no account below
// zero, none already held) and holds the accounts, in one record per transaction
// ("g/<tx>": the moves it holds, in the payload's own form) written in the batch of the
// prepare record; commit applies the held deltas and releases them; abort releases them. A
// payload that is not a list of moves is voted no.
//
// A batch (many transfers in one transaction, docs/two-pc.md) numbers its moves in parts:
// "#<part>" begins part <part> (parts_payload), the parts in increasing order. Each part is
// checked and held alone: one that fails is refused (AppWrites::refuse) and the others go on,
// so the vote is yes. The record holds the parts held, numbered, and commit applies only the
// parts the commit did not refuse. So a batch costs a participant two records (its holds,
// written and erased) and one per account it changes, whatever its size.
#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "protocols/two_pc/participant.hpp"

namespace calm::apps::bank {

using protocols::two_pc::AppWrites;
using protocols::two_pc::Stage;
using protocols::two_pc::TxId;

struct Move {
  std::string account;
  std::int64_t delta = 0;
};

/// Moves in one payload: a transaction's, or a batch's.
inline constexpr std::size_t moves_max = 64;
inline constexpr std::size_t batch_moves_max = 8192;
inline constexpr std::size_t account_bytes_max = 64;
/// Deltas and balances stay within it, so that no sum overflows.
inline constexpr std::int64_t amount_max = std::int64_t{1} << 50;

inline std::string move_payload(const std::vector<Move>& moves) {
  std::string out;
  for (const Move& m : moves) {
    if (!out.empty()) out += ' ';
    out += m.account + ' ' + std::to_string(m.delta);
  }
  return out;
}

/// A batch's moves for one participant: each part's number and moves.
using PartMoves = std::vector<std::pair<std::uint32_t, std::vector<Move>>>;

/// Appends part `part`, its moves given as a payload, to a batch's payload: "#<part> <moves>".
inline void append_part(std::string& out, std::uint32_t part, std::string_view moves) {
  if (!out.empty()) out += ' ';
  out += '#';
  out += std::to_string(part);
  out += ' ';
  out += moves;
}

inline std::string parts_payload(const PartMoves& parts) {
  std::string out;
  for (const auto& [part, moves] : parts) append_part(out, part, move_payload(moves));
  return out;
}

/// The moves of a payload, or nothing when it is not a list of at most moves_max moves of
/// accounts named by 1 to account_bytes_max letters, digits, '_' or '-', with deltas within
/// amount_max.
inline std::optional<std::vector<Move>> parse_moves(std::string_view payload) {
  std::vector<std::string_view> words;
  while (!payload.empty()) {
    const std::size_t space = payload.find(' ');
    const std::string_view word = payload.substr(0, space);
    if (word.empty()) return std::nullopt;
    words.push_back(word);
    if (space == std::string_view::npos) break;
    payload.remove_prefix(space + 1);
    if (payload.empty()) return std::nullopt;  // a trailing space
  }
  if (words.empty() || words.size() % 2 != 0 || words.size() / 2 > moves_max) return std::nullopt;
  std::vector<Move> moves;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    const std::string_view account = words[i];
    if (account.size() > account_bytes_max) return std::nullopt;
    for (const char c : account) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
      if (!ok) return std::nullopt;
    }
    std::int64_t delta = 0;
    const std::string_view number = words[i + 1];
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), delta);
    if (error != std::errc() || end != number.data() + number.size() || delta > amount_max ||
        delta < -amount_max) {
      return std::nullopt;
    }
    // One spelling per amount (no leading zero, no "-0"): a payload re-encodes to itself.
    const std::string_view digits = number.starts_with('-') ? number.substr(1) : number;
    if ((digits.size() > 1 && digits.front() == '0') || number == "-0") return std::nullopt;
    for (const Move& m : moves) {
      if (m.account == account) return std::nullopt;  // an account once per part
    }
    moves.push_back({std::string(account), delta});
  }
  return moves;
}

/// A batch's parts, or nothing when `payload` is not one: "#<part> <moves>" repeated, parts
/// strictly increasing below `parts_max`, each part's moves as parse_moves takes them, at most
/// batch_moves_max moves in all.
inline std::optional<PartMoves> parse_parts(std::string_view payload, std::uint32_t parts_max) {
  PartMoves parts;
  std::size_t moves = 0;
  while (!payload.empty()) {
    if (payload.front() != '#') return std::nullopt;
    const std::size_t space = payload.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::uint32_t part = 0;
    const auto [end, error] = std::from_chars(payload.data() + 1, payload.data() + space, part);
    if (error != std::errc() || end != payload.data() + space || space == 1 ||
        (payload[1] == '0' && space > 2) || part >= parts_max ||
        (!parts.empty() && part <= parts.back().first)) {
      return std::nullopt;
    }
    payload.remove_prefix(space + 1);
    const std::size_t next = payload.find(" #");
    auto list = parse_moves(payload.substr(0, next));
    if (!list || (moves += list->size()) > batch_moves_max) return std::nullopt;
    parts.emplace_back(part, std::move(*list));
    payload.remove_prefix(next == std::string_view::npos ? payload.size() : next + 1);
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

class Bank {
 public:
  static constexpr std::int64_t opening_balance = 100;

  /// What an observer (a test's ledger, a log) hears; each may be empty.
  struct Hooks {
    std::function<void(const TxId&)> on_yes, on_commit, on_abort;
    /// Whether to answer `later` (the caller then votes with `stage`); empty: never.
    std::function<bool(const TxId&)> answers_later;
  };

  explicit Bank(Hooks hooks = {}) : hooks_(std::move(hooks)) {}

  Stage prepare(const TxId& tx, std::string_view payload, AppWrites& w) {
    std::optional<PartMoves> parts = parse_payload(payload, w.parts_max());
    if (!parts) {
      if (hooks_.on_abort) hooks_.on_abort(tx);
      return Stage::no;
    }
    pending_[tx] = std::move(*parts);
    if (hooks_.answers_later && hooks_.answers_later(tx)) return Stage::later;
    return stage(tx, w) ? Stage::yes : Stage::no;
  }

  /// Checks and holds a transaction's moves: yes, or no (nothing held). A batch's parts are
  /// each held, or refused (an account short, or held, by another transaction or an earlier
  /// part); its vote is yes.
  bool stage(const TxId& tx, AppWrites& w) {
    const auto node = pending_.extract(tx);
    if (node.empty()) return false;
    std::vector<Entry*>* held = nullptr;
    std::string record;  // the moves held, as a payload
    std::vector<Entry*> found;
    for (const auto& [part, moves] : node.mapped()) {
      bool ok = true;
      found.clear();
      for (const Move& m : moves) {
        const auto it = accounts_.find(m.account);
        Entry* e = it == accounts_.end() ? nullptr : &*it;
        const std::int64_t after = (e ? e->second.balance : opening_balance) + m.delta;
        if ((e && e->second.hold) || after < 0 || after > amount_max) ok = false;
        found.push_back(e);
      }
      if (!ok) {
        if (part == whole) {
          if (hooks_.on_abort) hooks_.on_abort(tx);
          return false;
        }
        w.refuse(part);
        continue;
      }
      if (held == nullptr) held = &held_[tx];
      for (std::size_t i = 0; i < moves.size(); ++i) {
        Entry* e = found[i] ? found[i] : &*accounts_.try_emplace(moves[i].account).first;
        hold(*e, {tx, moves[i].delta, part});
        held->push_back(e);
      }
      if (part == whole) {
        record = move_payload(moves);  // the payload's only part
      } else {
        append_part(record, part, move_payload(moves));
      }
    }
    if (!record.empty()) w.put(hold_key(tx), std::move(record));
    if (hooks_.on_yes) hooks_.on_yes(tx);
    return true;
  }

  void commit(const TxId& tx, AppWrites& w) {
    release(tx, w, /*apply=*/true);
    if (hooks_.on_commit) hooks_.on_commit(tx);
  }

  void abort(const TxId& tx, AppWrites& w) {
    pending_.erase(tx);
    release(tx, w, /*apply=*/false);
    if (hooks_.on_abort) hooks_.on_abort(tx);
  }

  /// Throws lattices::DecodeError for a value this bank never wrote.
  void load(std::string_view key, std::optional<std::string_view> value) {
    if (key.starts_with("b/")) {
      const std::string account(key.substr(2));
      if (value) {
        const std::int64_t n = number(*value);
        Account& a = accounts_[account];
        a.balance = n;
        a.written = true;
      } else if (const auto it = accounts_.find(account); it != accounts_.end()) {
        it->second.balance = opening_balance;
        it->second.written = false;
        forget_if_unused(&*it);
      }
    } else if (key.starts_with("g/")) {
      const TxId tx = protocols::two_pc::parse_tx_key(key.substr(2));
      if (!value) {
        unhold(tx);
        return;
      }
      // Parsed whole before anything changes: a value that does not decode leaves the holds.
      // Written below the participant's parts_max, which is at most DecodeLimits' own.
      std::optional<PartMoves> parts =
          parse_payload(*value, protocols::two_pc::DecodeLimits{}.parts_max);
      if (!parts) throw lattices::DecodeError("bank: a hold record that is not a payload");
      std::set<std::string_view> named;
      for (const auto& [part, moves] : *parts) {
        for (const Move& m : moves) {
          if (!named.insert(m.account).second) {
            throw lattices::DecodeError("bank: a hold record that names an account twice");
          }
        }
      }
      unhold(tx);
      std::vector<Entry*>& held = held_[tx];
      for (const auto& [part, moves] : *parts) {
        for (const Move& m : moves) {
          Entry& e = *accounts_.try_emplace(m.account).first;
          // Held by another transaction only while a failed batch is reloaded (the other's
          // record, in the same batch, is reloaded too): what the disk says wins.
          if (e.second.hold) {
            const auto other = held_.find(e.second.hold->tx);
            CALM_ASSERT(other != held_.end(), "held_ and the holds agree");
            std::erase(other->second, &e);
            if (other->second.empty()) held_.erase(other);
            e.second.hold.reset();
            --holds_;
          }
          hold(e, {tx, m.delta, part});
          held.push_back(&e);
        }
      }
    } else {
      throw lattices::DecodeError("bank: unknown key");
    }
  }

  std::int64_t balance(const std::string& account) const {
    const auto it = accounts_.find(account);
    return it == accounts_.end() ? opening_balance : it->second.balance;
  }
  /// Accounts held by prepared transactions.
  std::size_t holds() const { return holds_; }

 private:
  /// The part of a transaction that is not a batch.
  static constexpr std::uint32_t whole = UINT32_MAX;
  struct Hold {
    TxId tx;
    std::int64_t delta = 0;
    std::uint32_t part = whole;
  };
  struct Account {
    std::int64_t balance = opening_balance;
    bool written = false;  // "b/<account>" is on disk
    std::optional<Hold> hold;
  };
  using Entry = std::pair<const std::string, Account>;

  static std::int64_t number(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size()) {
      throw lattices::DecodeError("bank: not a number");
    }
    return n;
  }

  /// A payload's parts: a batch's (numbered below `parts_max`), or one part `whole` of a list
  /// of moves.
  static std::optional<PartMoves> parse_payload(std::string_view payload, std::uint32_t parts_max) {
    std::optional<PartMoves> parts;
    if (payload.starts_with('#')) {
      parts = parse_parts(payload, parts_max);
    } else if (auto moves = parse_moves(payload)) {
      parts.emplace().emplace_back(whole, std::move(*moves));
    }
    return parts;
  }

  void hold(Entry& e, Hold h) {
    CALM_ASSERT(!e.second.hold, "an account is held by one transaction at a time");
    e.second.hold = h;
    ++holds_;
  }

  /// Releases the accounts `tx` holds, first adding its deltas to them when `apply` (but not
  /// those of a part the commit refused).
  void release(const TxId& tx, AppWrites& w, bool apply) {
    const auto node = held_.extract(tx);
    if (node.empty()) return;
    for (Entry* e : node.mapped()) {
      Account& a = e->second;
      CALM_ASSERT(a.hold && a.hold->tx == tx, "held_ and the holds agree");
      if (apply && (a.hold->part == whole || !w.refused(a.hold->part))) {
        a.balance += a.hold->delta;
        a.written = true;
        w.put("b/" + e->first, std::to_string(a.balance));
      }
      a.hold.reset();
      --holds_;
      forget_if_unused(e);
    }
    w.erase(hold_key(tx));
  }

  /// Forgets what `tx` holds (a load replacing or erasing its record).
  void unhold(const TxId& tx) {
    const auto node = held_.extract(tx);
    if (node.empty()) return;
    for (Entry* e : node.mapped()) {
      if (e->second.hold && e->second.hold->tx == tx) {
        e->second.hold.reset();
        --holds_;
      }
      forget_if_unused(e);
    }
  }

  /// An account neither written nor held is not kept (it has the opening balance), so that
  /// transfers refused or aborted leave nothing behind.
  void forget_if_unused(Entry* e) {
    if (!e->second.written && !e->second.hold) accounts_.erase(e->first);
  }

  static std::string hold_key(const TxId& tx) { return "g/" + protocols::two_pc::tx_key(tx); }

  Hooks hooks_;
  /// A hash index of the accounts written or held (unordered_map's nodes stay put, so the
  /// held_ lists point into it): one lookup per move.
  std::unordered_map<std::string, Account> accounts_;
  std::size_t holds_ = 0;
  /// The accounts each prepared transaction holds, so that a commit or an abort touches its
  /// own accounts only, however many others are held.
  std::map<TxId, std::vector<Entry*>> held_;
  std::map<TxId, PartMoves> pending_;  // parsed, not yet staged (later)
};

}  // namespace calm::apps::bank
