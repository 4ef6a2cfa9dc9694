#pragma once
/// kU64Max, kU32Max: the largest counter and logical-clock values, for the tests at the top of
/// a range (declared once: the test files are compiled several to a translation unit).
#include <cstdint>
#include <limits>

namespace calm::lattices {

inline constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();

}  // namespace calm::lattices
