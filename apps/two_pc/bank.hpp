#pragma once
// A bank's accounts as a two-phase commit participant's application (two_pc::ParticipantApp):
// what examples/bank_transfer.cpp shows, the simulation runs (tests/protocols/two_pc_sim.hpp)
// and calm-two-pc serves.
//
// An account opens with `opening_balance` and is written (app key "b/<account>") once it
// changes. A transaction's payload for this participant is a list of moves, "<account>
// <delta>" separated by spaces (move_payload). prepare checks every move (no account below
// zero, none already held) and holds the accounts ("h/<account>": the transaction and the
// delta), all in the batch of the prepare record; commit applies the held deltas and
// releases them; abort releases them. A payload that is not a list of moves is voted no.
//
// A batch (many transfers in one transaction, docs/two-pc.md) numbers its moves in parts:
// "#<part>" begins part <part> (parts_payload), the parts in increasing order. Each part is
// checked and held alone: one that fails is refused (AppWrites::refuse) and the others go on,
// so the vote is yes. A hold names its part ("<tx> <delta> <part>"), and commit applies only
// the parts the commit did not refuse.
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

inline std::string parts_payload(const PartMoves& parts) {
  std::string out;
  for (const auto& [part, moves] : parts) {
    if (!out.empty()) out += ' ';
    out += '#';
    out += std::to_string(part);
    out += ' ';
    out += move_payload(moves);
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
    std::optional<PartMoves> parts;
    if (payload.starts_with('#')) {
      parts = parse_parts(payload, protocols::two_pc::DecodeLimits{}.parts_max);
    } else if (auto moves = parse_moves(payload)) {
      parts.emplace().emplace_back(whole, std::move(*moves));
    }
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
    const std::string tx_text = protocols::two_pc::tx_key(tx);
    std::vector<std::string>* held = nullptr;
    for (const auto& [part, moves] : node.mapped()) {
      bool ok = true;
      for (const Move& m : moves) {
        const std::int64_t after = balance(m.account) + m.delta;
        if (holds_.contains(m.account) || after < 0 || after > amount_max) ok = false;
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
      for (const Move& m : moves) {
        holds_[m.account] = {tx, m.delta, part};
        held->push_back(m.account);
        std::string value = tx_text + ' ' + std::to_string(m.delta);
        if (part != whole) value += ' ' + std::to_string(part);
        w.put("h/" + m.account, std::move(value));
      }
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
      const std::string_view rest = value->substr(space + 1);
      const std::size_t space2 = rest.find(' ');
      const std::int64_t delta = number(rest.substr(0, space2));
      std::uint32_t part = whole;
      if (space2 != std::string_view::npos) {
        const std::int64_t n = number(rest.substr(space2 + 1));
        if (n < 0 || n >= std::int64_t{protocols::two_pc::DecodeLimits{}.parts_max}) {
          throw lattices::DecodeError("bank: a hold's part out of range");
        }
        part = static_cast<std::uint32_t>(n);
      }
      unhold(account);
      holds_[account] = {tx, delta, part};
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
  /// The part of a transaction that is not a batch.
  static constexpr std::uint32_t whole = UINT32_MAX;
  struct Hold {
    TxId tx;
    std::int64_t delta = 0;
    std::uint32_t part = whole;
  };
  static std::int64_t number(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size()) {
      throw lattices::DecodeError("bank: not a number");
    }
    return n;
  }

  /// Releases the accounts `tx` holds, first adding its deltas to them when `apply` (but not
  /// those of a part the commit refused).
  void release(const TxId& tx, AppWrites& w, bool apply) {
    const auto node = held_.extract(tx);
    if (node.empty()) return;
    for (const std::string& account : node.mapped()) {
      const auto it = holds_.find(account);
      CALM_ASSERT(it != holds_.end() && it->second.tx == tx, "held_ and holds_ agree");
      if (apply && (it->second.part == whole || !w.refused(it->second.part))) {
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
  std::map<TxId, PartMoves> pending_;  // parsed, not yet staged (later)
};

}  // namespace calm::apps::bank
