#pragma once
/// The replicated sequence shared by List<T, Id> and Text<Id>: the Fugue tree of Weidner and
/// Kleppmann ("The Art of the Fugue: Minimizing Interleaving in Collaborative Text Editing",
/// 2023), stored as runs in document order.
///
/// The value is a set of elements and a set of tombstones. Each element has an id (a Dot: the
/// replica that inserted it and that replica's counter), a value, and a place in a tree: a
/// parent element (or the root) and a side (left or right child). The document is the tree's
/// in-order walk: an element's left children (by id), the element, its right children (by id),
/// each child followed by its own subtree. A tombstone hides an element but keeps its place.
/// The order is a function of the set of elements alone, so merge (the union of both sets) is a
/// join, whatever the order in which elements arrive.
///
/// A local insert between visible neighbours takes the element just left of the cursor, `a`:
/// if `a` has no right child the new element becomes its right child, otherwise it becomes the
/// left child of the element right after `a`, which then has no left child. Either way it lands
/// exactly at the cursor. Two users typing at one place concurrently make two sibling subtrees,
/// which the walk never interleaves, forwards or backwards (Fugue's non-interleaving theorem).
///
/// Runs: consecutive elements of one replica where each is the right child of the one before
/// (typing) are stored as one piece: element k > 0 of a piece has parent k - 1, on the right.
/// Pieces split where an edit lands inside them; merge rebuilds maximal pieces (a List's hold
/// at most run_values_max values). A List also keeps backward runs in its document: one
/// replica's inserts at the front, each the left child of the one before (LPUSH after LPUSH),
/// up to backward_run_max values a piece, where each would otherwise be a piece (a 72-byte
/// header and a vector) of its own; their tombstones join into deleted backward runs of any
/// length (no values). A rebuild lays out such chains as backward runs too (continues_backward,
/// for pieces side by side in the document only). They exist only in memory: the canonical
/// form, the encoding, items and deltas' bytes see one forward run per element.
///
/// Elements whose parent is not (yet) present are pending: part of the value, not visible, and
/// placed as soon as their parent arrives (a delta delivered before the delta it depends on).
/// Tombstones of elements not present are kept the same way.
///
/// Costs: a local insert or erase is O(leaf_pieces_max + distance from the last edit in leaves),
/// with no rebuild, plus the leaf headers on the shorter side when a leaf splits (every
/// leaf_pieces_max / 2 new pieces in one place): O(1) near either end, O(leaves) in the middle
/// (a B-tree of leaves would make that O(log n)).
/// A small received delta next to a childless parent is placed in O(pieces); any other merge
/// rebuilds the document in O(n log n) over the pieces of both sides (docs/crdts.md#sequences).
#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "lattices/core.hpp"
#include "lattices/detail/devector.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/dot.hpp"

namespace calm::lattices::detail {

/// One run of elements in document order: its ids are (first.replica, first.counter + j) for
/// j < length. A forward run (typing, RPUSH): element j = 0 is the `left` or right child of
/// `parent` (counter 0: the root), element j > 0 the right child of element j - 1, and the
/// document holds them in id order. A backward run (`backward`, only in a List's document, made
/// by local inserts at its front, LPUSH after LPUSH, by a rebuild's layout of such chains, and
/// deleted ones also by tombstones that join, a replica's own or received; a middle element
/// may have other left children before the run, never a right child): element j > 0 is the
/// left child of element j - 1, so the document holds them in reverse id order, element 0
/// last. Offsets (at(k), a cursor's offset) count in document order either way; `content`
/// holds the `length` values in id order (so a push at a backward run's front is an append),
/// or nothing when the run is deleted: offset k's value is content[slot(k)].
template <class Id, class Storage>
struct SequencePiece {
  Dot<Id> first;
  std::uint64_t length = 0;
  Dot<Id> parent;
  bool left = false;
  bool deleted = false;
  /// Whether the last element has a right child. Cached for local inserts; not part of the
  /// value, so equality ignores it.
  bool tail_has_right = false;
  /// Whether the first element has a left child. Cached likewise.
  bool head_has_left = false;
  /// A backward run of length >= 2 (above). Never in a canonical form, an item or a delta:
  /// those hold forward runs, and a backward one is one run per element there.
  bool backward = false;
  Storage content;

  /// The id of the element at document offset k.
  Dot<Id> at(std::uint64_t k) const {
    return {first.replica, backward ? first.counter + (length - 1 - k) : first.counter + k};
  }
  Dot<Id> last() const { return at(length - 1); }
  /// Where the value at document offset k is in `content`.
  std::uint64_t slot(std::uint64_t k) const { return backward ? length - 1 - k : k; }
  /// The parent of the element at document offset k, and whether it is that parent's left
  /// child.
  Dot<Id> parent_of(std::uint64_t k) const {
    if (backward) return k + 1 == length ? parent : at(k + 1);
    return k == 0 ? parent : at(k - 1);
  }
  bool left_of(std::uint64_t k) const {
    return backward ? (k + 1 < length || left) : k == 0 && left;
  }
  bool contains(const Dot<Id>& d) const {
    return d.replica == first.replica && d.counter >= first.counter &&
           d.counter - first.counter < length;
  }
  /// The document offset of `d` (contains(d)).
  std::uint64_t offset_of(const Dot<Id>& d) const {
    const std::uint64_t j = d.counter - first.counter;
    return backward ? length - 1 - j : j;
  }
  /// Whether `next`, right after this piece in document order, continues its forward run.
  bool continues_into(const SequencePiece& next) const {
    return !backward && !next.backward && next.first.replica == first.replica &&
           next.first.counter == first.counter + length && next.parent == last() && !next.left &&
           next.deleted == deleted;
  }
  bool same_value(const SequencePiece& o) const {
    return first == o.first && length == o.length && parent == o.parent && left == o.left &&
           deleted == o.deleted && backward == o.backward && content == o.content;
  }
};

/// A run of ids of one replica: (replica, counter) .. (replica, counter + length - 1).
template <class Id>
struct DotRun {
  Dot<Id> first;
  std::uint64_t length = 0;
  std::uint64_t end() const { return first.counter + length; }
  friend bool operator==(const DotRun&, const DotRun&) = default;
};

/// Sorts runs and joins the overlapping and adjacent ones: the canonical form of a set of ids.
template <class Id>
std::vector<DotRun<Id>> canonical_runs(std::vector<DotRun<Id>> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const DotRun<Id>& a, const DotRun<Id>& b) { return a.first < b.first; });
  std::vector<DotRun<Id>> out;
  out.reserve(runs.size());
  for (const DotRun<Id>& r : runs) {
    if (r.length == 0) continue;
    if (!out.empty() && out.back().first.replica == r.first.replica &&
        r.first.counter <= out.back().end()) {
      const std::uint64_t end = std::max(out.back().end(), r.end());
      out.back().length = end - out.back().first.counter;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

/// The ids of `runs` (canonical) that are not in `minus` (canonical).
template <class Id>
std::vector<DotRun<Id>> subtract_runs(const std::vector<DotRun<Id>>& runs,
                                      const std::vector<DotRun<Id>>& minus) {
  std::vector<DotRun<Id>> out;
  std::size_t m = 0;
  for (DotRun<Id> r : runs) {
    while (m < minus.size() &&
           (minus[m].first.replica < r.first.replica ||
            (minus[m].first.replica == r.first.replica && minus[m].end() <= r.first.counter))) {
      ++m;
    }
    std::size_t i = m;
    while (r.length > 0 && i < minus.size() && minus[i].first.replica == r.first.replica &&
           minus[i].first.counter < r.end()) {
      if (minus[i].first.counter > r.first.counter) {
        out.push_back({r.first, minus[i].first.counter - r.first.counter});
      }
      const std::uint64_t cut = std::min(minus[i].end(), r.end());
      r.length = r.end() - cut;
      r.first.counter = cut;
      ++i;
    }
    if (r.length > 0) out.push_back(r);
  }
  return out;
}

/// CRTP base of List and Text. `Content` says how a piece stores its values:
///   using Storage = ...;
///   static void append(Storage&, const Storage&);
///   // and, where moving the elements is cheaper than copying them, append(Storage&, Storage&&)
///   // Elements [from, to), and the first n elements, of a run of `length` elements:
///   static Storage slice(const Storage&, uint64_t from, uint64_t to, uint64_t length);
///   static void truncate(Storage&, uint64_t n, uint64_t length);
///   // The runs [at[i], at[i + 1]) of a run, for 0 = at[0] < ... < at.back() = length, in one
///   // pass (slice() may walk from the start: Text's UTF-8):
///   static std::vector<Storage> cut(Storage&&, const std::vector<uint64_t>& at, uint64_t length);
///   // Element by element, the greater value (two definitions of one id, joined):
///   static Storage max_each(const Storage&, const Storage&, uint64_t length);
///   // Elements [from, length) cut off (moved, where the storage can) into a new Storage:
///   static Storage split_off(Storage&, uint64_t from, uint64_t length);
///   // Whether the document keeps backward runs, and the most values a stored run holds:
///   static constexpr bool backward_runs;
///   static constexpr uint64_t run_values_max;
///   // Optional: elements [from, to) moved out (a rebuild's input, each element taken once):
///   static Storage take(Storage&, uint64_t from, uint64_t to);
template <class Derived, class Id, class Content>
class SequenceBase {
 public:
  using Storage = typename Content::Storage;
  using Piece = SequencePiece<Id, Storage>;
  using ElementId = Dot<Id>;

  /// A leaf splits when an insert takes it past this many pieces; the rebuild fills leaves to
  /// half of it, so that the next local edits do not split at once.
  static constexpr std::size_t leaf_pieces_max = 16;
  /// A received value of at most this many pending runs and tombstone runs, and nothing else,
  /// is placed piece by piece when it can be (a scan each), instead of by a rebuild.
  static constexpr std::size_t small_delta_runs_max = 8;
  /// decompose()'s bounds on one part.
  static constexpr std::uint64_t decompose_elements_max = 64;
  static constexpr std::size_t decompose_bytes_target = 4096;

  SequenceBase() = default;
  SequenceBase(const SequenceBase&) = default;
  SequenceBase& operator=(const SequenceBase&) = default;
  /// A moved-from sequence is bottom. (Member-wise moves left its element count, its replicas'
  /// counters and its cached cursor describing pieces it no longer held: size() counted them,
  /// and the next insert started from a leaf that was gone.)
  SequenceBase(SequenceBase&& other)
      : leaves_(std::move(other.leaves_)),
        visible_(other.visible_),
        pending_(std::move(other.pending_)),
        pending_deletes_(std::move(other.pending_deletes_)),
        last_counters_(std::move(other.last_counters_)),
        cache_leaf_(other.cache_leaf_),
        cache_before_(other.cache_before_) {
    other.become_bot();
  }
  SequenceBase& operator=(SequenceBase&& other) {
    if (this == &other) return *this;
    leaves_ = std::move(other.leaves_);
    visible_ = other.visible_;
    pending_ = std::move(other.pending_);
    pending_deletes_ = std::move(other.pending_deletes_);
    last_counters_ = std::move(other.last_counters_);
    cache_leaf_ = other.cache_leaf_;
    cache_before_ = other.cache_before_;
    other.become_bot();
    return *this;
  }

  /// Visible elements.
  std::size_t size() const { return visible_; }
  bool empty() const { return visible_ == 0; }
  bool is_bot() const { return leaves_.empty() && pending_.empty() && pending_deletes_.empty(); }

  /// The id of the visible element at `pos`: a name that stays valid across every edit.
  ElementId id_at(std::size_t pos) const {
    if (pos >= visible_) throw std::out_of_range("calm: id_at past the end");
    const Where w = locate(pos);
    return leaves_[w.leaf].pieces[w.piece].at(w.offset);
  }
  /// Where the element `id` is now: its position if it is visible; if it was deleted, the
  /// position of the first visible element after it (a cursor there stays at its place);
  /// nullopt if it is not in the document (never inserted here, or pending).
  std::optional<std::size_t> position_of(const ElementId& id) const {
    std::size_t before = 0;
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        if (p.contains(id)) return before + (p.deleted ? 0 : p.offset_of(id));
        if (!p.deleted) before += p.length;
      }
    }
    return std::nullopt;
  }

  /// Elements inserted here or received, visible or not, and tombstones: for reports.
  std::size_t piece_count() const {
    std::size_t n = 0;
    for (const Leaf& leaf : leaves_) n += leaf.pieces.size();
    return n;
  }
  /// Pieces of the document that are backward runs (a List's LPUSHes): for reports and tests.
  std::size_t backward_run_count() const {
    std::size_t n = 0;
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) n += p.backward ? 1 : 0;
    }
    return n;
  }
  /// Elements whose parent has not arrived yet.
  std::size_t pending_elements() const {
    std::size_t n = 0;
    for (const Piece& p : pending_) n += p.length;
    return n;
  }

  /// Removes the visible elements [pos, pos + n); returns the delta (their tombstones).
  /// Throws std::out_of_range, changing nothing, when the range is not inside the document.
  Derived erase(std::size_t pos, std::size_t n) {
    if (pos > visible_ || n > visible_ - pos) {
      throw std::out_of_range("calm: erase range is outside the sequence");
    }
    Derived delta;
    Runs& runs = delta.pending_deletes_;
    while (n > 0) {
      const Where w = seek(pos);
      const DotRun<Id> erased = erase_in_piece(w, n);
      n -= erased.length;
      runs.push_back(erased);
    }
    if (runs.size() > 1) {
      const std::vector<DotRun<Id>> sorted =
          canonical_runs(std::vector<DotRun<Id>>(runs.begin(), runs.end()));
      runs.assign(sorted.begin(), sorted.end());
    }
    delta.last_counters_ = last_counters_for(runs);
    return delta;
  }

  /// Removes the visible elements at `positions` (strictly ascending, each < size()) and
  /// returns one delta for all of them: O(k (seek + log k)), where joining k single erases'
  /// deltas would rebuild at each join. Throws std::out_of_range, changing nothing, otherwise.
  Derived erase_each(const std::vector<std::size_t>& positions) {
    for (std::size_t i = 0; i < positions.size(); ++i) {
      if (positions[i] >= visible_ || (i > 0 && positions[i] <= positions[i - 1])) {
        throw std::out_of_range("calm: erase positions must ascend inside the sequence");
      }
    }
    std::vector<DotRun<Id>> runs;
    runs.reserve(positions.size());
    // From the last back: the positions before each one stay where they are.
    for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
      runs.push_back(erase_in_piece(seek(*it), 1));
    }
    Derived delta;
    const std::vector<DotRun<Id>> sorted = canonical_runs(std::move(runs));
    delta.pending_deletes_.assign(sorted.begin(), sorted.end());
    delta.last_counters_ = last_counters_for(delta.pending_deletes_);
    return delta;
  }

  /// Joins `other` in; returns whether anything changed.
  bool merge(const Derived& other) {
    if (other.is_bot()) return false;
    if (is_bot()) {
      derived() = other;
      cache_leaf_ = 0;
      cache_before_ = 0;
      return true;
    }
    bool applied = false;
    if (other.leaves_.empty() && pending_.empty() && pending_deletes_.empty() &&
        other.pending_.size() + other.pending_deletes_.size() <= small_delta_runs_max) {
      bool done = true;
      for (const Piece& p : other.pending_) {
        if (!try_integrate(p)) {
          done = false;
          break;
        }
        applied = true;
      }
      for (std::size_t i = 0; done && i < other.pending_deletes_.size(); ++i) {
        const auto [complete, changed] = try_tombstone(other.pending_deletes_[i]);
        applied = applied || changed;
        done = complete;
      }
      if (done) return applied;
      // What was applied is here now; the rebuild's union takes it in again, unchanged.
    }
    if (try_append_pending(other)) return true;
    const Counts before = counts();
    Parts parts = collect();
    other.collect_into(parts);
    // Counts tell whether the union grew; a joined definition of colliding ids can change the
    // value without growing it, and then only a comparison tells.
    std::optional<Derived> old;
    if (normalize_items(parts.items, false)) old = derived();
    rebuild(std::move(parts), /*normalized=*/true);
    return applied || counts() != before || (old && !(*old == derived()));
  }

  /// The same, taking `other`'s elements instead of copying them where the join keeps them
  /// as they are (into a bottom value, or appended to a turn's pending pushes).
  bool merge(Derived&& other) {
    if (&other == &derived() || other.is_bot()) return false;
    if (is_bot()) {
      derived() = std::move(other);
      cache_leaf_ = 0;
      cache_before_ = 0;
      return true;
    }
    if (try_append_pending(std::move(other))) {
      // Its pieces' contents moved; their ids stayed. Bottom, not elements without values.
      static_cast<SequenceBase&>(other).become_bot();
      return true;
    }
    return merge(std::as_const(other));
  }

  /// The join of every value, in one rebuild over all their pieces (a fold of k deltas into
  /// a list: O(total log total), where joining them two at a time rebuilds log k times).
  static Derived join_all(std::vector<Derived>& values) {
    Derived out;
    if (values.empty()) return out;
    Parts parts;
    std::size_t pieces = 0;
    for (const Derived& v : values) pieces += v.piece_count() + v.pending_.size();
    parts.items.reserve(pieces);
    for (Derived& v : values) std::move(v).move_into(parts);
    normalize_items(parts.items, false);
    out.rebuild(std::move(parts), /*normalized=*/true);
    return out;
  }

  /// The elements and tombstones of this value that `other` lacks: the least value d with
  /// join(other, d) == join(other, *this). O(n log n) over both; for a small value (a received
  /// delta, against a replica's whole document) O(pieces of other), copying only what `other`
  /// holds of this value's ids.
  Derived delta(const Derived& other) const {
    Parts mine = collect();
    normalize_items(mine.items, false);
    Parts theirs;
    if (mine.items.size() + mine.deletes.size() <= small_delta_runs_max) {
      std::vector<DotRun<Id>> ids;
      for (const Item& item : mine.items) ids.push_back({item.first, item.length});
      ids.insert(ids.end(), mine.deletes.begin(), mine.deletes.end());
      other.collect_into(theirs, canonical_runs(std::move(ids)));
    } else {
      other.collect_into(theirs);
    }
    normalize_items(theirs.items, false);
    Parts out;
    std::size_t j = 0;  // both sorted by id: walk them together
    typename Content::Cursor their_at;
    std::size_t their_at_item = theirs.items.size();  // the item their_at walks
    for (const Item& item : mine.items) {
      const std::uint64_t end = item.first.counter + item.length;
      std::uint64_t c = item.first.counter;
      typename Content::Cursor mine_at;
      while (c < end) {
        while (j < theirs.items.size() &&
               (theirs.items[j].first.replica < item.first.replica ||
                (theirs.items[j].first.replica == item.first.replica &&
                 theirs.items[j].first.counter + theirs.items[j].length <= c))) {
          ++j;
        }
        const Item* t =
            j < theirs.items.size() && theirs.items[j].first.replica == item.first.replica
                ? &theirs.items[j]
                : nullptr;
        const std::uint64_t k = c - item.first.counter;
        if (t != nullptr && t->first.counter <= c) {  // both define [c, stop)
          const std::uint64_t stop = std::min(end, t->first.counter + t->length);
          Item part = slice_item(item, k, stop - item.first.counter, mine_at);
          if (their_at_item != j) their_at = {}, their_at_item = j;
          const Item their_part =
              slice_item(*t, c - t->first.counter, stop - t->first.counter, their_at);
          if (!absorbs(their_part, part)) out.items.push_back(std::move(part));
          c = stop;
        } else {  // only this value has [c, stop)
          const std::uint64_t stop = t != nullptr ? std::min(end, t->first.counter) : end;
          out.items.push_back(slice_item(item, k, stop - item.first.counter, mine_at));
          c = stop;
        }
      }
    }
    out.deletes = subtract_runs(canonical_runs(std::move(mine.deletes)),
                                canonical_runs(std::move(theirs.deletes)));
    Derived d;
    d.rebuild(std::move(out), /*normalized=*/true);  // slices of sorted, disjoint items
    return d;
  }

  /// A join decomposition, for protocols that split a value into messages: each part is one
  /// run of at most `decompose_elements_max` elements (and at most about
  /// `decompose_bytes_target` bytes of values, where the content can say), a deleted run with
  /// its tombstone, or one run of pending tombstones. These are not atoms: a deleted element
  /// has forgotten its value, so the lattice is not distributive and sequences are not
  /// Atomizable (docs/crdts.md#sequences).
  std::vector<Derived> decompose() const {
    // Maximal runs: a deleted run is one part even where the document keeps it as several
    // pieces (a forward run cut across leaves or at the bound; a backward run's elements are
    // one run each in the canonical form, and so one part each).
    std::vector<Item> items = canonical_document();
    items.insert(items.end(), pending_.begin(), pending_.end());
    std::vector<Derived> out;
    const auto emit = [&](Parts part) {
      Derived d;
      d.rebuild(std::move(part), /*normalized=*/true);
      out.push_back(std::move(d));
    };
    for (const Item& item : items) {
      if (item.deleted) {  // no values: one part however long (a forged length costs nothing)
        Parts part;
        part.items.push_back(item);
        part.deletes.push_back({item.first, item.length});
        emit(std::move(part));
        continue;
      }
      const auto bytes_of = [&](std::uint64_t k) -> std::size_t {
        if constexpr (requires { Content::element_bytes(item.content, 0); }) {
          return Content::element_bytes(item.content, k);
        } else {
          return 0;  // Text: at most 4 bytes an element, bounded by the count
        }
      };
      typename Content::Cursor at;
      for (std::uint64_t from = 0; from < item.length;) {
        // One element at least; another only while the part stays within the target, so a
        // part is at most the target or one element.
        std::uint64_t to = from + 1;
        std::size_t bytes = bytes_of(from);
        while (to < item.length && to - from < decompose_elements_max &&
               bytes + bytes_of(to) <= decompose_bytes_target) {
          bytes += bytes_of(to);
          ++to;
        }
        Parts part;
        part.items.push_back(slice_item(item, from, to, at));
        emit(std::move(part));
        from = to;
      }
    }
    for (const DotRun<Id>& r : pending_deletes_) {
      Parts part;
      part.deletes.push_back(r);
      emit(std::move(part));
    }
    return out;
  }

  friend bool operator==(const Derived& a, const Derived& b) {
    return a.visible_ == b.visible_ && a.pending_deletes_ == b.pending_deletes_ &&
           same_pieces(a.pending_, b.pending_) &&
           same_pieces(a.canonical_document(), b.canonical_document());
  }

  /// The document as maximal runs, in order, deleted ones included.
  std::vector<Piece> canonical_document() const { return document_runs(/*with_values=*/true); }
  /// The same runs without their values: what the encoding's shape needs, with no copy of the
  /// elements (which the encoding of a long list of strings spent most of its time and memory
  /// on).
  std::vector<Piece> canonical_shapes() const { return document_runs(/*with_values=*/false); }
  const auto& pending_pieces() const { return pending_; }
  const auto& pending_tombstones() const { return pending_deletes_; }

  friend std::ostream& operator<<(std::ostream& os, const Derived& s) { return s.print(os); }

 private:
  std::ostream& print(std::ostream& os) const {
    const SequenceBase& s = *this;
    os << Derived::type_name << "{";
    const char* sep = "";
    for (const Piece& p : s.canonical_document()) {
      os << sep << p.first << '+' << p.length << (p.left ? " L" : " R") << p.parent;
      if (p.deleted) {
        os << " deleted";
      } else {
        os << ' ';
        Derived::show_content(os, p.content);
      }
      sep = ", ";
    }
    if (!s.pending_.empty()) os << "; pending " << s.pending_.size() << " runs";
    if (!s.pending_deletes_.empty()) {
      os << "; pending tombstones";
      for (const DotRun<Id>& r : s.pending_deletes_) os << ' ' << r.first << '+' << r.length;
    }
    return os << '}';
  }

 public:
  /// Encoding: the replica ids (sorted, each once), then the shape of every piece as one byte
  /// string of varints (document order, then the pending pieces, then the pending tombstones),
  /// then the values of the pieces that are not deleted, in that order (Derived::save_values).
  /// A piece's shape is a flags varint (deleted, left, and where its parent is: the root, the
  /// last element of the piece before, the first of the piece after, or given), its replica's
  /// index, its first counter as a zigzag difference from where the piece before ended, its
  /// length, and a given parent's replica index and counter.
  template <class Archive>
  void save(Archive& ar) const {
    const std::vector<Piece> document = canonical_shapes();
    // Small vectors: every write's delta (one piece, one or two replicas) is encoded to be
    // counted, and this makes no allocation for it.
    boost::container::small_vector<Id, 2> replicas;
    const auto note = [&](const Id& r) { replicas.push_back(r); };
    // The replicas the shape names: a root parent names none.
    for (const Piece& p : document) {
      note(p.first.replica);
      if (p.parent.counter != 0) note(p.parent.replica);
    }
    for (const Piece& p : pending_) {
      note(p.first.replica);
      if (p.parent.counter != 0) note(p.parent.replica);
    }
    for (const DotRun<Id>& r : pending_deletes_) note(r.first.replica);
    std::sort(replicas.begin(), replicas.end());
    replicas.erase(std::unique(replicas.begin(), replicas.end()), replicas.end());
    save_size(ar, replicas.size());
    for (const Id& r : replicas) save_value(ar, r);
    const auto index = [&](const Id& r) {
      return static_cast<std::uint64_t>(std::lower_bound(replicas.begin(), replicas.end(), r) -
                                        replicas.begin());
    };
    std::string shape;
    put_varint(shape, document.size());
    put_varint(shape, pending_.size());
    put_varint(shape, pending_deletes_.size());
    std::uint64_t end = 0;
    const auto put_piece = [&](const Piece& p, const Piece* before, const Piece* after) {
      std::uint64_t where = parent_given;
      if (p.parent.counter == 0) {
        where = parent_root;
      } else if (before != nullptr && p.parent == before->last()) {
        where = parent_before;
      } else if (after != nullptr && p.parent == after->first) {
        where = parent_after;
      }
      put_varint(shape, (p.deleted ? 1U : 0U) | (p.left ? 2U : 0U) | (where << 2));
      put_varint(shape, index(p.first.replica));
      const std::uint64_t diff = p.first.counter - end;  // modulo 2^64
      put_varint(shape,
                 (diff << 1) ^ (static_cast<std::int64_t>(diff) < 0 ? ~std::uint64_t{0} : 0));
      put_varint(shape, p.length);
      if (where == parent_given) {
        put_varint(shape, index(p.parent.replica));
        put_varint(shape, p.parent.counter);
      }
      end = p.first.counter + p.length;
    };
    for (std::size_t i = 0; i < document.size(); ++i) {
      put_piece(document[i], i > 0 ? &document[i - 1] : nullptr,
                i + 1 < document.size() ? &document[i + 1] : nullptr);
    }
    for (const Piece& p : pending_) put_piece(p, nullptr, nullptr);
    for (const DotRun<Id>& r : pending_deletes_) {
      put_varint(shape, index(r.first.replica));
      put_varint(shape, r.first.counter);
      put_varint(shape, r.length);
    }
    save_value(ar, shape);
    // The values of the document's pieces as they are stored: the merged runs' values are the
    // same elements in the same order, and the values go out as one sequence.
    boost::container::small_vector<const Piece*, 4> valued;
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        if (!p.deleted) valued.push_back(&p);
      }
    }
    for (const Piece& p : pending_) {
      if (!p.deleted) valued.push_back(&p);
    }
    Derived::save_values(ar, std::span<const Piece* const>(valued.data(), valued.size()));
  }

  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t replica_count = load_size(ar);
    std::vector<Id> replicas;
    replicas.reserve(bounded_reserve(replica_count));
    for (std::uint64_t i = 0; i < replica_count; ++i) {
      Id r{};
      load_value(ar, r);
      decode_require(replicas.empty() || replicas.back() < r,
                     "calm: a sequence's replica ids are not sorted and distinct");
      decode_require(id_fits(r), "calm: a sequence's replica id is too long");
      replicas.push_back(std::move(r));
    }
    std::string shape;
    load_value(ar, shape);
    std::size_t at = 0;
    const auto next = [&] { return get_varint(shape, at); };
    std::vector<bool> named(replicas.size(), false);
    const auto replica = [&]() -> const Id& {
      const std::uint64_t i = next();
      decode_require(i < replicas.size(), "calm: a sequence names a replica it does not list");
      named[static_cast<std::size_t>(i)] = true;
      return replicas[static_cast<std::size_t>(i)];
    };
    const std::uint64_t document_count = next();
    const std::uint64_t pending_count = next();
    const std::uint64_t delete_count = next();
    std::vector<Piece> document;
    std::vector<Piece> pending;
    std::vector<std::uint64_t> parent_where;
    std::uint64_t end = 0;
    const auto get_piece = [&]() {
      Piece p;
      const std::uint64_t flags = next();
      decode_require(flags < 16, "calm: a sequence piece has unknown flags");
      p.deleted = (flags & 1U) != 0;
      p.left = (flags & 2U) != 0;
      const std::uint64_t where = flags >> 2;
      p.first.replica = replica();
      const std::uint64_t zigzag = next();
      p.first.counter = end + ((zigzag >> 1) ^ (~(zigzag & 1) + 1));
      p.length = next();
      decode_require(p.first.counter != 0 && p.length != 0 &&
                         p.length <= std::numeric_limits<std::uint64_t>::max() - p.first.counter,
                     "calm: a sequence piece has an empty or overflowing range of counters");
      if (where == parent_given) {
        p.parent.replica = replica();
        p.parent.counter = next();
        decode_require(p.parent.counter != 0, "calm: a sequence piece's parent has counter 0");
        // An element is never its own ancestor: such a piece could never be placed, and a
        // pending piece kept forever would cost every later merge a rebuild.
        decode_require(
            !(p.parent.replica == p.first.replica && p.parent.counter >= p.first.counter &&
              p.parent.counter - p.first.counter < p.length),
            "calm: a sequence piece's parent is one of its own elements");
      }
      decode_require(where != parent_root || !p.left,
                     "calm: an element is a left child of the root");
      end = p.first.counter + p.length;
      parent_where.push_back(where);
      return p;
    };
    for (std::uint64_t i = 0; i < document_count; ++i) document.push_back(get_piece());
    for (std::size_t i = 0; i < document.size(); ++i) {
      const std::optional<ElementId> before =
          i > 0 ? std::optional<ElementId>(document[i - 1].last()) : std::nullopt;
      const std::optional<ElementId> after =
          i + 1 < document.size() ? std::optional<ElementId>(document[i + 1].first) : std::nullopt;
      if (parent_where[i] == parent_before) {
        decode_require(before.has_value(), "calm: the first piece's parent is the piece before it");
        document[i].parent = *before;
      } else if (parent_where[i] == parent_after) {
        decode_require(after.has_value(), "calm: the last piece's parent is the piece after it");
        document[i].parent = *after;
      }
      // One encoding per value: a parent is given only where neither neighbour names it, and
      // "after" only where "before" does not.
      decode_require((parent_where[i] != parent_given ||
                      (document[i].parent != before && document[i].parent != after)) &&
                         (parent_where[i] != parent_after || document[i].parent != before),
                     "calm: a sequence piece's parent is not written in its shortest form");
    }
    for (std::uint64_t i = 0; i < pending_count; ++i) {
      pending.push_back(get_piece());
      decode_require(parent_where.back() == parent_given || parent_where.back() == parent_root,
                     "calm: a pending piece's parent is not given");
    }
    Parts parts;
    for (std::uint64_t i = 0; i < delete_count; ++i) {
      DotRun<Id> r;
      r.first.replica = replica();
      r.first.counter = next();
      r.length = next();
      decode_require(r.first.counter != 0 && r.length != 0 &&
                         r.length <= std::numeric_limits<std::uint64_t>::max() - r.first.counter,
                     "calm: a sequence tombstone has an empty or overflowing range");
      parts.deletes.push_back(r);
    }
    decode_require(at == shape.size(), "calm: a sequence's shape has bytes left over");
    decode_require(std::find(named.begin(), named.end(), false) == named.end(),
                   "calm: a sequence lists a replica it never names");
    const std::vector<DotRun<Id>> tombstones = parts.deletes;
    decode_require(canonical_runs(parts.deletes) == tombstones,
                   "calm: a sequence's pending tombstones are not canonical");
    std::vector<Piece*> valued;
    for (Piece& p : document) {
      if (!p.deleted) valued.push_back(&p);
    }
    for (Piece& p : pending) {
      if (!p.deleted) valued.push_back(&p);
    }
    Derived::load_values(ar, valued);
    // The values move into the rebuild; the check after it compares shapes, which place every
    // id, and the values travel with their ids.
    std::vector<Piece> document_shapes;
    document_shapes.reserve(document.size());
    parts.items.reserve(document.size() + pending.size());
    for (Piece& p : document) {
      document_shapes.push_back(slice_shape(p, 0, p.length));
      if (p.deleted) parts.deletes.push_back({p.first, p.length});
      parts.items.push_back(std::move(p));
    }
    parts.items.insert(parts.items.end(), pending.begin(), pending.end());
    assign_decoded(std::move(parts), document_shapes, pending, tombstones);
  }

 protected:
  struct Leaf {
    std::vector<Piece> pieces;
    std::size_t visible = 0;
  };
  /// A visible element: leaf, piece in the leaf, offset in the piece.
  struct Where {
    std::size_t leaf = 0;
    std::size_t piece = 0;
    std::uint64_t offset = 0;
    std::size_t before = 0;  // visible elements before the leaf
  };
  /// A piece as merge and decode see it: no cached flags, content possibly empty if deleted.
  using Item = Piece;
  struct Parts {
    std::vector<Item> items;  // disjoint once normalized
    std::vector<DotRun<Id>> deletes;
  };
  struct Counts {
    std::uint64_t elements = 0;
    std::uint64_t tombstones = 0;
    friend bool operator==(const Counts&, const Counts&) = default;
  };

  Derived& derived() { return static_cast<Derived&>(*this); }
  const Derived& derived() const { return static_cast<const Derived&>(*this); }

  /// The next counter of `replica`, reserving `n` of them; throws std::overflow_error before
  /// changing anything when the replica would run out.
  std::uint64_t reserve_counters(const Id& replica, std::uint64_t n) {
    std::uint64_t last = 0;
    for (const auto& [r, c] : last_counters_) {
      if (r == replica) last = c;
    }
    if (n == 0 || last > std::numeric_limits<std::uint64_t>::max() - 1 - n) {
      throw std::overflow_error("calm: a replica ran out of sequence element counters");
    }
    return last + 1;
  }
  void note_counter(const Id& replica, std::uint64_t last) {
    for (auto& [r, c] : last_counters_) {
      if (r == replica) {
        c = std::max(c, last);
        return;
      }
    }
    last_counters_.emplace_back(replica, last);
    std::sort(last_counters_.begin(), last_counters_.end());
  }
  template <class RunRange>
  static auto last_counters_for(const RunRange& runs) {
    LastCounters out;
    for (const DotRun<Id>& r : runs) {
      if (!out.empty() && out.back().first == r.first.replica) {
        out.back().second = std::max(out.back().second, r.end() - 1);
      } else {
        out.emplace_back(r.first.replica, r.end() - 1);
      }
    }
    return out;
  }

  /// Inserts `n` elements with values `content` at visible position `pos`, by `replica`;
  /// returns the delta. Throws std::out_of_range (pos > size()) or std::overflow_error, changing
  /// nothing.
  Derived insert_run(const Id& replica, std::size_t pos, Storage content, std::uint64_t n) {
    if (pos > visible_) throw std::out_of_range("calm: insert position is past the end");
    if (!id_fits(replica)) {
      throw std::length_error("calm: a sequence's replica id is longer than " +
                              std::to_string(replica_id_bytes_max) + " bytes");
    }
    Derived delta;
    if (n == 0) return delta;
    const std::uint64_t counter = reserve_counters(replica, n);
    Piece fresh;
    fresh.first = {replica, counter};
    fresh.length = n;
    fresh.content = std::move(content);

    if (leaves_.empty()) {  // the root has no right child: the first element is one
      fresh.parent = ElementId{};
      leaves_.emplace_back();
      store_runs(leaves_.front().pieces, 0, fresh);
      cache_leaf_ = 0;
      cache_before_ = 0;
      grow(0, n);
    } else if (pos == 0) {  // the root has a right child: left child of the first element
      Leaf& leaf = leaves_.front();
      Piece& front = leaf.pieces.front();
      fresh.parent = front.at(0);
      fresh.left = true;
      bool joined = false;
      if constexpr (backward_runs) {
        if (extends_backward(front, fresh)) {
          Content::append(front.content, fresh.content);
          front.length += n;
          front.backward = true;
          joined = true;
        }
      }
      if (!joined) {
        front.head_has_left = true;
        store_runs(leaf.pieces, 0, fresh);
      }
      // The last edit is at the front now: the next one there (LPUSH after LPUSH, a read of
      // the head) must not walk back over the leaves between (deleted ones, in a queue).
      cache_leaf_ = 0;
      cache_before_ = 0;
      grow(0, n);
    } else {
      const Where w = seek(pos - 1);
      Leaf& leaf = leaves_[w.leaf];
      Piece& a = leaf.pieces[w.piece];
      const bool a_is_last = w.offset + 1 == a.length;
      if (a_is_last && !a.tail_has_right) {
        // Right child of `a`, which is the end of its piece: typing extends the piece.
        fresh.parent = a.last();
        if (a.first.replica == replica && a.first.counter + a.length == counter && !a.deleted &&
            !a.backward && n <= run_values_max && a.length <= run_values_max - n) {
          Content::append(a.content, fresh.content);
          a.length += n;
        } else {
          a.tail_has_right = true;
          store_runs(leaf.pieces, w.piece + 1, fresh);
        }
      } else if (!a_is_last && !a.backward) {
        // `a`'s right child is the next element of its piece, `b`: left child of `b`.
        fresh.parent = a.at(w.offset + 1);
        fresh.left = true;
        Piece tail = split_tail(a, w.offset + 1);
        tail.head_has_left = true;
        leaf.pieces.insert(leaf.pieces.begin() + static_cast<std::ptrdiff_t>(w.piece) + 1,
                           std::move(tail));
        store_runs(leaf.pieces, w.piece + 1, fresh);
      } else if (!a_is_last) {
        // A backward run: `a` is the left child of the next element, and has no right child
        // (it would stand between them): right child of `a`, between the two halves.
        Piece tail = split_tail(a, w.offset + 1);
        a.tail_has_right = true;
        fresh.parent = a.last();
        leaf.pieces.insert(leaf.pieces.begin() + static_cast<std::ptrdiff_t>(w.piece) + 1,
                           std::move(tail));
        store_runs(leaf.pieces, w.piece + 1, fresh);
      } else {
        // `a` ends its piece and has a right child elsewhere: the next piece starts with `b`.
        Piece* b = next_piece(w.leaf, w.piece);
        CALM_ASSERT(b != nullptr, "an element with a right child is followed by its subtree");
        b->head_has_left = true;
        fresh.parent = b->at(0);
        fresh.left = true;
        store_runs(leaf.pieces, w.piece + 1, fresh);
      }
      grow(w.leaf, n);
    }
    note_counter(replica, counter + n - 1);
    fresh.tail_has_right = false;
    delta.last_counters_.emplace_back(replica, counter + n - 1);
    if (fresh.parent.counter != 0) delta.note_counter(fresh.parent.replica, fresh.parent.counter);
    if (fresh.parent.counter == 0) {
      delta.leaves_.emplace_back();
      delta.store_runs(delta.leaves_.front().pieces, 0, fresh);
      delta.grow(0, n);
    } else {
      delta.pending_.push_back(std::move(fresh));
    }
    return delta;
  }

  /// A backward run's bound on its values: a split inside one (an insert there, local or
  /// received) moves up to this many.
  static constexpr std::uint64_t backward_run_max = 32;
  /// Whether local front inserts make backward runs (List: yes; Text, whose UTF-8 runs would
  /// have to be read backwards: no).
  static constexpr bool backward_runs = Content::backward_runs;
  /// The most values a forward run of the document holds (List: 64; Text: no bound). A split
  /// moves the values on one side of it, and LPOP after RPUSH splits the front of the run
  /// that the pushes made: without a bound, every pop of a queue moved the whole queue.
  /// Pending pieces and the canonical form keep maximal runs.
  static constexpr std::uint64_t run_values_max = Content::run_values_max;
  /// Inserts `fresh` (forward, flags unset) at pieces[at] as the document stores it: itself,
  /// or runs of run_values_max values, each the right child of the one before.
  static void store_runs(std::vector<Piece>& pieces, std::size_t at, const Piece& fresh) {
    const auto where = pieces.begin() + static_cast<std::ptrdiff_t>(at);
    if (fresh.length <= run_values_max) {
      pieces.insert(where, fresh);
      return;
    }
    std::vector<Piece> runs;
    runs.reserve(fresh.length / run_values_max + 1);
    for (std::uint64_t from = 0; from < fresh.length; from += run_values_max) {
      runs.push_back(slice_item(fresh, from, std::min(fresh.length, from + run_values_max)));
      runs.back().tail_has_right = from + run_values_max < fresh.length;
    }
    pieces.insert(where, std::make_move_iterator(runs.begin()),
                  std::make_move_iterator(runs.end()));
  }
  /// Whether `fresh` (the new left child of `front`'s first element) joins `front` as a
  /// backward run: one element, by the replica whose next counter it is.
  static bool extends_backward(const Piece& front, const Piece& fresh) {
    return fresh.length == 1 && !front.deleted && !front.head_has_left &&
           (front.backward || front.length == 1) && front.length < backward_run_max &&
           front.first.replica == fresh.first.replica &&
           front.first.counter + front.length == fresh.first.counter;
  }

  /// The visible element at `pos` (< size()), found from the cursor cache; leaves it alone.
  Where locate(std::size_t pos) const {
    CALM_ASSERT(pos < visible_, "locate a visible element");
    std::size_t leaf = cache_leaf_;
    std::size_t before = cache_before_;
    if (leaf >= leaves_.size()) {
      leaf = 0;
      before = 0;
    }
    while (pos < before) before -= leaves_[--leaf].visible;
    while (pos >= before + leaves_[leaf].visible) before += leaves_[leaf++].visible;
    std::size_t rest = pos - before;
    const std::vector<Piece>& pieces = leaves_[leaf].pieces;
    for (std::size_t i = 0;; ++i) {
      const Piece& p = pieces[i];
      if (p.deleted) continue;
      if (rest < p.length) return {leaf, i, rest, before};
      rest -= p.length;
    }
  }
  /// locate(pos), and the cursor cache moves there: where a local edit is about to happen.
  Where seek(std::size_t pos) {
    const Where w = locate(pos);
    cache_leaf_ = w.leaf;
    cache_before_ = w.before;
    return w;
  }

  template <class F>
  void for_each_visible_piece(F f) const {
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        if (!p.deleted) f(p);
      }
    }
  }

  /// Decoding: the value that `parts` describes, if its document has the runs (shapes, no
  /// values) `expected_document`: the canonical ones.
  void assign_decoded(Parts parts, const std::vector<Piece>& expected_document,
                      const std::vector<Piece>& expected_pending,
                      const std::vector<DotRun<Id>>& expected_tombstones) {
    normalize_items(parts.items, /*reject_overlap=*/true);
    Derived built;
    built.rebuild(std::move(parts), /*normalized=*/true);
    decode_require(same_pieces(built.canonical_shapes(), expected_document) &&
                       same_pieces(built.pending_, expected_pending) &&
                       std::equal(built.pending_deletes_.begin(), built.pending_deletes_.end(),
                                  expected_tombstones.begin(), expected_tombstones.end()),
                   "calm: a sequence's encoding is not in its canonical order");
    derived() = std::move(built);
  }

  // Contiguous, and a leaf split moves only the headers on its shorter side: LPUSH splits at the
  // front, typing and RPUSH near the end (detail/devector.hpp).
  Devector<Leaf> leaves_;
  std::size_t visible_ = 0;
  // Small vectors: a delta holds one piece or one run, and makes no allocation for it.
  using Pieces = boost::container::small_vector<Piece, 1>;
  using Runs = boost::container::small_vector<DotRun<Id>, 1>;
  Pieces pending_;        // canonical: sorted by id, maximal runs
  Runs pending_deletes_;  // canonical
  using LastCounters = boost::container::small_vector<std::pair<Id, std::uint64_t>, 1>;
  LastCounters last_counters_;  // per replica, its greatest counter here: derived, not compared
  // Where the last local edit was: its leaf, and the visible elements before that leaf. Only
  // the mutators write it, so that concurrent readers of one value do not race.
  std::size_t cache_leaf_ = 0;
  std::size_t cache_before_ = 0;

 private:
  void become_bot() {
    leaves_.clear();
    visible_ = 0;
    pending_.clear();
    pending_deletes_.clear();
    last_counters_.clear();
    cache_leaf_ = 0;
    cache_before_ = 0;
  }

  /// The longest replica id (of a type with a size(), such as std::string) a sequence takes:
  /// every piece holds a copy of its id, so a long one would make decoding n bytes allocate
  /// far more than n. Inserts refuse a longer one, and decoding does.
  static constexpr std::size_t replica_id_bytes_max = 256;
  static bool id_fits(const Id& id) {
    if constexpr (requires { id.size(); }) {
      return id.size() <= replica_id_bytes_max;
    } else {
      return true;
    }
  }
  static constexpr std::uint64_t parent_root = 0;
  static constexpr std::uint64_t parent_before = 1;
  static constexpr std::uint64_t parent_after = 2;
  static constexpr std::uint64_t parent_given = 3;

  static void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  static std::uint64_t get_varint(const std::string& in, std::size_t& at) {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      decode_require(at < in.size(), "calm: a sequence's shape ends inside a number");
      const auto byte = static_cast<unsigned char>(in[at++]);
      decode_require(shift < 63 || byte <= 1, "calm: a sequence's shape has a number past 64 bits");
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        decode_require(byte != 0 || shift == 0, "calm: a sequence's shape has a padded number");
        return v;
      }
    }
    throw DecodeError("calm: a sequence's shape has a number past 64 bits");
  }
  template <class A, class B>
  static bool same_pieces(const A& a, const B& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const Piece& x, const Piece& y) { return x.same_value(y); });
  }

  void grow(std::size_t leaf, std::uint64_t n) {
    leaves_[leaf].visible += n;
    visible_ += n;
    if (leaf < cache_leaf_) cache_before_ += n;
    // One new piece splits a leaf once; a long insert's runs (store_runs) may take several.
    for (std::size_t l = leaf, end = leaf + 1; l < end;) {
      if (leaves_[l].pieces.size() > leaf_pieces_max) {
        split_leaf(l);
        ++end;
      } else {
        ++l;
      }
    }
  }
  void split_leaf(std::size_t leaf) {
    Leaf upper;
    std::vector<Piece>& pieces = leaves_[leaf].pieces;
    const std::size_t half = pieces.size() / 2;
    upper.pieces.assign(std::make_move_iterator(pieces.begin() + static_cast<std::ptrdiff_t>(half)),
                        std::make_move_iterator(pieces.end()));
    pieces.resize(half);
    for (const Piece& p : upper.pieces) {
      if (!p.deleted) upper.visible += p.length;
    }
    leaves_[leaf].visible -= upper.visible;
    leaves_.insert(leaf + 1, std::move(upper));
    if (cache_leaf_ > leaf) ++cache_leaf_;  // the cached leaf's start does not move
  }

  Piece* next_piece(std::size_t leaf, std::size_t piece) {
    if (piece + 1 < leaves_[leaf].pieces.size()) return &leaves_[leaf].pieces[piece + 1];
    for (std::size_t l = leaf + 1; l < leaves_.size(); ++l) {
      if (!leaves_[l].pieces.empty()) return &leaves_[l].pieces.front();
    }
    return nullptr;
  }

  /// Cuts `p` after document offset k - 1 (0 < k < length); returns offsets k.. as a piece.
  /// Forward, the tail is the right child of element k - 1; backward, element k - 1 (the
  /// head's last) is the left child of the tail's first, and the tail keeps the lower ids.
  static Piece split_tail(Piece& p, std::uint64_t k) {
    CALM_ASSERT(k > 0 && k < p.length, "split a piece inside it");
    Piece tail;
    tail.length = p.length - k;
    tail.deleted = p.deleted;
    tail.tail_has_right = p.tail_has_right;
    const bool was_backward = p.backward;
    if (was_backward) {
      tail.first = p.first;
      tail.parent = p.parent;
      tail.left = p.left;
      tail.head_has_left = true;
      tail.backward = tail.length > 1;
      p.first.counter += tail.length;
      p.parent = tail.at(0);
      p.left = true;
      p.backward = k > 1;
      p.tail_has_right = false;
    } else {
      tail.first = p.at(k);
      tail.parent = p.at(k - 1);
      tail.left = false;
      tail.head_has_left = false;
      p.tail_has_right = true;
    }
    if (!p.deleted && was_backward) {
      // Values in id order: the tail keeps the lower ids and the vector, the head takes its k.
      Storage head = Content::split_off(p.content, p.length - k, p.length);
      tail.content = std::move(p.content);
      p.content = std::move(head);
    } else if (!p.deleted) {
      tail.content = Content::split_off(p.content, k, p.length);
    }
    p.length = k;
    return tail;
  }

  static Item slice_item(const Item& item, std::uint64_t from, std::uint64_t to) {
    Item out = slice_shape(item, from, to);
    if (!item.deleted) out.content = Content::slice(item.content, from, to, item.length);
    return out;
  }
  /// The same, for slices taken in order along one item (`at` remembers where the last ended).
  static Item slice_item(const Item& item, std::uint64_t from, std::uint64_t to,
                         typename Content::Cursor& at) {
    Item out = slice_shape(item, from, to);
    if (!item.deleted) out.content = Content::slice(item.content, from, to, item.length, at);
    return out;
  }
  /// Elements [from, to) of `item`, without their values.
  static Item slice_shape(const Item& item, std::uint64_t from, std::uint64_t to) {
    CALM_ASSERT(!item.backward, "items and canonical pieces are forward runs");
    Item out;
    out.first = item.at(from);
    out.length = to - from;
    out.parent = item.parent_of(from);
    out.left = from == 0 && item.left;
    out.deleted = item.deleted;
    return out;
  }
  /// `item` cut at offsets `at` (0 = at[0] < ... < at.back() = its length), appended to `out`:
  /// one pass over its values, however many cuts.
  static void cut_item(Item&& item, const std::vector<std::uint64_t>& at, std::vector<Item>& out) {
    if (at.size() == 2) {
      out.push_back(std::move(item));
      return;
    }
    std::vector<Storage> contents;
    if (!item.deleted) contents = Content::cut(std::move(item.content), at, item.length);
    for (std::size_t i = 0; i + 1 < at.size(); ++i) {
      out.push_back(slice_shape(item, at[i], at[i + 1]));
      if (!item.deleted) out.back().content = std::move(contents[i]);
    }
  }

  /// Deletes up to `n` visible elements from `w` on, within its piece; returns the run of ids
  /// it deleted.
  DotRun<Id> erase_in_piece(const Where& w, std::uint64_t n) {
    Leaf& leaf = leaves_[w.leaf];
    std::vector<Piece>& pieces = leaf.pieces;
    const std::uint64_t k = w.offset;
    const std::uint64_t m = std::min<std::uint64_t>(n, pieces[w.piece].length - k);
    // The ids of offsets [k, k + m): a backward run's lowest is at the far end.
    const DotRun<Id> erased{
        pieces[w.piece].backward ? pieces[w.piece].at(k + m - 1) : pieces[w.piece].at(k), m};
    std::size_t at = w.piece;
    if (!erase_front_of_backward_run(pieces, at, k, m)) {
      if (k > 0) {
        Piece tail = split_tail(pieces[at], k);
        pieces.insert(pieces.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(tail));
        ++at;
      }
      if (pieces[at].length > m) {
        Piece tail = split_tail(pieces[at], m);
        pieces.insert(pieces.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(tail));
      }
      pieces[at].deleted = true;
      pieces[at].content = Storage{};
    }
    // Join deleted neighbours that continue the run, so backspacing leaves one tombstone piece
    // (and LPOP after LPUSH one a backward run).
    if (at + 1 < pieces.size() && joins_deleted(pieces[at], pieces[at + 1])) {
      absorb(pieces[at], pieces[at + 1]);
      pieces.erase(pieces.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    }
    if (at > 0 && joins_deleted(pieces[at - 1], pieces[at])) {
      absorb(pieces[at - 1], pieces[at]);
      pieces.erase(pieces.begin() + static_cast<std::ptrdiff_t>(at));
    }
    leaf.visible -= m;
    visible_ -= m;
    if (w.leaf < cache_leaf_) cache_before_ -= m;
    if (pieces.size() > leaf_pieces_max) split_leaf(w.leaf);
    return erased;
  }

  /// Erases offsets [0, m) of pieces[at] when it is a backward run longer than m (LPOP after
  /// LPUSH): they leave the front of its values and become a deleted piece before it, joined to
  /// the tombstones there when they continue them, so that the rest of its values stay where
  /// they are (a split would move them). `at` becomes the deleted piece's index. False,
  /// changing nothing, otherwise.
  bool erase_front_of_backward_run(std::vector<Piece>& pieces, std::size_t& at, std::uint64_t k,
                                   std::uint64_t m) {
    if constexpr (backward_runs) {
      Piece& p = pieces[at];
      if (!p.backward || p.deleted || k != 0 || m >= p.length) return false;
      Piece gone;
      gone.first = {p.first.replica, p.first.counter + (p.length - m)};
      gone.length = m;
      gone.parent = p.at(m);
      gone.left = true;
      gone.backward = m > 1;
      gone.deleted = true;
      gone.head_has_left = p.head_has_left;
      Content::truncate(p.content, p.length - m, p.length);  // the top ids' values
      p.length -= m;
      p.backward = p.length > 1;
      p.head_has_left = true;
      if (at > 0 && joins_deleted(pieces[at - 1], gone)) {
        absorb(pieces[at - 1], gone);
        --at;
      } else {
        pieces.insert(pieces.begin() + static_cast<std::ptrdiff_t>(at), std::move(gone));
      }
      return true;
    } else {
      (void)pieces, (void)at, (void)k, (void)m;
      return false;
    }
  }
  /// Whether deleted `a`, right before deleted `b` in the document, continues it into one
  /// piece: forward, or backward (a's ids right after b's, a's first the left child of b's
  /// first in the document).
  static bool joins_deleted(const Piece& a, const Piece& b) {
    if (!a.deleted || !b.deleted) return false;
    return a.continues_into(b) || continues_backward(a, b);
  }
  /// Whether `b`, right after `a` in the document and as deleted as it, continues it as a
  /// backward run (a's ids right after b's, a's first the left child of b's first in the
  /// document); a List's only (backward_runs).
  static bool continues_backward(const Piece& a, const Piece& b) {
    return backward_runs && a.deleted == b.deleted && (a.backward || a.length == 1) &&
           (b.backward || b.length == 1) && a.first.replica == b.first.replica &&
           a.first.counter == b.first.counter + b.length && a.left && a.parent == b.at(0);
  }
  /// `a` takes in `b`, the piece after it, which joins_deleted(a, b).
  static void absorb(Piece& a, const Piece& b) {
    if (a.continues_into(b)) {
      a.length += b.length;
    } else {
      a.first = b.first;
      a.length += b.length;
      a.parent = b.parent;
      a.left = b.left;
      a.backward = true;
    }
    a.tail_has_right = b.tail_has_right;
  }

  /// Where the element `id` is in the document, deleted or not: a linear scan of the pieces.
  std::optional<Where> find_element(const ElementId& id) const {
    for (std::size_t l = 0; l < leaves_.size(); ++l) {
      const std::vector<Piece>& pieces = leaves_[l].pieces;
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (pieces[i].contains(id)) return Where{l, i, pieces[i].offset_of(id)};
      }
    }
    return std::nullopt;
  }
  std::uint64_t last_counter(const Id& replica) const {
    for (const auto& [r, c] : last_counters_) {
      if (r == replica) return c;
    }
    return 0;
  }

  /// Places a received piece without a rebuild when that is simple: its ids are new here, its
  /// parent is here, and the parent has no child yet on the piece's side, so the piece goes
  /// right next to it (inside a backward run, which it splits, for a right child: no element
  /// there has one), as runs of at most run_values_max values. Returns false, changing
  /// nothing, otherwise.
  bool try_integrate(const Piece& p) {
    if (p.parent.counter == 0 || p.deleted || p.first.counter <= last_counter(p.first.replica)) {
      return false;
    }
    const std::optional<Where> at = find_element(p.parent);
    if (!at) return false;
    Leaf& leaf = leaves_[at->leaf];
    Piece& e = leaf.pieces[at->piece];
    Piece fresh = p;  // as a local insert's: no cached flags yet
    fresh.tail_has_right = false;
    fresh.head_has_left = false;
    if (p.left) {
      if (at->offset != 0 || e.head_has_left) return false;
      e.head_has_left = true;
      store_runs(leaf.pieces, at->piece, fresh);
    } else if (e.backward && at->offset + 1 < e.length) {
      // The next element of the run follows its parent at once: no right child between.
      Piece tail = split_tail(e, at->offset + 1);
      e.tail_has_right = true;
      leaf.pieces.insert(leaf.pieces.begin() + static_cast<std::ptrdiff_t>(at->piece) + 1,
                         std::move(tail));
      store_runs(leaf.pieces, at->piece + 1, fresh);
    } else {
      if (at->offset + 1 != e.length || e.tail_has_right) return false;
      if (!e.deleted && !e.backward && e.first.replica == p.first.replica &&
          e.first.counter + e.length == p.first.counter && p.length <= run_values_max &&
          e.length <= run_values_max - p.length) {
        Content::append(e.content, p.content);
        e.length += p.length;
      } else {
        e.tail_has_right = true;
        store_runs(leaf.pieces, at->piece + 1, fresh);
      }
    }
    grow(at->leaf, p.length);
    note_counter(p.first.replica, p.first.counter + p.length - 1);
    return true;
  }

  /// Joins `other`'s pending pieces into a value that holds only pending pieces (a turn's
  /// deltas of pushes at one place, joined one by one) when each comes after every id here:
  /// they stay pending, so the canonical form is this one's with them appended (continuing the
  /// last run when they extend it), as a rebuild would make it. O(other's pieces), where the
  /// rebuild would be O(n log n) per join and quadratic over a pipeline. False, changing
  /// nothing, when it does not apply.
  template <class Other>  // const Derived&, or Derived to take its pieces
  bool try_append_pending(Other&& other) {
    constexpr bool take = !std::is_lvalue_reference_v<Other>;
    if (!leaves_.empty() || pending_.empty() || !pending_deletes_.empty() ||
        !other.leaves_.empty() || !other.pending_deletes_.empty() || other.pending_.empty() ||
        other.pending_.size() > small_delta_runs_max) {
      return false;
    }
    const auto after = [](const Piece& a, const Piece& b) {  // b's ids all after a's
      return a.first.replica < b.first.replica ||
             (a.first.replica == b.first.replica && a.first.counter + a.length <= b.first.counter);
    };
    const Piece* previous = &pending_.back();
    for (const Piece& p : other.pending_) {
      if (p.deleted || !after(*previous, p)) return false;
      previous = &p;
    }
    for (auto& p : other.pending_) {
      note_counter(p.first.replica, p.first.counter + p.length - 1);
      if (p.parent.counter != 0) note_counter(p.parent.replica, p.parent.counter);
      Piece& back = pending_.back();
      if (back.continues_into(p)) {
        if constexpr (take) {
          Content::append(back.content, std::move(p.content));
        } else {
          Content::append(back.content, p.content);
        }
        back.length += p.length;
      } else {
        if constexpr (take) {
          pending_.push_back(std::move(p));
        } else {
          pending_.push_back(p);
        }
      }
    }
    return true;
  }

  /// Marks the elements of `run` deleted. Returns whether every one of them was here, and
  /// whether a visible one was deleted.
  std::pair<bool, bool> try_tombstone(const DotRun<Id>& run) {
    bool changed = false;
    std::uint64_t c = run.first.counter;
    // Each piece the run covers costs a scan: past a few, a rebuild is cheaper.
    for (std::size_t scans = 0; c < run.end(); ++scans) {
      if (scans == small_delta_runs_max) return {false, changed};
      const std::optional<Where> at = find_element({run.first.replica, c});
      if (!at) return {false, changed};
      const Piece& piece = leaves_[at->leaf].pieces[at->piece];
      // The piece's ids from c up: offsets at->offset on, or (backward) up to at->offset.
      const std::uint64_t m =
          std::min(run.end() - c, piece.backward ? at->offset + 1 : piece.length - at->offset);
      if (!piece.deleted) {
        Where from = *at;
        if (piece.backward) from.offset -= m - 1;
        erase_in_piece(from, m);
        changed = true;
      }
      c += m;
    }
    return {true, changed};
  }

  Counts counts() const {
    Counts c;
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        c.elements += p.length;
        if (p.deleted) c.tombstones += p.length;
      }
    }
    for (const Piece& p : pending_) c.elements += p.length;
    for (const DotRun<Id>& r : pending_deletes_) c.tombstones += r.length;
    return c;
  }

  Parts collect() const {
    Parts parts;
    collect_into(parts);
    return parts;
  }
  /// Adds this value's elements and tombstones to `parts`; with `only` (canonical runs), just
  /// the pieces and tombstone runs that hold one of those ids (whole).
  void collect_into(Parts& parts, const std::optional<std::vector<DotRun<Id>>>& only = {}) const {
    const auto wanted = [&](const Dot<Id>& first, std::uint64_t length) {
      if (!only) return true;
      return std::any_of(only->begin(), only->end(), [&](const DotRun<Id>& r) {
        return r.first.replica == first.replica && r.first.counter < first.counter + length &&
               first.counter < r.end();
      });
    };
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        if (!wanted(p.first, p.length)) continue;
        append_items(p, parts.items);
        if (p.deleted) parts.deletes.push_back({p.first, p.length});
      }
    }
    for (const Piece& p : pending_) {
      if (wanted(p.first, p.length)) parts.items.push_back(p);
    }
    for (const DotRun<Id>& r : pending_deletes_) {
      if (wanted(r.first, r.length)) parts.deletes.push_back(r);
    }
  }

  /// canonical_document and canonical_shapes: the leaves' pieces joined into maximal runs.
  std::vector<Piece> document_runs(bool with_values) const {
    std::vector<Piece> out;
    const auto add = [&](Piece shape, const Storage& values) {
      if (!out.empty() && out.back().continues_into(shape)) {
        out.back().length += shape.length;
        if (with_values) Content::append(out.back().content, values);
      } else {
        if (with_values) shape.content = values;
        out.push_back(std::move(shape));
      }
    };
    for (const Leaf& leaf : leaves_) {
      for (const Piece& p : leaf.pieces) {
        if (!p.backward) {
          add(slice_shape(p, 0, p.length), p.content);
          continue;
        }
        for (std::uint64_t k = 0; k < p.length; ++k) {  // a run per element, in order
          add(element_shape(p, k),
              with_values && !p.deleted
                  ? Content::slice(p.content, p.slot(k), p.slot(k) + 1, p.length)
                  : Storage{});
        }
      }
    }
    return out;
  }

  /// The element at offset k of `p` as a forward run of one, without its value.
  static Item element_shape(const Piece& p, std::uint64_t k) {
    Item out;
    out.first = p.at(k);
    out.length = 1;
    out.parent = p.parent_of(k);
    out.left = p.left_of(k);
    out.deleted = p.deleted;
    return out;
  }
  /// Appends `p` to `items` as forward runs: itself without its cached flags, or (a backward
  /// run) one item per element. Takes its values when given an rvalue.
  template <class P>  // const Piece&, or Piece
  static void append_items(P&& p, std::vector<Item>& items) {
    if (!p.backward) {
      items.push_back(std::forward<P>(p));
      items.back().tail_has_right = false;
      items.back().head_has_left = false;
      return;
    }
    std::vector<Storage> values;
    if (!p.deleted) {
      std::vector<std::uint64_t> at(p.length + 1);
      for (std::uint64_t k = 0; k <= p.length; ++k) at[k] = k;
      if constexpr (std::is_lvalue_reference_v<P>) {
        values = Content::cut(Storage(p.content), at, p.length);
      } else {
        values = Content::cut(std::move(p.content), at, p.length);
      }
    }
    for (std::uint64_t k = 0; k < p.length; ++k) {
      items.push_back(element_shape(p, k));
      if (!p.deleted) items.back().content = std::move(values[p.slot(k)]);
    }
  }

  /// collect_into for a value about to be dropped (join_all's inputs): each piece's elements
  /// move rather than copy, which a storage fold of a long list of strings spent most of its
  /// time on (one allocation per element). Leaves this value bottom.
  void move_into(Parts& parts) && {
    for (Leaf& leaf : leaves_) {
      for (Piece& p : leaf.pieces) {
        if (p.deleted) parts.deletes.push_back({p.first, p.length});
        append_items(std::move(p), parts.items);
      }
    }
    for (Piece& p : pending_) parts.items.push_back(std::move(p));
    parts.deletes.insert(parts.deletes.end(), pending_deletes_.begin(), pending_deletes_.end());
    derived() = Derived{};
  }

  /// The join of two definitions of the same ids: the greater parent and side (only the
  /// first element's can differ: the others are run children), the greater value element by
  /// element, and no values when either is deleted. Two honest replicas never define one id
  /// twice; forged or colliding ids still merge to one answer whatever the order.
  static Item resolve(const Item& x, const Item& y) {
    CALM_ASSERT(x.first == y.first && x.length == y.length, "resolve one range of ids");
    Item out = std::tie(x.parent, x.left) >= std::tie(y.parent, y.left) ? x : y;
    out.deleted = x.deleted || y.deleted;
    if (out.deleted) {
      out.content = Storage{};
    } else if (x.content != y.content) {
      out.content = Content::max_each(x.content, y.content, x.length);
    }
    return out;
  }
  /// Whether joining `y` into `x` changes nothing (tombstones aside: they travel on their own).
  static bool absorbs(const Item& x, const Item& y) {
    if (x.parent == y.parent && x.left == y.left &&
        (x.deleted || y.deleted || x.content == y.content)) {
      return true;
    }
    const Item j = resolve(x, y);
    return j.parent == x.parent && j.left == x.left && (j.deleted || j.content == x.content);
  }

  /// Sorts items by id and joins the ranges that several items define (merge collects two
  /// values, join_all any number, each without overlaps of its own). With `reject_overlap`
  /// (decoding one value), an overlap is an error instead. Returns whether a joined range
  /// differed between two of its definitions. The output is cut wherever an item starts or ends,
  /// and only there. O(ids + items log items): items that overlap nothing are moved whole, and
  /// each overlapping one is cut once (join_cluster).
  static bool normalize_items(std::vector<Item>& items, bool reject_overlap) {
    // Sorts indexes rather than the items themselves, which are large to move.
    std::vector<std::uint32_t> order(items.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return items[a].first < items[b].first;
    });
    bool differed = false;
    std::vector<Item> out;  // sorted and disjoint at every step
    out.reserve(items.size());
    for (std::size_t b = 0; b < order.size();) {
      // The cluster order[b, e): one replica's items, each starting before an earlier one ends.
      const Item& head = items[order[b]];
      std::uint64_t end = head.first.counter + head.length;
      std::size_t e = b + 1;
      for (; e < order.size(); ++e) {
        const Item& next = items[order[e]];
        if (!(next.first.replica == head.first.replica) || next.first.counter >= end) break;
        end = std::max(end, next.first.counter + next.length);
      }
      if (e == b + 1) {
        out.push_back(std::move(items[order[b]]));
      } else {
        decode_require(!reject_overlap, "calm: a sequence holds one element twice");
        differed = join_cluster(items, order, b, e, out) || differed;
      }
      b = e;
    }
    items = std::move(out);
    return differed;
  }

  /// normalize_items for one cluster, order[b, e): each item is cut once, at every start and
  /// end of the cluster inside it, so that all their pieces fall on the same ranges; each range
  /// joins its definitions in `order`, as re-cutting the output for each overlapping item did
  /// (O(ids x items): one item of n ids against n items of one), so `differed` is the same.
  /// Appends the ranges to `out`. The pieces are the input's values, copied at most once: the
  /// joins copy what they join, so the cluster costs O(ids + items log items).
  static bool join_cluster(std::vector<Item>& items, const std::vector<std::uint32_t>& order,
                           std::size_t b, std::size_t e, std::vector<Item>& out) {
    std::vector<std::uint64_t> bounds;
    bounds.reserve(2 * (e - b));
    for (std::size_t i = b; i < e; ++i) {
      const Item& item = items[order[i]];
      bounds.push_back(item.first.counter);
      bounds.push_back(item.first.counter + item.length);
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

    struct Cut {
      std::uint64_t start;
      std::uint64_t end;
      std::size_t next;  // its first piece not yet joined, in `pieces`
    };
    std::vector<Cut> cuts;
    cuts.reserve(e - b);
    std::vector<Item> pieces;  // every item's pieces, item after item
    std::vector<std::uint64_t> at;
    for (std::size_t i = b; i < e; ++i) {
      Item& item = items[order[i]];
      const std::uint64_t start = item.first.counter;
      const std::uint64_t end = start + item.length;
      at.assign(1, 0);
      for (auto it = std::upper_bound(bounds.begin(), bounds.end(), start);
           it != bounds.end() && *it < end; ++it) {
        at.push_back(*it - start);
      }
      at.push_back(item.length);
      cuts.push_back({start, end, pieces.size()});
      cut_item(std::move(item), at, pieces);
    }

    // Range by range, the items that hold it, in `order`: `cuts` is sorted by start (then by
    // input order), so the items that start at a range come after the ones still open.
    bool differed = false;
    std::vector<std::size_t> open;
    std::size_t opened = 0;
    for (std::size_t g = 0; g + 1 < bounds.size(); ++g) {
      const std::uint64_t lo = bounds[g];
      while (opened < cuts.size() && cuts[opened].start <= lo) open.push_back(opened++);
      std::optional<Item> joined;
      std::size_t kept = 0;
      for (std::size_t k = 0; k < open.size(); ++k) {
        Cut& c = cuts[open[k]];
        if (c.end <= lo) continue;  // closed
        open[kept++] = open[k];
        Item& piece = pieces[c.next++];
        if (!joined) {
          joined = std::move(piece);
        } else {
          differed = differed || !absorbs(*joined, piece) || !absorbs(piece, *joined);
          joined = resolve(*joined, piece);
        }
      }
      open.resize(kept);
      if (joined) out.push_back(std::move(*joined));
    }
    return differed;
  }

  /// Replaces the value with the one whose elements are `parts.items` and tombstones
  /// `parts.deletes`: places every element whose ancestors are all present by the in-order walk
  /// of the Fugue tree, and keeps the rest pending.
  /// `normalized`: the caller already ran normalize_items on parts.items.
  void rebuild(Parts parts, bool normalized = false) {
    std::vector<Item>& items = parts.items;
    if (!normalized) normalize_items(items, false);
    // A deleted item (it lost its values) is tombstoned: say so, so that the tombstone travels
    // with it (a delta may hold the item and not the tombstone, which the other side had).
    for (const Item& item : items) {
      if (item.deleted) parts.deletes.push_back({item.first, item.length});
    }
    const std::vector<DotRun<Id>> deletes = canonical_runs(std::move(parts.deletes));

    // Each item's parent element: (item, offset), found by binary search over the sorted items.
    const auto find =
        [&](const ElementId& d) -> std::optional<std::pair<std::size_t, std::uint64_t>> {
      auto it = std::upper_bound(items.begin(), items.end(), d,
                                 [](const ElementId& x, const Item& i) { return x < i.first; });
      if (it == items.begin()) return std::nullopt;
      --it;
      if (!it->contains(d)) return std::nullopt;
      return std::make_pair(static_cast<std::size_t>(it - items.begin()),
                            d.counter - it->first.counter);
    };
    struct Attach {
      std::size_t parent;  // item index; items.size() for the root
      std::uint64_t offset;
      bool right;  // left children first
      ElementId id;
      std::size_t child;
      auto key() const { return std::tie(parent, offset, right, id); }
    };
    const std::size_t root = items.size();
    std::vector<Attach> attach;
    attach.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Item& item = items[i];
      if (item.parent.counter == 0) {
        attach.push_back({root, 0, true, item.first, i});
      } else if (const auto at = find(item.parent)) {
        attach.push_back({at->first, at->second, !item.left, item.first, i});
      }
    }
    std::sort(attach.begin(), attach.end(),
              [](const Attach& a, const Attach& b) { return a.key() < b.key(); });
    std::vector<std::size_t> first_attach(items.size() + 2, attach.size());
    for (std::size_t a = attach.size(); a-- > 0;) first_attach[attach[a].parent] = a;
    for (std::size_t i = items.size() + 1; i-- > 0;) {
      first_attach[i] = std::min(first_attach[i], first_attach[i + 1]);
    }

    // The in-order walk, with an explicit stack (trees from real editing are deep).
    enum class Kind : std::uint8_t { subtree, emit, kids };
    struct Frame {
      Kind kind;
      std::size_t item;      // subtree, emit
      std::uint64_t offset;  // subtree, emit
      std::size_t begin;     // kids: attach[begin, end)
      std::size_t end;
    };
    std::vector<Frame> stack;
    std::vector<bool> placed(items.size(), false);
    std::vector<Piece> document;
    document.reserve(items.size());
    // The walk emits each item's elements in order: its slices walk on from the last.
    std::vector<typename Content::Cursor> cursors(items.size());
    // Appends elements [from, to) of item i to `out`, cut where tombstones start and end (a
    // tombstoned run keeps no values), joined to the run before where it continues it.
    // A document's runs hold at most run_values_max values; pending pieces stay maximal (they
    // are the canonical form).
    const auto emit_into = [&](std::vector<Piece>& out, std::size_t i, std::uint64_t from,
                               std::uint64_t to, bool document_runs) {
      const Item& item = items[i];
      // Split [from, to) by the tombstones of its ids.
      std::uint64_t k = from;
      auto it =
          std::upper_bound(deletes.begin(), deletes.end(), item.at(from),
                           [](const ElementId& x, const DotRun<Id>& r) { return x < r.first; });
      if (it != deletes.begin()) --it;
      while (k < to) {
        const ElementId here = item.at(k);
        while (it != deletes.end() &&
               (it->first.replica < here.replica ||
                (it->first.replica == here.replica && it->end() <= here.counter))) {
          ++it;
        }
        bool dead = false;
        std::uint64_t stop = to;
        if (it != deletes.end() && it->first.replica == here.replica) {
          if (it->first.counter <= here.counter) {
            dead = true;
            stop = std::min<std::uint64_t>(to, it->end() - item.first.counter);
          } else {
            stop = std::min<std::uint64_t>(to, it->first.counter - item.first.counter);
          }
        }
        const bool gone = dead || item.deleted;
        bool joins = false;
        bool joins_backward = false;  // the element goes under the last piece, backward
        if (!out.empty()) {
          Piece shape = slice_shape(item, k, k + 1);
          shape.deleted = gone;
          joins = out.back().continues_into(shape);
          if (!joins && document_runs) {
            joins_backward = continues_backward(out.back(), shape) &&
                             (gone || out.back().length < backward_run_max);
            if (joins_backward) stop = k + 1;
          }
        }
        if (document_runs && !gone) {
          const std::uint64_t held = joins ? out.back().length : 0;
          if (held >= run_values_max) {
            joins = false;
            stop = std::min(stop, k + run_values_max);
          } else if (stop - k > run_values_max - held) {
            stop = k + (run_values_max - held);
          }
        }
        // A tombstoned slice keeps no values: its shape only. A whole item is emitted once
        // (placed below), so its values move instead of being copied.
        Piece piece = slice_shape(item, k, stop);  // no flags cached, no values yet
        piece.deleted = gone;
        if (!piece.deleted) {
          if (k == 0 && stop == item.length) {
            piece.content = std::move(items[i].content);
          } else if constexpr (requires(Storage & v) { Content::take(v, 0, 0); }) {
            piece.content = Content::take(items[i].content, k, stop);  // each value once
          } else {
            piece.content = Content::slice(item.content, k, stop, item.length, cursors[i]);
          }
        }
        if (joins) {
          out.back().length += piece.length;
          Content::append(out.back().content, std::move(piece.content));
        } else if (joins_backward) {
          // The lowest id of the run: its value goes first (a backward run's content is in
          // id order).
          if constexpr (backward_runs) {
            if (!piece.deleted) Content::prepend(out.back().content, std::move(piece.content));
          }
          absorb(out.back(), piece);
        } else {
          out.push_back(std::move(piece));
        }
        k = stop;
      }
    };
    if (first_attach[root] < attach.size()) {
      stack.push_back({Kind::kids, 0, 0, first_attach[root], attach.size()});
    }
    while (!stack.empty()) {
      const Frame f = stack.back();
      stack.pop_back();
      if (f.kind == Kind::kids) {
        if (f.begin + 1 < f.end) stack.push_back({Kind::kids, 0, 0, f.begin + 1, f.end});
        stack.push_back({Kind::subtree, attach[f.begin].child, 0, 0, 0});
        continue;
      }
      const Item& item = items[f.item];
      if (f.kind == Kind::emit) {
        emit_into(document, f.item, f.offset, f.offset + 1, true);
        continue;
      }
      if (f.offset == 0) placed[f.item] = true;
      // The item's attachments at offsets >= f.offset.
      std::size_t a =
          std::lower_bound(attach.begin() + static_cast<std::ptrdiff_t>(first_attach[f.item]),
                           attach.begin() + static_cast<std::ptrdiff_t>(first_attach[f.item + 1]),
                           f.offset,
                           [](const Attach& x, std::uint64_t off) { return x.offset < off; }) -
          attach.begin();
      const std::size_t a_end = first_attach[f.item + 1];
      const std::uint64_t k = a < a_end ? attach[a].offset : item.length;
      if (k > f.offset)
        emit_into(document, f.item, f.offset, k, true);  // elements with only their run child
      if (k == item.length) continue;
      std::size_t left_end = a;
      while (left_end < a_end && attach[left_end].offset == k && !attach[left_end].right)
        ++left_end;
      std::size_t right_end = left_end;
      while (right_end < a_end && attach[right_end].offset == k) ++right_end;
      if (k + 1 < item.length) {
        const ElementId chain = item.at(k + 1);
        std::size_t mid = left_end;
        while (mid < right_end && attach[mid].id < chain) ++mid;
        if (mid < right_end) stack.push_back({Kind::kids, 0, 0, mid, right_end});
        stack.push_back({Kind::subtree, f.item, k + 1, 0, 0});
        if (left_end < mid) stack.push_back({Kind::kids, 0, 0, left_end, mid});
      } else if (left_end < right_end) {
        stack.push_back({Kind::kids, 0, 0, left_end, right_end});
      }
      stack.push_back({Kind::emit, f.item, k, 0, 0});
      if (a < left_end) stack.push_back({Kind::kids, 0, 0, a, left_end});
    }

    // Whether element `offset` of item i has a child on that side: a binary search among the
    // item's attachments, which are sorted by (offset, side).
    const auto attached = [&](std::size_t i, std::uint64_t offset, bool right) {
      const auto lo = attach.begin() + static_cast<std::ptrdiff_t>(first_attach[i]);
      const auto hi = attach.begin() + static_cast<std::ptrdiff_t>(first_attach[i + 1]);
      const auto it =
          std::lower_bound(lo, hi, std::make_pair(offset, right),
                           [](const Attach& x, const std::pair<std::uint64_t, bool>& k) {
                             return std::make_pair(x.offset, x.right) < k;
                           });
      return it != hi && it->offset == offset && it->right == right;
    };
    // Right-child flags of each piece's last element, for local inserts.
    const auto has_right_child = [&](const Piece& p) {
      const auto at = find(p.last());
      CALM_ASSERT(at.has_value(), "a placed piece comes from an item");
      const Item& item = items[at->first];
      if (at->second + 1 < item.length) return true;
      return attached(at->first, at->second, true);
    };

    const auto has_left_child = [&](const Piece& p) {
      const auto at = find(p.at(0));  // the first in the document: a backward run's last id
      return attached(at->first, at->second, false);
    };

    leaves_.clear();
    visible_ = 0;
    for (Piece& p : document) {
      p.tail_has_right = has_right_child(p);
      p.head_has_left = has_left_child(p);
      if (leaves_.empty() || leaves_.back().pieces.size() >= leaf_pieces_max / 2) {
        leaves_.emplace_back();
      }
      if (!p.deleted) {
        leaves_.back().visible += p.length;
        visible_ += p.length;
      }
      leaves_.back().pieces.push_back(std::move(p));
    }
    // Pending elements, in id order, tombstoned ones without values, as in the document: the
    // form does not depend on whether the tombstone came before or after the element.
    std::vector<Piece> pending;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!placed[i]) emit_into(pending, i, 0, items[i].length, false);
    }
    pending_.assign(std::make_move_iterator(pending.begin()),
                    std::make_move_iterator(pending.end()));
    // The placed ids, sorted (items are) and joined where adjacent.
    std::vector<DotRun<Id>> placed_ids;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!placed[i]) continue;
      const DotRun<Id> r{items[i].first, items[i].length};
      if (!placed_ids.empty() && placed_ids.back().first.replica == r.first.replica &&
          placed_ids.back().end() == r.first.counter) {
        placed_ids.back().length += r.length;
      } else {
        placed_ids.push_back(r);
      }
    }
    const std::vector<DotRun<Id>> unplaced = subtract_runs(deletes, placed_ids);
    pending_deletes_.assign(unplaced.begin(), unplaced.end());
    // Each replica's greatest counter: items and deletes are both sorted by id.
    last_counters_.clear();
    const auto note_last = [&](const Id& replica, std::uint64_t last) {
      if (!last_counters_.empty() && last_counters_.back().first == replica) {
        last_counters_.back().second = std::max(last_counters_.back().second, last);
      } else {
        last_counters_.emplace_back(replica, last);
      }
    };
    // A pending element's parent is named too: a local insert must not take its id.
    std::vector<DotRun<Id>> named = deletes;
    for (const Piece& p : pending_) {
      if (p.parent.counter != 0) named.push_back({p.parent, 1});
    }
    if (named.size() != deletes.size()) named = canonical_runs(std::move(named));
    std::size_t di = 0;
    const std::vector<DotRun<Id>>& ids = named;
    for (std::size_t i = 0; i <= items.size(); ++i) {
      while (di < ids.size() &&
             (i == items.size() || !(items[i].first.replica < ids[di].first.replica))) {
        note_last(ids[di].first.replica, ids[di].end() - 1);
        ++di;
      }
      if (i < items.size())
        note_last(items[i].first.replica, items[i].first.counter + items[i].length - 1);
    }
    cache_leaf_ = 0;
    cache_before_ = 0;
  }
};

}  // namespace calm::lattices::detail
