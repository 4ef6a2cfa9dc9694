#pragma once
/// BoundedInputArchive: the cereal input archive from_bytes decodes with. It reads the bytes of
/// cereal's portable binary format (a 0x01 header byte, then little-endian fixed-width values)
/// straight from a string_view, and it knows how many bytes are still unread. That is what
/// lets it refuse a lying length before anything is allocated:
///
///   - every size tag (cereal's containers and strings, and the library's own load functions,
///     which read their counts through detail::load_size) must be at most the number of bytes
///     still unread: every element takes at least one byte on the wire, so a larger count is
///     a lie. An element type that encodes in zero bytes (an empty struct, std::monostate)
///     is held to the same bound: a container of them decodes only if it claims no more
///     elements than bytes follow its size tag. No calm type encodes in zero bytes;
///   - a std::vector grows as its elements arrive (at most decode_reserve_max reserved ahead),
///     so a count below the bound but above the truth costs no more than the bytes present;
///   - binary data (a string's characters, a vector of numbers) is read only when all of it
///     is present;
///   - a bool is one byte, 0 or 1 (cereal would copy any byte into it, undefined behaviour).
///
/// So decoding n bytes allocates O(n) in total, and each single allocation is at most the
/// bytes present times the in-memory size of one element. Each refusal is a DecodeError that
/// says what was wrong.
#include <algorithm>
#include <bit>
#include <cereal/cereal.hpp>
#include <cereal/details/traits.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lattices/core.hpp"

namespace calm::lattices::detail {

/// The most elements reserved ahead of their arrival.
inline constexpr std::uint64_t decode_reserve_max = 4096;

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  /// Reads the header byte: 0x01 (little-endian) is the only one to_bytes writes; cereal
  /// reads any other as "big-endian", which would give every value a second encoding.
  explicit BoundedInputArchive(std::string_view bytes)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        bytes_(bytes) {
    if (bytes_.empty()) throw DecodeError("calm: truncated input: no header byte");
    if (bytes_.front() != '\x01') {
      throw DecodeError("calm: header byte is not 0x01 (little-endian portable binary)");
    }
    position_ = 1;
  }

  /// The bytes not read yet.
  std::size_t remaining() const { return bytes_.size() - position_; }

  /// Copies the next n bytes out, or throws DecodeError if fewer remain.
  void read(void* out, std::size_t n, const char* what) {
    if (n > remaining()) {
      throw DecodeError("calm: truncated input: " + std::string(what) + " needs " +
                        std::to_string(n) + " bytes, " + std::to_string(remaining()) + " remain");
    }
    if (n != 0) std::memcpy(out, bytes_.data() + position_, n);
    position_ += n;
  }

  /// Whether the unread bytes start with `prefix`; if they do, they are read.
  bool skip_prefix(std::string_view prefix) {
    if (!bytes_.substr(position_).starts_with(prefix)) return false;
    position_ += prefix.size();
    return true;
  }

  /// A count read off the wire: at most the bytes still unread (see the top of this file).
  void require_count(std::uint64_t n, const char* what) const {
    if (n > remaining()) {
      throw DecodeError("calm: " + std::string(what) + " claims " + std::to_string(n) +
                        " elements but only " + std::to_string(remaining()) + " bytes remain");
    }
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

/// Little-endian on the wire; swapped on a big-endian machine.
template <std::size_t Width>
void from_little_endian(unsigned char* p, std::size_t count) {
  if constexpr (std::endian::native == std::endian::big && Width > 1) {
    for (std::size_t i = 0; i < count; ++i) std::reverse(p + i * Width, p + (i + 1) * Width);
  } else {
    (void)p;
    (void)count;
  }
}

// cereal finds these through the archive's namespace (argument-dependent lookup).

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559,
                "calm's encoding stores IEEE 754 floating point only");
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte = 0;
    ar.read(&byte, 1, "a bool");
    if (byte > 1) throw DecodeError("calm: a bool is not 0 or 1");
    t = byte == 1;
  } else {
    unsigned char raw[sizeof(T)];
    ar.read(raw, sizeof(T), "a number");
    from_little_endian<sizeof(T)>(raw, 1);
    std::memcpy(&t, raw, sizeof(T));
  }
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  std::uint64_t n = 0;
  ar(n);
  ar.require_count(n, "a length");
  t.size = static_cast<std::remove_reference_t<decltype(t.size)>>(n);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  using Element = std::remove_cv_t<std::remove_pointer_t<T>>;
  static_assert(!std::is_floating_point_v<Element> || std::numeric_limits<Element>::is_iec559,
                "calm's encoding stores IEEE 754 floating point only");
  // cereal's BinaryData holds a void pointer to the memory it loads into.
  auto* data = static_cast<unsigned char*>(const_cast<void*>(static_cast<const void*>(bd.data)));
  ar.read(data, static_cast<std::size_t>(bd.size), "binary data");
  if constexpr (std::is_arithmetic_v<Element>) {
    from_little_endian<sizeof(Element)>(data, static_cast<std::size_t>(bd.size) / sizeof(Element));
  }
}

/// cereal resizes a vector to its size tag before reading an element; this one grows as the
/// elements arrive (numbers are read as one block, once all their bytes are known present).
/// More specialized than cereal's loaders, so overload resolution picks it for this archive.
template <class T, class A>
requires(!std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar,
                                                                  std::vector<T, A>& vector) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));
  vector.clear();
  if constexpr (std::is_arithmetic_v<T>) {
    if (n > ar.remaining() / sizeof(T)) {
      throw DecodeError("calm: a vector claims " + std::to_string(n) + " numbers of " +
                        std::to_string(sizeof(T)) + " bytes but only " +
                        std::to_string(ar.remaining()) + " bytes remain");
    }
    vector.resize(static_cast<std::size_t>(n));
    ar(cereal::binary_data(vector.data(), static_cast<std::size_t>(n) * sizeof(T)));
  } else {
    vector.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, decode_reserve_max)));
    for (cereal::size_type i = 0; i < n; ++i) {
      vector.emplace_back();
      ar(vector.back());
    }
  }
}

}  // namespace calm::lattices::detail

namespace calm::lattices::detail {
class StringOutputArchive;  // output_archive.hpp
}  // namespace calm::lattices::detail

namespace cereal::traits::detail {
/// The output archive whose encoding BoundedInputArchive reads: cereal asks this to check that
/// a type's save_minimal and load_minimal agree.
template <>
struct get_output_from_input<calm::lattices::detail::BoundedInputArchive> {
  using type = calm::lattices::detail::StringOutputArchive;
};
}  // namespace cereal::traits::detail
