// The hostile encodings of cereal's std types (see hostile_bytes.hpp for why this file is apart).
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hostile_bytes.hpp"
#include "lattices/serialize.hpp"

namespace calm::lattices::hostile {

std::vector<Case> std_cases() {
  const std::string marker(kMarker);
  std::vector<Case> cases;
  for (const std::uint64_t claimed : {kGiB, 16 * kGiB, ~std::uint64_t{0}}) {
    const std::string n = " claiming " + std::to_string(claimed) + " bytes";
    cases.push_back(
        make_case<std::string>("std::string" + n, with_claimed_length(marker, claimed)));
    cases.push_back(make_case<std::optional<std::string>>(
        "std::optional<std::string>" + n,
        with_claimed_length(std::optional<std::string>(marker), claimed)));
    cases.push_back(make_case<std::vector<std::string>>(
        "std::vector<std::string> element" + n,
        with_claimed_length(std::vector<std::string>{"a", marker}, claimed)));
    cases.push_back(make_case<std::map<std::string, std::string>>(
        "std::map<string, string> value" + n,
        with_claimed_length(std::map<std::string, std::string>{{"k", marker}}, claimed)));
    cases.push_back(make_case<std::set<std::string>>(
        "std::set<string> element" + n,
        with_claimed_length(std::set<std::string>{marker}, claimed)));
  }
  for (const std::string count : {"0000000000010000", "ffffffffffffffff"}) {
    const std::string n = " claiming 0x" + count + " elements";
    const std::string bytes =
        from_hex("01" + count + "0100000000000000 0100000000000000 0100000000000000");
    cases.push_back(make_case<std::vector<std::string>>("std::vector<string>" + n, bytes));
    cases.push_back(make_case<std::vector<std::uint64_t>>("std::vector<uint64_t>" + n, bytes));
    cases.push_back(make_case<std::vector<std::vector<std::uint8_t>>>(
        "std::vector<vector<uint8_t>>" + n, bytes));
    cases.push_back(
        make_case<std::map<std::string, std::string>>("std::map<string, string>" + n, bytes));
    cases.push_back(make_case<std::set<std::string>>("std::set<string>" + n, bytes));
  }
  return cases;
}

}  // namespace calm::lattices::hostile
