#pragma once
// What calm's programs share to read their command lines: a usage error that exits with status
// 2 and the program's usage text, and the numbers and HOST:PORT addresses their flags take.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace calm::apps {

class Usage {
 public:
  Usage(std::string_view program, std::string_view text) : program_(program), text_(text) {}

  [[noreturn]] void fail(const std::string& why) const {
    std::cerr << program_ << ": " << why << "\n" << text_;
    std::exit(2);
  }
  /// A whole decimal number (`what` names it in the error).
  std::uint64_t number(const std::string& text, const std::string& what) const {
    // Digits only: stoull alone would take " -1" (as 2^64 - 1) or "+5".
    const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    std::size_t used = 0;
    try {
      const unsigned long long value = digits ? std::stoull(text, &used) : 0;
      if (digits && used == text.size()) return value;
    } catch (const std::exception&) {
    }
    fail(what + " is not a number: " + text);
  }
  /// A non-negative number, fractions allowed.
  double real(const std::string& text, const std::string& what) const {
    std::size_t used = 0;
    try {
      const double value = std::stod(text, &used);
      if (used == text.size() && value >= 0) return value;
    } catch (const std::exception&) {
    }
    fail(what + " is not a non-negative number: " + text);
  }
  /// "HOST:PORT" -> (host, port).
  std::pair<std::string, std::uint16_t> address(const std::string& text) const {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) fail("not HOST:PORT: " + text);
    const std::uint64_t port = number(text.substr(colon + 1), "a port");
    if (port > 65535) fail("not a port: " + text);
    return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
  }

 private:
  std::string_view program_;
  std::string_view text_;
};

}  // namespace calm::apps
