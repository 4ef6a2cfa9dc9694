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

#include "lattices/core.hpp"
#include "lattices/serialize.hpp"

namespace calm::protocols::storage {

template <lattices::Lattice L>
bool lattice_merge(const std::string_view* existing, std::span<const std::string_view> operands,
                   std::string& out) {
  try {
    L value = existing ? lattices::from_bytes<L>(*existing) : L{};
    if (operands.size() == 1) {
      lattices::merge(value, lattices::from_bytes<L>(operands.front()));
    } else {
      // The operands (small deltas) first, then the value once: a large value, a long list
      // say, is joined once per fold instead of once per operand. The join is associative and
      // commutative, so the result is the same.
      L joined{};
      for (std::string_view operand : operands) {
        lattices::merge(joined, lattices::from_bytes<L>(operand));
      }
      lattices::merge(value, joined);
    }
    out = lattices::to_bytes(value);
    return true;
  } catch (const lattices::DecodeError&) {
    return false;  // the read reports the key as corrupt; the record stays as it was
  } catch (const lattices::JoinUndefined&) {
    return false;
  }
}

}  // namespace calm::protocols::storage
