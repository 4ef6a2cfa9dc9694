#pragma once
/// printed(value): what operator<< writes for `value`, for the tests of how a lattice prints.
#include <sstream>
#include <string>

namespace calm::lattices {

template <class T>
std::string printed(const T& value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

}  // namespace calm::lattices
