// The RESP2 parser and writer: requests as redis-cli and client libraries send them, split at
// every byte, and the protocol errors Redis gives for what they must not send.
#include <gtest/gtest.h>

#include <kvs/resp.hpp>
#include <string>
#include <vector>

namespace calm::apps::kvs {
namespace {

using namespace std::string_literals;

std::vector<Request> parse_all(std::string_view bytes, RequestParser& parser) {
  parser.feed(bytes);
  std::vector<Request> out;
  while (auto request = parser.next()) out.push_back(std::move(*request));
  return out;
}
std::vector<Request> parse_all(std::string_view bytes, RespLimits limits = {}) {
  RequestParser parser(limits);
  return parse_all(bytes, parser);
}

TEST(RespParser, ReadsAMultibulkRequestWithBinaryArguments) {
  const std::string bytes = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n"s;
  EXPECT_EQ(parse_all(bytes), (std::vector<Request>{{"SET", "k", "a\0\r\nb"s}}));
}

TEST(RespParser, ReusingOneRequestGivesEachRequestExactlyItsOwnArguments) {
  // The server parses every request into one Request: longer, shorter and inline requests after
  // one another must not keep arguments of the previous one.
  const std::string bytes =
      "*4\r\n$4\r\nSADD\r\n$1\r\ns\r\n$20\r\nelement:__rand_int__\r\n$1\r\nx\r\n"
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
  RequestParser parser;
  parser.feed(bytes);
  Request request;
  std::vector<Request> got;
  while (parser.next(request)) got.push_back(request);
  EXPECT_EQ(
      got,
      (std::vector<Request>{
          {"SADD", "s", "element:__rand_int__", "x"}, {"GET", "k"}, {"PING"}, {"SET", "k", ""}}));
}

TEST(RespParser, ReadsPipelinedRequestsWhateverTheSplitOfTheBytes) {
  const std::string bytes =
      "*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
  const std::vector<Request> expected{{"GET", "a"}, {"PING"}, {"PING"}, {"ECHO", ""}};
  for (std::size_t step = 1; step <= bytes.size(); ++step) {
    RequestParser parser;
    std::vector<Request> got;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
      parser.feed(std::string_view(bytes).substr(at, step));
      while (auto request = parser.next()) got.push_back(*request);
    }
    EXPECT_EQ(got, expected) << "fed " << step << " bytes at a time";
    EXPECT_EQ(parser.buffered_bytes(), 0u);
  }
}

TEST(RespParser, ReadsInlineCommandsWithRedisQuoting) {
  EXPECT_EQ(parse_all("SET key \"a b\\n\\x41\" 'it\\'s'\r\n"),
            (std::vector<Request>{{"SET", "key", "a b\nA", "it's"}}));
  EXPECT_EQ(parse_all("PING\n  \r\nGET k\n"), (std::vector<Request>{{"PING"}, {"GET", "k"}}));
}

TEST(RespParser, IgnoresEmptyArraysAsRedisDoes) {
  EXPECT_EQ(parse_all("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n"), (std::vector<Request>{{"PING"}}));
}

struct BadInput {
  const char* name;
  std::string bytes;
  std::string error;
};

TEST(RespParser, RejectsMalformedInputWithRedisErrors) {
  const std::vector<BadInput> cases = {
      {"array count not a number", "*x\r\n", "ERR Protocol error: invalid multibulk length"},
      {"array count too large", "*1048577\r\n", "ERR Protocol error: invalid multibulk length"},
      {"item not a bulk", "*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"},
      {"bulk length negative", "*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"},
      {"bulk length junk", "*1\r\n$1x\r\n", "ERR Protocol error: invalid bulk length"},
      {"bulk length above the bound", "*1\r\n$67108865\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"bulk length overflowing", "*1\r\n$99999999999999999999999\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"bulk not followed by CRLF", "*1\r\n$2\r\nabXY",
       "ERR Protocol error: expected CRLF after a bulk string"},
      {"unbalanced quotes", "SET k \"abc\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"closing quote glued to a word", "SET k \"a\"b\r\n",
       "ERR Protocol error: unbalanced quotes in request"},
  };
  for (const BadInput& c : cases) {
    RequestParser parser;
    EXPECT_TRUE(parse_all(c.bytes, parser).empty()) << c.name;
    EXPECT_EQ(parser.error(), c.error) << c.name;
    // Nothing more is read once the protocol is broken.
    EXPECT_TRUE(parse_all("*1\r\n$4\r\nPING\r\n", parser).empty()) << c.name;
  }
}

TEST(RespParser, ALyingLengthIsRejectedBeforeItsBodyArrives) {
  // A header that claims a gigabyte is refused at once: nothing waits for, or buffers, it.
  RequestParser parser;
  EXPECT_TRUE(parse_all("*1\r\n$1073741824\r\n", parser).empty());
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParser, BeforeAuthArraysOfTenAndBulksOf16KiBAreTheBoundsAsInRedis) {
  const RespLimits strict = unauthenticated_limits(RespLimits{});
  {
    RequestParser parser(strict);
    EXPECT_TRUE(parse_all("*11\r\n", parser).empty());
    EXPECT_EQ(parser.error(), "ERR Protocol error: unauthenticated multibulk length");
  }
  {
    RequestParser parser(strict);
    EXPECT_TRUE(parse_all("*2\r\n$16385\r\n", parser).empty());
    EXPECT_EQ(parser.error(), "ERR Protocol error: unauthenticated bulk length");
  }
  {
    RequestParser parser(strict);
    std::string request = "*10\r\n$3\r\nSET\r\n$16384\r\n" + std::string(16384, 'x') + "\r\n";
    for (int i = 0; i < 8; ++i) request += "$1\r\nb\r\n";
    EXPECT_EQ(parse_all(request, parser).size(), 1u);  // ten items, a bulk of 16 KiB: taken
    EXPECT_EQ(parser.error(), "");
    // Once authenticated (the server swaps the bounds), the ordinary ones apply.
    parser.set_limits(RespLimits{});
    EXPECT_TRUE(parse_all("*12\r\n$20000\r\n", parser).empty());  // waits for the body
    EXPECT_EQ(parser.error(), "");
  }
}

TEST(RespParser, BulksEachUnderTheirBoundAreRefusedWhenTheRequestPassesItsOwn) {
  // Four bulks of 100 bytes under a bulk bound of 100 and a request bound of 250: the third
  // header takes the request past 250 and is refused before its body arrives.
  RespLimits limits;
  limits.bulk_bytes_max = 100;
  limits.request_bytes_max = 250;
  const std::string bulk = "$100\r\n" + std::string(100, 'x') + "\r\n";
  RequestParser parser(limits);
  EXPECT_TRUE(parse_all("*4\r\n" + bulk + bulk + "$100\r\n", parser).empty());
  EXPECT_EQ(parser.error(), "ERR Protocol error: too big request");
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_LT(parser.capacity_bytes(), 1024u);  // and it holds nothing of it any more
  // Up to the bound a request is fine, and the next one counts from zero.
  RequestParser fine(limits);
  const std::string two = "*2\r\n" + bulk + bulk;
  EXPECT_EQ(parse_all(two + two + two, fine).size(), 3u);
  EXPECT_EQ(fine.error(), "");
  EXPECT_EQ(fine.request_bytes(), 0u);
  fine.feed("*3\r\n" + bulk + "$50\r\n");
  EXPECT_FALSE(fine.next());
  EXPECT_EQ(fine.request_bytes(), 150u);  // announced so far: what the request will hold
}

TEST(RespParser, TheDefaultRequestBoundTakesOneLargestBulkAndALittleMore) {
  const RespLimits limits;
  EXPECT_GT(limits.request_bytes_max, limits.bulk_bytes_max);
  EXPECT_LT(limits.request_bytes_max, 2 * limits.bulk_bytes_max);
}

TEST(RespParser, ABigRequestsMemoryIsReleasedOnceItHasBeenParsed) {
  // An idle connection after one large SET must not keep its buffer or its argument.
  const std::string value(8u << 20, 'v');
  const std::string request_bytes =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  RequestParser parser;
  Request request;
  for (std::size_t at = 0; at < request_bytes.size(); at += 64 * 1024) {
    parser.feed(std::string_view(request_bytes).substr(at, 64 * 1024));
    while (parser.next(request)) EXPECT_EQ(request[2].size(), value.size());
  }
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_LT(parser.capacity_bytes(), RequestParser::retained_bytes_max);
  // The reused request, once the caller is done with it.
  RequestParser::release(request);
  for (const std::string& argument : request) {
    EXPECT_LE(argument.capacity(), RequestParser::retained_bytes_max);
  }
  // A small request afterwards parses as ever, and a partial one is kept by release().
  parser.feed("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI");
  ASSERT_TRUE(parser.next(request));
  EXPECT_EQ(request, (Request{"PING"}));
  parser.release();
  parser.feed("NG\r\n");
  ASSERT_TRUE(parser.next(request));
  EXPECT_EQ(request, (Request{"PING"}));
}

TEST(RespParser, ALineWithoutAnEndIsRejectedAtTheLineBound) {
  RespLimits limits;
  limits.line_bytes_max = 100;
  RequestParser inline_parser(limits), count_parser(limits);
  EXPECT_TRUE(parse_all(std::string(101, 'a'), inline_parser).empty());
  EXPECT_EQ(inline_parser.error(), "ERR Protocol error: too big inline request");
  EXPECT_TRUE(parse_all("*" + std::string(101, '1'), count_parser).empty());
  EXPECT_EQ(count_parser.error(), "ERR Protocol error: too big mbulk count string");
  // Up to the bound, an unfinished line is just not here yet.
  RequestParser patient(limits);
  EXPECT_TRUE(parse_all(std::string(100, 'a'), patient).empty());
  EXPECT_EQ(patient.error(), "");
}

TEST(RespParser, ParsesIntegersAsStrictlyAsRedis) {
  EXPECT_EQ(parse_int64("0"), 0);
  EXPECT_EQ(parse_int64("-42"), -42);
  EXPECT_EQ(parse_int64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_int64("-9223372036854775808"), INT64_MIN);
  for (const char* bad : {"", "-", "+1", "01", "-0", " 1", "1 ", "1.0", "9223372036854775808"}) {
    EXPECT_EQ(parse_int64(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(ReplyWriter, WritesEveryRespTwoType) {
  std::string out;
  ReplyWriter w(out);
  w.simple("OK");
  w.error("ERR wrong");
  w.integer(-7);
  w.bulk("a\0b"s);
  w.null_bulk();
  w.array_header(2);
  w.null_array();
  EXPECT_EQ(out, "+OK\r\n-ERR wrong\r\n:-7\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n*-1\r\n"s);
}

}  // namespace
}  // namespace calm::apps::kvs
