// Serialization: the pinned wire format of every lattice, and what decoding must reject.
//
// CHANGING A GOLDEN LITERAL IS A FORMAT CHANGE. Bytes written by one version of calm must decode
// in the next, and replicas compare states by their bytes, so a literal below may only change by
// a deliberate decision, recorded in the docs together with what it breaks. A failure here means
// "the format changed", never "update the literal".
//
// The format is cereal's PortableBinary archive:
//   - one header byte, 0x01 (little-endian data);
//   - fixed-width integers and IEEE 754 floats, little-endian;
//   - bool as one byte, 0 or 1;
//   - a size as a uint64 size tag (8 bytes, little-endian), then the elements;
//   - a string as a uint64 length, then its bytes;
//   - sets and maps in increasing element/key order, each element once; map entries never
//     hold bottom, and a VecUnion never ends in bottom.
// The literals are written with spaces between fields for the reader; the spaces are not bytes.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/hana/define_struct.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/sanitizers.hpp"
#include "wire_checks.hpp"

#if defined(CALM_TEST_UNDER_ASAN)
// From <sanitizer/allocator_interface.h>, which g++ does not ship; libasan provides it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace calm_serialization_test {

// A user's own state, composed from lattices with no code of its own.
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (calm::lattices::SetUnion<std::string>, items),
                           (calm::lattices::Max<std::uint32_t>, version),
                           (calm::lattices::Or, checked_out));
  friend bool operator==(const Cart&, const Cart&) = default;
};

}  // namespace calm_serialization_test

namespace {

using namespace calm::lattices;
using calm_serialization_test::Cart;
using namespace ::calm::lattices::wire_checks;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

// ---- the pinned encodings -------------------------------------------------------------------

namespace golden {
// Max<int>{5}; Max<int>{} is INT_MIN; Max<std::int64_t>{-2}.
constexpr std::string_view kMaxInt = "01 05000000";
constexpr std::string_view kMaxIntBottom = "01 00000080";
constexpr std::string_view kMaxInt64 = "01 feffffffffffffff";
// Max<double>{1.5}; Max<double>{} is -infinity.
constexpr std::string_view kMaxDouble = "01 000000000000f83f";
constexpr std::string_view kMaxDoubleBottom = "01 000000000000f0ff";
// Max<std::string>{"abc"}.
constexpr std::string_view kMaxString = "01 0300000000000000 616263";
// Min<std::uint16_t>{0x1234}; Min<int>{} is INT_MAX.
constexpr std::string_view kMinUint16 = "01 3412";
constexpr std::string_view kMinIntBottom = "01 ffffff7f";
// Or{true}, Or{} (false), And{} (true), And{false}.
constexpr std::string_view kOrTrue = "01 01";
constexpr std::string_view kOrBottom = "01 00";
constexpr std::string_view kAndBottom = "01 01";
constexpr std::string_view kAndFalse = "01 00";
// Point<int>{}, Point<int>{7}, Point<std::string>{"hi"}, Point<bool>{true}.
constexpr std::string_view kPointBottom = "01 00";
constexpr std::string_view kPointInt = "01 01 07000000";
constexpr std::string_view kPointString = "01 01 0200000000000000 6869";
constexpr std::string_view kPointBool = "01 01 01";
// Conflict<int>{}, Conflict<int>{9}, Conflict<int>::top().
constexpr std::string_view kConflictBottom = "01 00";
constexpr std::string_view kConflictValue = "01 01 09000000";
constexpr std::string_view kConflictTop = "01 02";
// WithBot<Max<int>>{}, WithBot{Max<int>{}}, WithBot{Max<int>{3}}.
constexpr std::string_view kWithBotBottom = "01 00";
constexpr std::string_view kWithBotInnerBottom = "01 01 00000080";
constexpr std::string_view kWithBotValue = "01 01 03000000";
// WithTop<Max<int>>{}, WithTop{Max<int>{3}}, WithTop<Max<int>>::top().
constexpr std::string_view kWithTopBottom = "01 00 00000080";
constexpr std::string_view kWithTopValue = "01 00 03000000";
constexpr std::string_view kWithTopTop = "01 01";
// SetUnion<int>{}; SetUnion<int>{42, -7, 100, 0, 13}, any backing.
constexpr std::string_view kSetUnionEmpty = "01 0000000000000000";
constexpr std::string_view kSetUnionInt =
    "01 0500000000000000 f9ffffff 00000000 0d000000 2a000000 64000000";
// SetUnion<std::string>{"pear", "apple", "app", "fig"}, any backing.
constexpr std::string_view kSetUnionString =
    "01 0400000000000000"
    " 0300000000000000 617070"
    " 0500000000000000 6170706c65"
    " 0300000000000000 666967"
    " 0400000000000000 70656172";
// MapUnion<std::string, SetUnion<int>>{{"y", {2}}, {"x", {3, 1}}}.
constexpr std::string_view kMapUnionOfSets =
    "01 0200000000000000"
    " 0100000000000000 78  0200000000000000 01000000 03000000"
    " 0100000000000000 79  0100000000000000 02000000";
// MapUnion<std::string, Point<std::string>>{{"k", Point{"v"}}}.
constexpr std::string_view kMapUnionOfStrings =
    "01 0100000000000000 0100000000000000 6b  01 0100000000000000 76";
// VecUnion<Max<int>>{4, bottom, 6}.
constexpr std::string_view kVecUnion = "01 0300000000000000 04000000 00000080 06000000";
// VectorClock<uint64_t>{{2, 1}, {1, 4}}: MapUnion's layout, replicas in increasing order.
constexpr std::string_view kVectorClock =
    "01 0200000000000000 0100000000000000 0400000000000000 0200000000000000 0100000000000000";
// Pair<Max<int>, Or>{1, true} and std::pair<Max<int>, Or>{1, true}.
constexpr std::string_view kPair = "01 01000000 01";
// std::tuple<Max<int>, Min<int>, Or>{1, 2, true}.
constexpr std::string_view kTuple = "01 01000000 02000000 01";
// Cart{{"apple"}, Max<std::uint32_t>{2}, Or{true}}.
constexpr std::string_view kCart = "01 0100000000000000 0500000000000000 6170706c65 02000000 01";
// DomPair<Max<int>, SetUnion<int>>{2, {5}}.
constexpr std::string_view kDomPair = "01 02000000 0100000000000000 05000000";
// WithBot<SetUnion<std::string>>{{"a"}}: a nested collection under a new bottom.
constexpr std::string_view kWithBotOfSet = "01 01 0100000000000000 0100000000000000 61";
}  // namespace golden

std::vector<GoldenCase> core_golden_cases() {
  using StringSet = SetUnion<std::string>;
  return {
      golden_case<Max<int>>("Max<int>", golden::kMaxInt),
      golden_case<Max<int>>("Max<int> bottom", golden::kMaxIntBottom),
      golden_case<Max<std::int64_t>>("Max<int64_t>", golden::kMaxInt64),
      golden_case<Max<double>>("Max<double>", golden::kMaxDouble),
      golden_case<Max<double>>("Max<double> bottom", golden::kMaxDoubleBottom),
      golden_case<Max<std::string>>("Max<string>", golden::kMaxString),
      golden_case<Min<std::uint16_t>>("Min<uint16_t>", golden::kMinUint16),
      golden_case<Min<int>>("Min<int> bottom", golden::kMinIntBottom),
      golden_case<Or>("Or true", golden::kOrTrue),
      golden_case<Or>("Or bottom", golden::kOrBottom),
      golden_case<And>("And bottom", golden::kAndBottom),
      golden_case<And>("And false", golden::kAndFalse),
      golden_case<Point<int>>("Point<int> bottom", golden::kPointBottom),
      golden_case<Point<int>>("Point<int>", golden::kPointInt),
      golden_case<Point<std::string>>("Point<string>", golden::kPointString),
      golden_case<Point<bool>>("Point<bool>", golden::kPointBool),
      golden_case<Conflict<int>>("Conflict bottom", golden::kConflictBottom),
      golden_case<Conflict<int>>("Conflict value", golden::kConflictValue),
      golden_case<Conflict<int>>("Conflict top", golden::kConflictTop),
      golden_case<WithBot<Max<int>>>("WithBot bottom", golden::kWithBotBottom),
      golden_case<WithBot<Max<int>>>("WithBot inner bottom", golden::kWithBotInnerBottom),
      golden_case<WithBot<Max<int>>>("WithBot value", golden::kWithBotValue),
      golden_case<WithTop<Max<int>>>("WithTop bottom", golden::kWithTopBottom),
      golden_case<WithTop<Max<int>>>("WithTop value", golden::kWithTopValue),
      golden_case<WithTop<Max<int>>>("WithTop top", golden::kWithTopTop),
      golden_case<SetUnion<int>>("SetUnion empty", golden::kSetUnionEmpty),
      golden_case<SetUnion<int>>("SetUnion<int> Flat", golden::kSetUnionInt),
      golden_case<SetUnion<int, backing::Hash>>("SetUnion<int> Hash", golden::kSetUnionInt),
      golden_case<SetUnion<int, backing::Tree>>("SetUnion<int> Tree", golden::kSetUnionInt),
      golden_case<StringSet>("SetUnion<string> Flat", golden::kSetUnionString),
      golden_case<SetUnion<std::string, backing::Hash>>("SetUnion<string> Hash",
                                                        golden::kSetUnionString),
      golden_case<SetUnion<std::string, backing::Tree>>("SetUnion<string> Tree",
                                                        golden::kSetUnionString),
      golden_case<MapUnion<std::string, SetUnion<int>>>("MapUnion of sets",
                                                        golden::kMapUnionOfSets),
      golden_case<MapUnion<std::string, Point<std::string>>>("MapUnion of strings",
                                                             golden::kMapUnionOfStrings),
      golden_case<VecUnion<Max<int>>>("VecUnion", golden::kVecUnion),
      golden_case<VectorClock<>>("VectorClock", golden::kVectorClock),
      golden_case<Pair<Max<int>, Or>>("Pair", golden::kPair),
      golden_case<std::pair<Max<int>, Or>>("std::pair", golden::kPair),
      golden_case<std::tuple<Max<int>, Min<int>, Or>>("std::tuple", golden::kTuple),
      golden_case<Cart>("Hana struct", golden::kCart),
      golden_case<DomPair<Max<int>, SetUnion<int>>>("DomPair", golden::kDomPair),
      golden_case<WithBot<StringSet>>("WithBot of a set", golden::kWithBotOfSet),
  };
}

// ---- allocation bounds ----------------------------------------------------------------------

/// The most any single allocation may take while rejecting a lying length. Decoding reserves at
/// most detail::decode_reserve_max elements (4096 map entries of string + SetUnion<int> are
/// about 360 KiB) and reads strings in 64 KiB chunks.
constexpr std::size_t kDecodeAllocationMaxBytes = std::size_t{1} << 20;

/// The largest single heap allocation made while running `f`, where it can be observed (under
/// AddressSanitizer, through its malloc hook); std::nullopt elsewhere.
class LargestAllocation {
 public:
  template <class F>
  static std::optional<std::size_t> during(F&& f) {
#if defined(CALM_TEST_UNDER_ASAN)
    const bool installed = install_hooks();
    largest_bytes_.store(0);
    tracking_.store(true);
    std::forward<F>(f)();
    tracking_.store(false);
    if (!installed) return std::nullopt;
    return largest_bytes_.load();
#else
    std::forward<F>(f)();
    return std::nullopt;
#endif
  }

 private:
#if defined(CALM_TEST_UNDER_ASAN)
  /// Once per process: the sanitizer holds only a handful of hooks and cannot remove one.
  static bool install_hooks() {
    static const bool installed =
        __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free) != 0;
    return installed;
  }
#endif
  static void on_malloc(const volatile void*, std::size_t bytes) {
    if (!tracking_.load(std::memory_order_relaxed)) return;
    std::size_t seen = largest_bytes_.load(std::memory_order_relaxed);
    while (bytes > seen && !largest_bytes_.compare_exchange_weak(seen, bytes)) {
    }
  }
  static void on_free(const volatile void*) {}

  static inline std::atomic<bool> tracking_{false};
  static inline std::atomic<std::size_t> largest_bytes_{0};
};

/// Decoding rejects `bytes_hex` with DecodeError without any single allocation above
/// kDecodeAllocationMaxBytes. (No time limit: the decoder's work is bounded by the bytes
/// present, which the decode-bounds tests check by construction, not by a clock.)
template <class L>
AssertionResult rejects_without_a_big_allocation(std::string_view bytes_hex) {
  const std::string bytes = unhex(bytes_hex);
  AssertionResult rejected = AssertionSuccess();
  const std::optional<std::size_t> largest_bytes =
      LargestAllocation::during([&] { rejected = rejects_bytes<L>(bytes); });
  if (!rejected) return rejected;
  if (largest_bytes && *largest_bytes > kDecodeAllocationMaxBytes) {
    return AssertionFailure() << hex(bytes) << " allocated " << *largest_bytes
                              << " bytes at once before being rejected";
  }
  return AssertionSuccess();
}

// =============================================================================================
// Golden bytes: one test per type.
// =============================================================================================

TEST(GoldenBytes, MaxOfIntegerIsAHeaderByteThenLittleEndianFixedWidth) {
  EXPECT_TRUE(matches_golden(Max<int>{5}, golden::kMaxInt));
  EXPECT_TRUE(matches_golden(Max<int>{}, golden::kMaxIntBottom));
  EXPECT_TRUE(matches_golden(Max<std::int64_t>{-2}, golden::kMaxInt64));
}

TEST(GoldenBytes, MaxOfDoubleIsItsIeee754BitsWithMinusInfinityAsBottom) {
  EXPECT_TRUE(matches_golden(Max<double>{1.5}, golden::kMaxDouble));
  EXPECT_TRUE(matches_golden(Max<double>{}, golden::kMaxDoubleBottom));
}

TEST(GoldenBytes, MaxOfStringIsAUint64LengthThenTheBytes) {
  EXPECT_TRUE(matches_golden(Max<std::string>{"abc"}, golden::kMaxString));
}

TEST(GoldenBytes, MinIsItsValueWithTheGreatestValueAsBottom) {
  EXPECT_TRUE(matches_golden(Min<std::uint16_t>{0x1234}, golden::kMinUint16));
  EXPECT_TRUE(matches_golden(Min<int>{}, golden::kMinIntBottom));
}

TEST(GoldenBytes, OrAndAndAreOneByteBooleans) {
  EXPECT_TRUE(matches_golden(Or{true}, golden::kOrTrue));
  EXPECT_TRUE(matches_golden(Or{}, golden::kOrBottom));
  EXPECT_TRUE(matches_golden(And{}, golden::kAndBottom));
  EXPECT_TRUE(matches_golden(And{false}, golden::kAndFalse));
}

TEST(GoldenBytes, PointIsAPresenceByteThenTheValueIfSet) {
  EXPECT_TRUE(matches_golden(Point<int>{}, golden::kPointBottom));
  EXPECT_TRUE(matches_golden(Point<int>{7}, golden::kPointInt));
  EXPECT_TRUE(matches_golden(Point<std::string>{"hi"}, golden::kPointString));
  EXPECT_TRUE(matches_golden(Point<bool>{true}, golden::kPointBool));
}

TEST(GoldenBytes, ConflictIsAStateByteWithAValueOnlyBetweenBottomAndTop) {
  EXPECT_TRUE(matches_golden(Conflict<int>{}, golden::kConflictBottom));
  EXPECT_TRUE(matches_golden(Conflict<int>{9}, golden::kConflictValue));
  EXPECT_TRUE(matches_golden(Conflict<int>::top(), golden::kConflictTop));
}

TEST(GoldenBytes, WithBotBottomIsDistinctFromTheInnerBottom) {
  EXPECT_TRUE(matches_golden(WithBot<Max<int>>{}, golden::kWithBotBottom));
  EXPECT_TRUE(matches_golden(WithBot<Max<int>>{Max<int>{}}, golden::kWithBotInnerBottom));
  EXPECT_TRUE(matches_golden(WithBot<Max<int>>{Max<int>{3}}, golden::kWithBotValue));
  EXPECT_TRUE(matches_golden(WithBot<SetUnion<std::string>>{SetUnion<std::string>{"a"}},
                             golden::kWithBotOfSet));
}

TEST(GoldenBytes, WithTopAtTopCarriesNoInnerValue) {
  EXPECT_TRUE(matches_golden(WithTop<Max<int>>{}, golden::kWithTopBottom));
  EXPECT_TRUE(matches_golden(WithTop<Max<int>>{Max<int>{3}}, golden::kWithTopValue));
  EXPECT_TRUE(matches_golden(WithTop<Max<int>>::top(), golden::kWithTopTop));
}

TEST(GoldenBytes, SetUnionIsASizeTagThenTheElementsInIncreasingOrder) {
  EXPECT_TRUE(matches_golden(SetUnion<int>{}, golden::kSetUnionEmpty));
  EXPECT_TRUE(matches_golden(SetUnion<int>{42, -7, 100, 0, 13}, golden::kSetUnionInt));
}

TEST(GoldenBytes, SetUnionBackingsShareOneCanonicalEncoding) {
  // Inserted out of order; the hash set iterates in yet another order.
  const SetUnion<int, backing::Flat> flat{42, -7, 100, 0, 13};
  const SetUnion<int, backing::Hash> hash{42, -7, 100, 0, 13};
  const SetUnion<int, backing::Tree> tree{42, -7, 100, 0, 13};
  EXPECT_EQ(to_bytes(flat), to_bytes(hash));
  EXPECT_EQ(to_bytes(flat), to_bytes(tree));
  EXPECT_TRUE(matches_golden(flat, golden::kSetUnionInt));
  EXPECT_TRUE(matches_golden(hash, golden::kSetUnionInt));
  EXPECT_TRUE(matches_golden(tree, golden::kSetUnionInt));

  const SetUnion<std::string, backing::Flat> flat_s{"pear", "apple", "app", "fig"};
  const SetUnion<std::string, backing::Hash> hash_s{"pear", "apple", "app", "fig"};
  const SetUnion<std::string, backing::Tree> tree_s{"pear", "apple", "app", "fig"};
  EXPECT_EQ(to_bytes(flat_s), to_bytes(hash_s));
  EXPECT_EQ(to_bytes(flat_s), to_bytes(tree_s));
  EXPECT_TRUE(matches_golden(flat_s, golden::kSetUnionString));
  EXPECT_TRUE(matches_golden(hash_s, golden::kSetUnionString));
  EXPECT_TRUE(matches_golden(tree_s, golden::kSetUnionString));
}

TEST(GoldenBytes, SetUnionOfStringsIsInLexicographicOrderWithPrefixesFirst) {
  // "app" < "apple" < "fig" < "pear"; each string is a uint64 length, then its bytes.
  EXPECT_TRUE(matches_golden(SetUnion<std::string>{"pear", "apple", "app", "fig"},
                             golden::kSetUnionString));
}

TEST(GoldenBytes, MapUnionIsItsKeysInIncreasingOrderEachFollowedByItsValue) {
  using Map = MapUnion<std::string, SetUnion<int>>;
  EXPECT_TRUE(matches_golden(Map{{"y", {2}}, {"x", {3, 1}}}, golden::kMapUnionOfSets));
  EXPECT_TRUE(matches_golden(Map{}, golden::kSetUnionEmpty));
  using StringMap = MapUnion<std::string, Point<std::string>>;
  EXPECT_TRUE(
      matches_golden(StringMap{{"k", Point<std::string>{"v"}}}, golden::kMapUnionOfStrings));
}

TEST(GoldenBytes, VectorClockIsAMapOfReplicaToCounter) {
  EXPECT_TRUE(matches_golden(VectorClock<>{{2, 1}, {1, 4}}, golden::kVectorClock));
  EXPECT_TRUE(matches_golden(VectorClock<>{}, golden::kSetUnionEmpty));
}

TEST(GoldenBytes, VecUnionKeepsInnerBottomsAndEndsAtTheLastNonBottom) {
  EXPECT_TRUE(
      matches_golden(VecUnion<Max<int>>{Max<int>{4}, Max<int>{}, Max<int>{6}}, golden::kVecUnion));
  // Trailing bottoms are trimmed, so they never reach the wire.
  EXPECT_TRUE(matches_golden(VecUnion<Max<int>>{Max<int>{4}, Max<int>{}, Max<int>{6}, Max<int>{}},
                             golden::kVecUnion));
  EXPECT_TRUE(matches_golden(VecUnion<Max<int>>{}, golden::kSetUnionEmpty));
}

TEST(GoldenBytes, PairAndStdPairAreTheirTwoFieldsInOrder) {
  EXPECT_TRUE(matches_golden(Pair<Max<int>, Or>{Max<int>{1}, Or{true}}, golden::kPair));
  EXPECT_TRUE(matches_golden(std::pair<Max<int>, Or>{Max<int>{1}, Or{true}}, golden::kPair));
}

TEST(GoldenBytes, StdTupleIsItsFieldsInOrder) {
  EXPECT_TRUE(matches_golden(std::tuple<Max<int>, Min<int>, Or>{Max<int>{1}, Min<int>{2}, Or{true}},
                             golden::kTuple));
}

TEST(GoldenBytes, HanaStructIsItsFieldsInDeclarationOrder) {
  EXPECT_TRUE(matches_golden(Cart{{"apple"}, Max<std::uint32_t>{2}, Or{true}}, golden::kCart));
}

TEST(GoldenBytes, DomPairIsTheKeyThenTheValue) {
  EXPECT_TRUE(matches_golden(DomPair<Max<int>, SetUnion<int>>{Max<int>{2}, {5}}, golden::kDomPair));
}

// =============================================================================================
// Decoding: what must be rejected, and that rejection is cheap.
// =============================================================================================

TEST(Decoding, EveryGoldenEncodingDecodesAndReEncodesToItself) {
  for (const GoldenCase& c : core_golden_cases()) {
    const std::string bytes = unhex(c.hex);
    EXPECT_FALSE(c.rejects(bytes)) << c.name;
    EXPECT_TRUE(c.rejects_or_is_canonical(bytes)) << c.name;
  }
}

TEST(Decoding, EveryStrictPrefixOfAGoldenEncodingIsRejected) {
  for (const GoldenCase& c : core_golden_cases()) EXPECT_TRUE(every_prefix_rejected(c));
}

TEST(Decoding, ATrailingByteAfterAGoldenEncodingIsRejected) {
  for (const GoldenCase& c : core_golden_cases()) EXPECT_TRUE(trailing_bytes_rejected(c));
}

TEST(Decoding, AHeaderOtherThanLittleEndianIsRejected) {
  // cereal would read 0x00 (or any byte but 0x01) as "big-endian data follows": a second
  // encoding of the same value.
  EXPECT_TRUE(rejects<Max<int>>("00 00000005"));
  EXPECT_TRUE(rejects<Max<int>>("00 05000000"));
  EXPECT_TRUE(rejects<Max<int>>("02 05000000"));
  EXPECT_TRUE(rejects<Max<int>>("ff 05000000"));
  EXPECT_TRUE(rejects<SetUnion<int>>("00 0000000000000001 00000001"));
}

template <class Backing>
void expect_set_union_order_enforced() {
  // {2, 1}: out of order; {1, 1}: duplicated.
  EXPECT_TRUE((rejects<SetUnion<int, Backing>>("01 0200000000000000 02000000 01000000")));
  EXPECT_TRUE((rejects<SetUnion<int, Backing>>("01 0200000000000000 01000000 01000000")));
  EXPECT_TRUE((rejects<SetUnion<int, Backing>>("01 0300000000000000 01000000 03000000 02000000")));
  // {"b", "a"}, {"a", "a"}, {"apple", "app"}.
  EXPECT_TRUE((rejects<SetUnion<std::string, Backing>>(
      "01 0200000000000000 0100000000000000 62 0100000000000000 61")));
  EXPECT_TRUE((rejects<SetUnion<std::string, Backing>>(
      "01 0200000000000000 0100000000000000 61 0100000000000000 61")));
  EXPECT_TRUE((rejects<SetUnion<std::string, Backing>>(
      "01 0200000000000000 0500000000000000 6170706c65 0300000000000000 617070")));
}

TEST(Decoding, SetUnionElementsOutOfOrderOrDuplicatedAreRejectedByEveryBacking) {
  expect_set_union_order_enforced<backing::Flat>();
  expect_set_union_order_enforced<backing::Hash>();
  expect_set_union_order_enforced<backing::Tree>();
}

TEST(Decoding, MapUnionKeysOutOfOrderOrDuplicatedAreRejected) {
  using Map = MapUnion<std::string, SetUnion<int>>;
  // {"y": {2}, "x": {1}}
  EXPECT_TRUE(
      rejects<Map>("01 0200000000000000"
                   " 0100000000000000 79  0100000000000000 02000000"
                   " 0100000000000000 78  0100000000000000 01000000"));
  // {"x": {1}, "x": {2}}
  EXPECT_TRUE(
      rejects<Map>("01 0200000000000000"
                   " 0100000000000000 78  0100000000000000 01000000"
                   " 0100000000000000 78  0100000000000000 02000000"));
  // Integer keys {2: 1, 1: 1}.
  EXPECT_TRUE((
      rejects<MapUnion<int, Max<int>>>("01 0200000000000000 02000000 01000000 01000000 01000000")));
}

TEST(Decoding, MapUnionEntryMappedToBottomIsRejected) {
  // {"x": {}}
  EXPECT_TRUE((rejects<MapUnion<std::string, SetUnion<int>>>(
      "01 0100000000000000 0100000000000000 78 0000000000000000")));
  // {"x": {1}, "y": {}}
  EXPECT_TRUE((rejects<MapUnion<std::string, SetUnion<int>>>(
      "01 0200000000000000"
      " 0100000000000000 78  0100000000000000 01000000"
      " 0100000000000000 79  0000000000000000")));
  // {1: Max<int> bottom}
  EXPECT_TRUE((rejects<MapUnion<int, Max<int>>>("01 0100000000000000 01000000 00000080")));
}

TEST(Decoding, VecUnionEndingInBottomIsRejected) {
  EXPECT_TRUE(rejects<VecUnion<Max<int>>>("01 0200000000000000 04000000 00000080"));
  EXPECT_TRUE(rejects<VecUnion<Max<int>>>("01 0100000000000000 00000080"));
  EXPECT_TRUE(rejects<VecUnion<SetUnion<int>>>(
      "01 0200000000000000 0100000000000000 01000000 0000000000000000"));
}

TEST(Decoding, PresenceAndStateFlagsOutOfRangeAreRejected) {
  EXPECT_TRUE(rejects<Point<int>>("01 02 07000000"));
  EXPECT_TRUE(rejects<Point<int>>("01 ff 07000000"));
  EXPECT_TRUE(rejects<Conflict<int>>("01 03 09000000"));
  EXPECT_TRUE(rejects<Conflict<int>>("01 03"));
  EXPECT_TRUE(rejects<Conflict<int>>("01 ff"));
  EXPECT_TRUE(rejects<WithBot<Max<int>>>("01 02 03000000"));
  EXPECT_TRUE(rejects<WithBot<Max<int>>>("01 ff 03000000"));
  EXPECT_TRUE(rejects<WithTop<Max<int>>>("01 02 03000000"));
  EXPECT_TRUE(rejects<WithTop<Max<int>>>("01 02"));
  EXPECT_TRUE(rejects<WithTop<Max<int>>>("01 ff"));
}

TEST(Decoding, BooleansOtherThanZeroOrOneAreRejected) {
  // Copying such a byte into a bool would be undefined behaviour.
  EXPECT_TRUE(rejects<Or>("01 02"));
  EXPECT_TRUE(rejects<Or>("01 ff"));
  EXPECT_TRUE(rejects<And>("01 02"));
  EXPECT_TRUE(rejects<Point<bool>>("01 01 02"));
  EXPECT_TRUE((rejects<Pair<Max<int>, Or>>("01 01000000 80")));
  EXPECT_TRUE(rejects<Cart>("01 0000000000000000 02000000 02"));
}

TEST(Decoding, NaNInsideAnyContainerIsRejected) {
  EXPECT_TRUE(rejects<SetUnion<double>>("01 0100000000000000 000000000000f87f"));
  EXPECT_TRUE(rejects<Point<double>>("01 01 000000000000f87f"));
  EXPECT_TRUE(rejects<Conflict<double>>("01 01 000000000000f87f"));
  EXPECT_TRUE(
      (rejects<MapUnion<double, Max<int>>>("01 0100000000000000 000000000000f87f 05000000")));
}

TEST(Encoding, NegativeZeroSharesTheEncodingOfZero) {
  // -0.0 == 0.0, so the two must not be told apart on the wire.
  EXPECT_EQ(hex(to_bytes(Max<double>{-0.0})), hex(to_bytes(Max<double>{0.0})));
  EXPECT_EQ(hex(to_bytes(SetUnion<double>{-0.0})), hex(to_bytes(SetUnion<double>{0.0})));
  EXPECT_EQ(hex(to_bytes(Point<double>{-0.0})), "01010000000000000000");
  EXPECT_TRUE(rejects<Max<double>>("01 0000000000000080"));
  EXPECT_TRUE(rejects<SetUnion<double>>("01 0100000000000000 0000000000000080"));
}

TEST(Decoding, NaNInAnOrderedLatticeIsRejected) {
  EXPECT_TRUE(rejects<Max<double>>("01 000000000000f87f"));  // quiet NaN
  EXPECT_TRUE(rejects<Max<double>>("01 000000000000f8ff"));  // negative quiet NaN
  EXPECT_TRUE(rejects<Max<double>>("01 010000000000f07f"));  // signalling NaN
  EXPECT_TRUE(rejects<Min<double>>("01 000000000000f87f"));
  EXPECT_TRUE(rejects<Max<float>>("01 0000c07f"));
  EXPECT_TRUE(rejects<WithBot<Max<double>>>("01 01 000000000000f87f"));
}

TEST(Decoding, HugeSizeTagsAreRejectedQuicklyWithoutABigAllocation) {
  // 2^62 elements announced, a few present.
  EXPECT_TRUE(
      rejects_without_a_big_allocation<SetUnion<int>>("01 0000000000000040 01000000 02000000"));
  EXPECT_TRUE((rejects_without_a_big_allocation<SetUnion<int, backing::Hash>>(
      "01 0000000000000040 01000000 02000000")));
  EXPECT_TRUE((rejects_without_a_big_allocation<SetUnion<int, backing::Tree>>(
      "01 0000000000000040 01000000 02000000")));
  EXPECT_TRUE(rejects_without_a_big_allocation<SetUnion<std::string>>(
      "01 0000000000000040 0100000000000000 61"));
  EXPECT_TRUE((rejects_without_a_big_allocation<MapUnion<std::string, SetUnion<int>>>(
      "01 0000000000000040 0100000000000000 78 0100000000000000 01000000")));
  EXPECT_TRUE((rejects_without_a_big_allocation<MapUnion<std::string, SetUnion<int>>>(
      "01 0100000000000000 0100000000000000 78 0000000000000040 01000000")));
  EXPECT_TRUE(rejects_without_a_big_allocation<VecUnion<Max<int>>>("01 0000000000000040 04000000"));
  // 2^64 - 1 elements: no overflow in any size computation.
  EXPECT_TRUE(rejects_without_a_big_allocation<SetUnion<int>>("01 ffffffffffffffff 01000000"));
  EXPECT_TRUE(rejects_without_a_big_allocation<VecUnion<Max<int>>>("01 ffffffffffffffff"));
}

TEST(Decoding, HugeStringLengthsAreRejectedQuicklyWithoutABigAllocation) {
  // A string announcing 2^62 bytes, three present: inside a set, a map key, a Max, a Point.
  EXPECT_TRUE(rejects_without_a_big_allocation<SetUnion<std::string>>(
      "01 0100000000000000 0000000000000040 616263"));
  EXPECT_TRUE((rejects_without_a_big_allocation<SetUnion<std::string, backing::Hash>>(
      "01 0100000000000000 0000000000000040 616263")));
  EXPECT_TRUE((rejects_without_a_big_allocation<MapUnion<std::string, SetUnion<int>>>(
      "01 0100000000000000 0000000000000040 616263")));
  EXPECT_TRUE(rejects_without_a_big_allocation<Max<std::string>>("01 0000000000000040 616263"));
  EXPECT_TRUE(
      rejects_without_a_big_allocation<Point<std::string>>("01 01 ffffffffffffffff 616263"));
}

#if defined(CALM_TEST_UNDER_ASAN)
// Allocations are observed through AddressSanitizer's hooks, so this guard exists only there.
TEST(Decoding, TheAllocationBoundCanSeeABigAllocation) {
  // Guards the two tests above against a tracker that sees nothing.
  const std::optional<std::size_t> largest_bytes = LargestAllocation::during([] {
    std::vector<char> big(4 * kDecodeAllocationMaxBytes);
    big[big.size() / 2] = 1;
    volatile char sink = big[big.size() / 2];
    (void)sink;
  });
  ASSERT_TRUE(largest_bytes.has_value());
  EXPECT_GE(*largest_bytes, 4 * kDecodeAllocationMaxBytes);
}
#endif

// Deterministic fuzzing: every byte of every golden encoding, changed to 0x00, 0xff, and with
// its lowest and highest bit flipped.
TEST(Decoding, MutatedGoldenEncodingsAreRejectedOrDecodeCanonically) {
  std::size_t accepted = 0, rejected = 0;
  for (const GoldenCase& c : core_golden_cases()) {
    const std::string bytes = unhex(c.hex);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto original = static_cast<unsigned char>(bytes[i]);
      const unsigned char mutations[] = {0x00, 0xff, static_cast<unsigned char>(original ^ 0x01),
                                         static_cast<unsigned char>(original ^ 0x80)};
      for (const unsigned char m : mutations) {
        if (m == original) continue;
        std::string mutated = bytes;
        mutated[i] = static_cast<char>(m);
        EXPECT_TRUE(c.rejects_or_is_canonical(mutated))
            << c.name << ": byte " << i << " set to " << static_cast<int>(m);
        (c.rejects(mutated) ? rejected : accepted) += 1;
      }
    }
  }
  // Both outcomes occur, so neither branch of the check above is vacuous.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

}  // namespace
