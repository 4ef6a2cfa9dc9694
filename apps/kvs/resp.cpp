#include "kvs/resp.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

namespace calm::apps::kvs {
namespace {

constexpr std::size_t spare_items_max = 64;
constexpr std::size_t spare_bytes_max = 4096;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Splits an inline request as Redis does (sdssplitargs): words separated by spaces, "double
/// quoted" with escapes (\n \r \t \b \a \xHH, \ before anything else keeps it), 'single
/// quoted' with \' only. A closing quote must be followed by a space or the end.
std::optional<Request> split_inline(std::string_view line) {
  Request words;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i == n) return words;
    std::string word;
    if (line[i] == '"') {
      ++i;
      while (true) {
        if (i == n) return std::nullopt;  // unterminated
        const char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
            hex_digit(line[i + 3]) >= 0) {
          word += static_cast<char>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3]));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          const char e = line[i + 1];
          word += e == 'n'   ? '\n'
                  : e == 'r' ? '\r'
                  : e == 't' ? '\t'
                  : e == 'b' ? '\b'
                  : e == 'a' ? '\a'
                             : e;
          i += 2;
        } else if (c == '"') {
          ++i;
          if (i < n && !is_space(line[i])) return std::nullopt;
          break;
        } else {
          word += c;
          ++i;
        }
      }
    } else if (line[i] == '\'') {
      ++i;
      while (true) {
        if (i == n) return std::nullopt;
        const char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          word += '\'';
          i += 2;
        } else if (c == '\'') {
          ++i;
          if (i < n && !is_space(line[i])) return std::nullopt;
          break;
        } else {
          word += c;
          ++i;
        }
      }
    } else {
      while (i < n && !is_space(line[i])) word += line[i++];
    }
    words.push_back(std::move(word));
  }
}

}  // namespace

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (text.size() > 1 && text[0] == '0') return std::nullopt;                    // no leading zeros
  if (text.size() > 1 && text[0] == '-' && text[1] == '0') return std::nullopt;  // nor "-0"
  if (text[0] == '+') return std::nullopt;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last) return std::nullopt;
  return value;
}

void RequestParser::feed(std::string_view bytes) {
  if (!error_.empty()) return;  // the connection is finished; keep nothing more
  buffer_.append(bytes);
}

void RequestParser::fail(std::string message) {
  error_ = "ERR Protocol error: " + std::move(message);
  // Nothing more is parsed: hold nothing.
  std::string().swap(buffer_);
  read_ = 0;
  Request().swap(pending_);
  pending_items_ = 0;
  request_bytes_ = 0;
}

void RequestParser::compact() {
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
    if (buffer_.capacity() > retained_bytes_max) std::string().swap(buffer_);
  } else if (read_ > 4096 && read_ * 2 > buffer_.size()) {
    buffer_.erase(0, read_);
    read_ = 0;
    // Most of a large buffer was parsed: keep only what is left of it.
    if (buffer_.capacity() > retained_bytes_max && buffer_.size() * 4 < buffer_.capacity()) {
      std::string(buffer_).swap(buffer_);
    }
  }
}

std::size_t RequestParser::capacity_bytes() const {
  std::size_t bytes = buffer_.capacity() + pending_.capacity() * sizeof(std::string);
  for (const std::string& s : pending_) bytes += s.capacity();
  return bytes;
}

void RequestParser::release() {
  if (read_ == buffer_.size()) {
    std::string().swap(buffer_);
    read_ = 0;
  } else if (read_ > 0 || buffer_.capacity() > buffer_.size()) {
    std::string(buffer_, read_).swap(buffer_);
    read_ = 0;
  }
  // The strings filled so far belong to the request being parsed (none between requests);
  // the spares go.
  pending_.resize(state_ == State::start ? 0 : pending_items_);
  pending_.shrink_to_fit();
}

void RequestParser::release(Request& request) {
  for (std::string& argument : request) {
    if (argument.capacity() > retained_bytes_max) std::string().swap(argument);
  }
}

std::optional<std::string_view> RequestParser::take_line(std::string_view too_long_error) {
  const std::string_view rest(buffer_.data() + read_, buffer_.size() - read_);
  const std::size_t end = rest.find("\r\n");
  if (end == std::string_view::npos) {
    if (rest.size() > limits_.line_bytes_max) fail(std::string(too_long_error));
    return std::nullopt;
  }
  if (end > limits_.line_bytes_max) {
    fail(std::string(too_long_error));
    return std::nullopt;
  }
  read_ += end + 2;
  return rest.substr(0, end);
}

std::optional<Request> RequestParser::parse_inline() {
  const std::string_view rest(buffer_.data() + read_, buffer_.size() - read_);
  const std::size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) {
    if (rest.size() > limits_.line_bytes_max) fail("too big inline request");
    return std::nullopt;
  }
  if (newline > limits_.line_bytes_max) {
    fail("too big inline request");
    return std::nullopt;
  }
  std::string_view line = rest.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  read_ += newline + 1;
  auto words = split_inline(line);
  if (!words) {
    fail("unbalanced quotes in request");
    return std::nullopt;
  }
  return words;
}

std::optional<Request> RequestParser::next() {
  Request request;
  if (!next(request)) return std::nullopt;
  return request;
}

bool RequestParser::next(Request& request) {
  const bool found = next_request(request);
  // The caller is done with the previous request when it asks for the next one.
  if (!found) release(request);
  return found;
}

bool RequestParser::next_request(Request& request) {
  while (error_.empty()) {
    compact();
    if (read_ == buffer_.size()) return false;
    switch (state_) {
      case State::start: {
        if (buffer_[read_] != '*') {
          auto words = parse_inline();
          if (!words) return false;
          if (words->empty()) continue;  // a blank line: Redis ignores it
          request = std::move(*words);
          return true;
        }
        const auto line = take_line("too big mbulk count string");
        if (!line) return false;
        const auto count = parse_int64(line->substr(1));
        if (!count || *count > static_cast<std::int64_t>(limits_.array_items_max)) {
          fail(limits_.authenticated ? "invalid multibulk length"
                                     : "unauthenticated multibulk length");
          return false;
        }
        if (*count <= 0) continue;  // "*0" and "*-1" carry no command: Redis ignores them
        items_left_ = static_cast<std::size_t>(*count);
        pending_items_ = 0;
        request_bytes_ = 0;
        // Reserve only a little: the count is the client's word, the items are not here yet.
        pending_.reserve(std::min<std::size_t>(items_left_, 64));
        state_ = State::bulk_header;
        break;
      }
      case State::bulk_header: {
        if (buffer_[read_] != '$') {
          fail(std::string("expected '$', got '") + buffer_[read_] + "'");
          return false;
        }
        const auto line = take_line("too big bulk count string");
        if (!line) return false;
        const auto length = parse_int64(line->substr(1));
        if (!length || *length < 0 ||
            static_cast<std::uint64_t>(*length) > limits_.bulk_bytes_max) {
          fail(limits_.authenticated ? "invalid bulk length" : "unauthenticated bulk length");
          return false;
        }
        bulk_bytes_ = static_cast<std::size_t>(*length);
        // request_bytes_ never passes the bound, so the subtraction cannot wrap.
        if (bulk_bytes_ > limits_.request_bytes_max - request_bytes_) {
          fail("too big request");
          return false;
        }
        request_bytes_ += bulk_bytes_;
        state_ = State::bulk_body;
        break;
      }
      case State::bulk_body: {
        if (buffer_.size() - read_ < bulk_bytes_ + 2) return false;
        if (buffer_[read_ + bulk_bytes_] != '\r' || buffer_[read_ + bulk_bytes_ + 1] != '\n') {
          fail("expected CRLF after a bulk string");
          return false;
        }
        // Into a spare string when there is one: its capacity is reused.
        if (pending_items_ < pending_.size()) {
          pending_[pending_items_].assign(buffer_.data() + read_, bulk_bytes_);
        } else {
          pending_.emplace_back(buffer_.data() + read_, bulk_bytes_);
        }
        ++pending_items_;
        read_ += bulk_bytes_ + 2;
        if (--items_left_ > 0) {
          state_ = State::bulk_header;
          break;
        }
        state_ = State::start;
        request_bytes_ = 0;
        pending_.resize(pending_items_);
        // The caller's previous request becomes the spare strings of the next one; spares
        // past a small bound are freed, so one huge request does not stay allocated.
        std::swap(request, pending_);
        if (pending_.size() > spare_items_max) pending_.resize(spare_items_max);
        for (std::string& spare : pending_) {
          if (spare.capacity() > spare_bytes_max) std::string().swap(spare);
        }
        return true;
      }
    }
  }
  return false;
}

void ReplyWriter::simple(std::string_view text) {
  out_ += '+';
  out_ += text;
  out_ += "\r\n";
}
void ReplyWriter::error(std::string_view text) {
  out_ += '-';
  out_ += text;
  out_ += "\r\n";
}
void ReplyWriter::integer(std::int64_t n) {
  out_ += ':';
  out_ += std::to_string(n);
  out_ += "\r\n";
}
void ReplyWriter::bulk(std::string_view bytes) {
  header('$', bytes.size());
  out_ += bytes;
  out_ += "\r\n";
}
void ReplyWriter::null_bulk() { out_ += resp3() ? "_\r\n" : "$-1\r\n"; }
void ReplyWriter::header(char type, std::size_t n) {
  out_ += type;
  out_ += std::to_string(n);
  out_ += "\r\n";
}
void ReplyWriter::array_header(std::size_t n) { header('*', n); }
void ReplyWriter::null_array() { out_ += resp3() ? "_\r\n" : "*-1\r\n"; }
void ReplyWriter::map_header(std::size_t pairs) {
  resp3() ? header('%', pairs) : header('*', 2 * pairs);
}
void ReplyWriter::set_header(std::size_t n) { header(resp3() ? '~' : '*', n); }
void ReplyWriter::push_header(std::size_t n) { header(resp3() ? '>' : '*', n); }
void ReplyWriter::double_text(std::string_view text) {
  if (!resp3()) return bulk(text);
  out_ += ',';
  out_ += text;
  out_ += "\r\n";
}
void ReplyWriter::verbatim(std::string_view text) {
  if (!resp3()) return bulk(text);
  out_ += '=';
  out_ += std::to_string(text.size() + 4);
  out_ += "\r\ntxt:";
  out_ += text;
  out_ += "\r\n";
}
void ReplyWriter::pairs_header(std::size_t n) { array_header(resp3() ? n : 2 * n); }
void ReplyWriter::pair() {
  if (resp3()) out_ += "*2\r\n";
}

}  // namespace calm::apps::kvs
