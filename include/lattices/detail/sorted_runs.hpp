#pragma once
/// The "sorted base plus recent run" scheme that FlatStore (SetUnion, MapUnion) and AWSet both
/// store their entries in: a large sorted `base` and a small sorted `recent` run that single
/// insertions land in, so that one insertion moves O(sqrt n) entries instead of O(n). When the
/// recent run passes its bound it is folded into the base, in place, from the back.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <vector>

namespace calm::lattices::detail::sorted_runs {

/// Below this many entries a plain shift of the recent run is cheaper than any bookkeeping.
inline constexpr std::size_t recent_floor = 32;

/// The recent run's bound for a base of `base_size` entries: sqrt(n), which balances shifting
/// the recent run on each insertion against folding it into the base each time it fills up;
/// at least recent_floor (below recent_floor^2 entries, without computing the root).
inline std::size_t recent_bound(std::size_t base_size) {
  if (base_size < recent_floor * recent_floor) return recent_floor;
  return static_cast<std::size_t>(std::sqrt(static_cast<double>(base_size)));
}

/// Folds `recent` into `base` and empties it. Both are sorted by `less` and share no entry
/// (equal keys must have been combined first). Each recent entry finds its slot by binary
/// search and the base entries above it move up as one block (a memmove for trivially copyable
/// entries): O(k log n) comparisons and one pass of block moves, and no allocation beyond the
/// base's growth.
template <class Entry, class Less>
void fold_recent(std::vector<Entry>& base, std::vector<Entry>& recent, Less less) {
  if (recent.empty()) return;
  const std::size_t old_size = base.size();
  base.resize(old_size + recent.size());
  auto unmoved_end = base.begin() + static_cast<std::ptrdiff_t>(old_size);
  auto out = base.end();  // [out, end) holds final entries
  for (auto r = recent.end(); r != recent.begin();) {
    --r;
    // The runs share no entry, so upper_bound is the slot of *r.
    auto slot = std::upper_bound(base.begin(), unmoved_end, *r, less);
    out = std::move_backward(slot, unmoved_end, out);
    *--out = std::move(*r);
    unmoved_end = slot;
  }
  recent.clear();
}

}  // namespace calm::lattices::detail::sorted_runs
