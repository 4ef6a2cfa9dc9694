#pragma once
/// lattice_merge<L>: the merge function (write.hpp's MergeFunction) of a store of L values.
/// It is calm's one storage format for lattice state, on RocksDB (LatticeStore, a RocksDisk
/// made with it) and in the simulator (a MemoryDisk made with it) alike: a key's value is the
/// join of its operands, each one `lattices::to_bytes` of a value (a delta), and what it
/// returns is `to_bytes` of that join. A write of a delta is a merge; it never reads first.
///
/// It refuses (returns false, so that the read reports CorruptRecord with the key) when a
/// value or an operand does not decode (lattices::DecodeError) or when two of them have no
/// join (lattices::JoinUndefined: Point holding two values). Nothing else is caught: running
/// out of memory is not a corrupt record, and reaches the reader as itself.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/serialize.hpp"

namespace calm::protocols::storage {

template <lattices::Lattice L>
bool lattice_merge(const std::string_view* existing, std::span<const std::string_view> operands,
                   std::string& out) {
  try {
    // The operands (small deltas) first, then the value once: a large value, a long list
    // say, is joined once per fold instead of once per operand. And all the operands at once
    // (join_all): joined one after the other into an accumulator, each of a list's operands
    // rebuilt the accumulator, and a flush of 400,000 LPUSHes (in 1,000 batches) held SET on
    // other keys to 2,300 a second. The join is associative and commutative: the result is
    // the same. Not the value inside that join_all: a type without its own join_all joins as
    // a balanced tree whose accumulator would pass over the large value once per level, and a
    // sequence merging a few operands into it takes the small-delta path without a rebuild.
    std::vector<L> values;
    values.reserve(operands.size());
    for (std::string_view operand : operands) values.push_back(lattices::from_bytes<L>(operand));
    L joined = lattices::join_all(values);
    if (existing == nullptr) {
      out = lattices::to_bytes(joined);
    } else {
      L value = lattices::from_bytes<L>(*existing);
      lattices::merge(value, std::move(joined));
      out = lattices::to_bytes(value);
    }
    return true;
  } catch (const lattices::DecodeError&) {
    return false;  // the read reports the key as corrupt; the record stays as it was
  } catch (const lattices::JoinUndefined&) {
    return false;
  }
}

}  // namespace calm::protocols::storage
