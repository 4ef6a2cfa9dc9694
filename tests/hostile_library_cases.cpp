// The hostile encodings of library types (see hostile_bytes.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hostile_bytes.hpp"
#include "lattices/lattices.hpp"

namespace calm::lattices::hostile {

std::vector<Case> library_cases() {
  const std::string marker(kMarker);
  std::vector<Case> cases;
  for (const std::uint64_t claimed : {kGiB, 16 * kGiB, ~std::uint64_t{0}}) {
    const std::string n = " claiming " + std::to_string(claimed) + " bytes";

    LWWRegister<std::optional<std::string>> reg;
    reg.write(1, std::optional<std::string>(marker), HlcTimestamp{5, 0});
    cases.push_back(make_case<decltype(reg)>("LWWRegister<optional<string>>" + n,
                                             with_claimed_length(reg, claimed)));

    AWSet<std::string> set;
    set.add(1, "a");
    set.add(2, marker);
    cases.push_back(
        make_case<decltype(set)>("AWSet<string> element" + n, with_claimed_length(set, claimed)));

    ORMap<std::string, MVRegister<std::string>> map_key, map_value;
    map_key.update(1, marker, [](auto& r) { return r.write(1, "v"); });
    map_value.update(1, "f", [&](auto& r) { return r.write(1, marker); });
    cases.push_back(
        make_case<decltype(map_key)>("ORMap key" + n, with_claimed_length(map_key, claimed)));
    cases.push_back(make_case<decltype(map_value)>("ORMap<string, MVRegister> value" + n,
                                                   with_claimed_length(map_value, claimed)));

    MVRegister<std::string> mv;
    mv.write(3, marker);
    cases.push_back(
        make_case<decltype(mv)>("MVRegister<string>" + n, with_claimed_length(mv, claimed)));

    MapUnion<std::string, PNCounter<>> counters;
    PNCounter<> c;
    c.increment(1, 3);
    counters.merge_at(marker, c);
    cases.push_back(make_case<decltype(counters)>("MapUnion<string, PNCounter> key" + n,
                                                  with_claimed_length(counters, claimed)));

    KeyValueLike kv;
    kv.set.add(1, "x");
    kv.hash.update(2, "field", [&](auto& r) { return r.write(2, marker); });
    cases.push_back(make_case<KeyValueLike>("KeyValue-shaped product, hash value" + n,
                                            with_claimed_length(kv, claimed)));

    cases.push_back(make_case<SetUnion<std::string>>(
        "SetUnion<string>" + n, with_claimed_length(SetUnion<std::string>{marker}, claimed)));
  }
  // A size tag claiming 2^40 or 2^64 - 1 elements, a few bytes after it.
  for (const std::string count : {"0000000000010000", "ffffffffffffffff"}) {
    const std::string n = " claiming 0x" + count + " elements";
    const std::string tail = "0100000000000000 0100000000000000 0100000000000000";
    cases.push_back(
        make_case<PNCounter<>>("PNCounter increments" + n, from_hex("01" + count + tail)));
    cases.push_back(make_case<PNCounter<>>("PNCounter decrements" + n,
                                           from_hex("01 0000000000000000" + count + tail)));
    cases.push_back(make_case<DotContext<>>("DotContext runs" + n, from_hex("01" + count + tail)));
    cases.push_back(make_case<DotContext<>>("DotContext cloud" + n,
                                            from_hex("01 0000000000000000" + count + tail)));
    cases.push_back(
        make_case<AWSet<std::string>>("AWSet entries" + n, from_hex("01" + count + tail)));
    cases.push_back(make_case<AWSet<std::string>>(
        "AWSet element's dots" + n,
        from_hex("01 0100000000000000 0100000000000000 61" + count + tail)));
    cases.push_back(make_case<ORMap<std::string, MVRegister<std::string>>>(
        "ORMap entries" + n, from_hex("01" + count + tail)));
    cases.push_back(
        make_case<MVRegister<std::string>>("MVRegister writes" + n, from_hex("01" + count + tail)));
    cases.push_back(make_case<MapUnion<std::string, PNCounter<>>>("MapUnion<string, PNCounter>" + n,
                                                                  from_hex("01" + count + tail)));
    cases.push_back(
        make_case<Causal<SetUnion<int>>>("Causal versions" + n, from_hex("01" + count + tail)));
    cases.push_back(make_case<KeyValueLike>("KeyValue-shaped product, counter" + n,
                                            from_hex("01 00 " + count + tail)));
  }
  return cases;
}

}  // namespace calm::lattices::hostile
