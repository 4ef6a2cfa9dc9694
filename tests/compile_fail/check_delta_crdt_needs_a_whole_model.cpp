// expect: DeltaCrdtModel<C> is incomplete
// A model with operations but no reference would leave check_delta_crdt checking less than its
// author meant: it is rejected, naming what is missing, instead of running without it.
#include <ostream>

#include "lattices/testing.hpp"

struct Tags {
  calm::lattices::SetUnion<int> items;
  bool merge(const Tags& other) { return items.merge(other.items); }
  friend bool operator==(const Tags&, const Tags&) = default;
};

struct AddTag {
  int x = 0;
  friend std::ostream& operator<<(std::ostream& os, const AddTag& op) { return os << op.x; }
};

template <>
struct calm::lattices::testing::DeltaCrdtModel<Tags> {
  using Op = AddTag;
  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(rc::gen::inRange(0, 5));
  }
  static Tags apply(Tags& tags, std::uint64_t, const Op& op) {
    Tags delta{{op.x}};
    tags.merge(delta);
    return delta;
  }
  // No Reference, Observation or observe: forgotten.
};

int main() { return calm::lattices::testing::check_delta_crdt<Tags>() ? 0 : 1; }
