#pragma once
/// StringOutputArchive: the cereal output archive to_bytes and encoded_size encode with. It
/// writes cereal's portable binary format (a 0x01 header byte, then little-endian fixed-width
/// values: the bytes BoundedInputArchive reads and the golden tests pin) straight into a
/// std::string, or, given none, only counts them. cereal's own archive writes through an
/// std::ostream, one streambuf call per field: counting a one-element delta that way was a
/// sixth of calm-kvs's time under LPUSH (each write checks that its delta fits in a message).
#include <algorithm>
#include <bit>
#include <cereal/cereal.hpp>
#include <cereal/details/traits.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "lattices/detail/input_archive.hpp"

namespace calm::lattices::detail {

class StringOutputArchive
    : public cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  /// Appends to `*out`, or only counts when `out` is null.
  explicit StringOutputArchive(std::string* out)
      : cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision>(this),
        out_(out) {
    const char little_endian = 1;
    write(&little_endian, 1);
  }

  // Inlined: it is every field's one call, and out of line it was a sixth of counting a
  // small delta's bytes.
  [[gnu::always_inline]] void write(const void* data, std::size_t n) {
    if (out_ != nullptr) out_->append(static_cast<const char*>(data), n);
    count_ += n;
  }
  /// `count` values of `Width` bytes each, little-endian on the wire.
  template <std::size_t Width>
  void write_little_endian(const void* data, std::size_t count) {
    if constexpr (std::endian::native == std::endian::big && Width > 1) {
      const auto* p = static_cast<const unsigned char*>(data);
      for (std::size_t i = 0; i < count; ++i) {
        unsigned char value[Width];
        std::reverse_copy(p + i * Width, p + (i + 1) * Width, value);
        write(value, Width);
      }
    } else {
      write(data, Width * count);
    }
  }

  /// The bytes written (or counted) so far, the header byte included.
  std::size_t count() const { return count_; }

 private:
  std::string* out_;
  std::size_t count_ = 0;
};

// cereal finds these through the archive's namespace (argument-dependent lookup).

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar,
                                                                    const T& t) {
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559,
                "calm's encoding stores IEEE 754 floating point only");
  ar.write_little_endian<sizeof(T)>(&t, 1);
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(StringOutputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(StringOutputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);  // cereal's own containers tag with a 64-bit size_type
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar, const cereal::BinaryData<T>& bd) {
  using Element = std::remove_cv_t<std::remove_pointer_t<T>>;
  static_assert(!std::is_floating_point_v<Element> || std::numeric_limits<Element>::is_iec559,
                "calm's encoding stores IEEE 754 floating point only");
  const auto bytes = static_cast<std::size_t>(bd.size);
  if constexpr (std::is_arithmetic_v<Element> && sizeof(Element) > 1 &&
                std::endian::native == std::endian::big) {
    ar.write_little_endian<sizeof(Element)>(bd.data, bytes / sizeof(Element));
  } else {
    ar.write(bd.data, bytes);  // every byte, as cereal's archive, a partial element included
  }
}

}  // namespace calm::lattices::detail

namespace cereal::traits::detail {
/// The archives are a pair (the other half is in input_archive.hpp): cereal asks this to check
/// that a type's save_minimal and load_minimal agree.
template <>
struct get_input_from_output<calm::lattices::detail::StringOutputArchive> {
  using type = calm::lattices::detail::BoundedInputArchive;
};
}  // namespace cereal::traits::detail
