#pragma once
/// at_most(o): a compare() result that says "less or equal" (not greater, not unordered).
#include <compare>

namespace calm::lattices {

inline bool at_most(std::partial_ordering o) { return o < 0 || o == 0; }

}  // namespace calm::lattices
