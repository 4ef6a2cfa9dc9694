#pragma once
// A bank's accounts as a two-phase commit participant's application (two_pc::ParticipantApp):
// what examples/bank_transfer.cpp shows, the simulation runs (tests/protocols/two_pc_sim.hpp)
// and calm-two-pc serves.
//
// An account opens with `opening_balance` and is written (app key "b/<account>") once it
// changes. A transaction's part for this participant is a list of moves, "<account> <delta>"
// separated by spaces (move_payload). prepare checks every move (no account below zero, none
// already held by another transaction) and holds the accounts ("h/<account>": the
// transaction and the delta), all in the batch of the prepare record; commit applies the
// held deltas and releases them; abort releases them. A payload that is not a list of moves
// is voted no.
#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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

inline constexpr std::size_t moves_max = 64;
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
    auto moves = parse_moves(payload);
    if (!moves) {
      if (hooks_.on_abort) hooks_.on_abort(tx);
      return Stage::no;
    }
    pending_[tx] = std::move(*moves);
    if (hooks_.answers_later && hooks_.answers_later(tx)) return Stage::later;
    return stage(tx, w) ? Stage::yes : Stage::no;
  }

  /// Checks and holds a transaction's moves: yes, or no (nothing held).
  bool stage(const TxId& tx, AppWrites& w) {
    const auto node = pending_.extract(tx);
    if (node.empty()) return false;
    const std::vector<Move>& moves = node.mapped();
    bool ok = true;
    for (const Move& m : moves) {
      const std::int64_t after = balance(m.account) + m.delta;
      if (holds_.contains(m.account) || after < 0 || after > amount_max) ok = false;
    }
    if (!ok) {
      if (hooks_.on_abort) hooks_.on_abort(tx);
      return false;
    }
    const std::string tx_text = protocols::two_pc::tx_key(tx);
    std::vector<std::string>& held = held_[tx];
    for (const Move& m : moves) {
      holds_[m.account] = {tx, m.delta};
      held.push_back(m.account);
      w.put("h/" + m.account, tx_text + ' ' + std::to_string(m.delta));
    }
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
    const std::string account(key.substr(2));
    if (key.starts_with("b/")) {
      if (!value) {
        balances_.erase(account);
        return;
      }
      balances_[account] = number(*value);
    } else if (key.starts_with("h/")) {
      if (!value) {
        unhold(account);
        return;
      }
      // Parsed whole before anything changes: a value that does not decode leaves the hold.
      const std::size_t space = value->find(' ');
      if (space == std::string_view::npos)
        throw lattices::DecodeError("bank: a hold without delta");
      const TxId tx = protocols::two_pc::parse_tx_key(value->substr(0, space));
      const std::int64_t delta = number(value->substr(space + 1));
      unhold(account);
      holds_[account] = {tx, delta};
      held_[tx].push_back(account);
    } else {
      throw lattices::DecodeError("bank: unknown key");
    }
  }

  std::int64_t balance(const std::string& account) const {
    const auto it = balances_.find(account);
    return it == balances_.end() ? opening_balance : it->second;
  }
  /// The accounts written so far (the others hold opening_balance).
  const std::unordered_map<std::string, std::int64_t>& balances() const { return balances_; }
  /// Accounts held by prepared transactions.
  std::size_t holds() const { return holds_.size(); }

 private:
  struct Hold {
    TxId tx;
    std::int64_t delta = 0;
  };
  static std::int64_t number(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size()) {
      throw lattices::DecodeError("bank: not a number");
    }
    return n;
  }

  /// Releases the accounts `tx` holds, first adding its deltas to them when `apply`.
  void release(const TxId& tx, AppWrites& w, bool apply) {
    const auto node = held_.extract(tx);
    if (node.empty()) return;
    for (const std::string& account : node.mapped()) {
      const auto it = holds_.find(account);
      CALM_ASSERT(it != holds_.end() && it->second.tx == tx, "held_ and holds_ agree");
      if (apply) {
        std::int64_t& now = balances_.try_emplace(account, opening_balance).first->second;
        now += it->second.delta;
        w.put("b/" + account, std::to_string(now));
      }
      w.erase("h/" + account);
      holds_.erase(it);
    }
  }

  /// Forgets the hold on `account` (a load replacing or erasing it).
  void unhold(const std::string& account) {
    const auto it = holds_.find(account);
    if (it == holds_.end()) return;
    const auto by_tx = held_.find(it->second.tx);
    if (by_tx != held_.end()) {
      std::erase(by_tx->second, account);
      if (by_tx->second.empty()) held_.erase(by_tx);
    }
    holds_.erase(it);
  }

  Hooks hooks_;
  /// Hash indexes: a bank of many accounts looks one up per move.
  std::unordered_map<std::string, std::int64_t> balances_;
  std::unordered_map<std::string, Hold> holds_;
  /// The accounts each prepared transaction holds (each also in holds_), so that a commit or
  /// an abort touches its own accounts only, however many others are held.
  std::map<TxId, std::vector<std::string>> held_;
  std::map<TxId, std::vector<Move>> pending_;  // parsed, not yet staged (later)
};

}  // namespace calm::apps::bank
