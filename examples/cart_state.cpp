// A user's own replicated state as a plain struct of lattices: Hana makes it a lattice with no
// code. Two replicas edit concurrently, ship each other the delta as bytes, and converge.
#include <iostream>
#include <string>

#include "lattices/lattices.hpp"

namespace cl = calm::lattices;

namespace shop {
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (cl::SetUnion<std::string>, items),           // ever added
                           (cl::MapUnion<std::string, cl::Max<int>>, wanted),  // quantity
                           (cl::Or, checked_out));
  friend bool operator==(const Cart&, const Cart&) = default;
};

std::ostream& operator<<(std::ostream& os, const Cart& c) {
  return os << "{items " << c.items << ", wanted " << c.wanted << ", " << c.checked_out << '}';
}
}  // namespace shop

int main() {
  static_assert(cl::Lattice<shop::Cart> && cl::DeltaLattice<shop::Cart>);
  shop::Cart phone, laptop;
  phone.items.insert("milk");
  phone.wanted.merge_at("milk", cl::Max<int>{2});
  laptop.items.insert("bread");
  laptop.wanted.merge_at("bread", cl::Max<int>{1});
  laptop.wanted.merge_at("milk", cl::Max<int>{3});

  // Each side sends only what the other lacks, encoded as bytes on the wire.
  const std::string to_laptop = cl::to_bytes(cl::delta(phone, laptop));
  const std::string to_phone = cl::to_bytes(cl::delta(laptop, phone));
  cl::merge(laptop, cl::from_bytes<shop::Cart>(to_laptop));
  cl::merge(phone, cl::from_bytes<shop::Cart>(to_phone));

  std::cout << "phone:  " << phone << '\n' << "laptop: " << laptop << '\n';
  std::cout << "bytes sent: " << to_laptop.size() << " + " << to_phone.size() << ", full state "
            << cl::to_bytes(phone).size() << '\n';
  const bool converged = phone == laptop && phone.wanted.get("milk") == cl::Max<int>{3};
  std::cout << "converged: " << (converged ? "yes" : "NO") << '\n';
  return converged ? 0 : 1;
}
