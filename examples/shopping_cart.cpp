// A shopping cart on two devices: item -> quantity in an observed-remove map of PN-counters,
// and a last-writer-wins delivery address, in a plain struct that Hana makes a lattice. The
// devices edit concurrently and send each other deltas as bytes.
#include <cstdint>
#include <iostream>
#include <string>

#include "lattices/lattices.hpp"

namespace cl = calm::lattices;

namespace shop {
using Items = cl::ORMap<std::string, cl::PNCounter<>>;  // item -> quantity
using Address = cl::LWWRegister<std::string>;

struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (Items, items), (Address, address));
  friend bool operator==(const Cart&, const Cart&) = default;
};

// One device: its replica id, its copy of the cart, its hybrid logical clock. Each edit
// applies itself here and returns the delta to send: a Cart holding only that field's delta.
struct Device {
  std::uint64_t id;
  Cart cart{};
  cl::HybridClock clock{};

  std::string add(const std::string& item, std::uint64_t n) {
    Items delta =
        cart.items.update(id, item, [&](cl::PNCounter<>& q) { return q.increment(id, n); });
    return cl::to_bytes(Cart{std::move(delta), Address{}});
  }
  std::string remove(const std::string& item) {
    return cl::to_bytes(Cart{cart.items.remove(item), Address{}});
  }
  std::string set_address(std::string address, std::uint64_t wall_ms) {
    Address delta = cart.address.write(id, std::move(address), clock.now(wall_ms));
    return cl::to_bytes(Cart{Items{}, std::move(delta)});
  }
  void receive(const std::string& bytes, std::uint64_t wall_ms) {
    const Cart delta = cl::from_bytes<Cart>(bytes);
    if (!cl::is_bot(delta.address)) clock.update(delta.address.timestamp(), wall_ms);
    cl::merge(cart, delta);
  }
  std::int64_t quantity(const std::string& item) const { return cart.items.get(item).value(); }
};
}  // namespace shop

int main() {
  static_assert(cl::Lattice<shop::Cart>);
  shop::Device phone{.id = 1}, laptop{.id = 2};
  int failed = 0;
  auto claim = [&](bool holds, const char* what) {
    std::cout << (holds ? "  ok:     " : "  FAILED: ") << what << '\n';
    failed += holds ? 0 : 1;
  };

  std::cout << "1. Both add milk at once; the laptop also adds eggs.\n";
  const std::string p1 = phone.add("milk", 2);
  const std::string l1 = laptop.add("milk", 1);
  const std::string l2 = laptop.add("eggs", 6);
  phone.receive(l1, 1000);
  phone.receive(l2, 1000);
  laptop.receive(p1, 1000);
  claim(phone.quantity("milk") == 3 && laptop.quantity("milk") == 3,
        "concurrent additions add up: milk 2 + 1 = 3 on both");

  std::cout << "2. The phone removes milk while the laptop adds one more.\n";
  const std::string p2 = phone.remove("milk");
  const std::string l3 = laptop.add("milk", 1);
  phone.receive(l3, 1000);
  laptop.receive(p2, 1000);
  claim(phone.quantity("milk") == 1 && laptop.quantity("milk") == 1,
        "the remove takes the 3 it saw; the unseen +1 survives: milk 1 on both");

  std::cout << "3. The phone sets the address; the laptop, clock 10 ms behind, then changes it.\n";
  const std::string p3 = phone.set_address("12 Elm St", 1000);
  laptop.receive(p3, 990);
  const std::string l4 = laptop.set_address("34 Oak Ave", 990);
  phone.receive(l4, 1000);
  claim(phone.cart.address.value() == "34 Oak Ave" && laptop.cart.address.value() == "34 Oak Ave",
        "the later write wins, though the laptop's wall clock lags");

  claim(phone.cart == laptop.cart, "both devices hold the same cart");
  std::cout << "cart: milk " << phone.quantity("milk") << ", eggs " << phone.quantity("eggs")
            << ", to " << *phone.cart.address.value() << " (" << cl::to_bytes(phone.cart).size()
            << " bytes)\n";
  return failed == 0 ? 0 : 1;
}
