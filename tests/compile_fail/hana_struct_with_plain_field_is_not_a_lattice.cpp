// expect: Lattice
// A Hana struct is a lattice only when every field is: a plain int field has no merge.
#include "lattices/max.hpp"
#include "lattices/product.hpp"

struct Account {
  BOOST_HANA_DEFINE_STRUCT(Account, (calm::lattices::Max<int>, balance), (int, owner));
  friend bool operator==(const Account&, const Account&) = default;
};

int main() { return calm::lattices::join(Account{}, Account{}).owner; }
