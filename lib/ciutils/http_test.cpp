#include "ciutils/http.h"

#include "ciutils/error.h"
#include "ciutils/process.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>

namespace ciutils {
namespace {

using namespace std::chrono_literals;

// A real HTTP server on loopback. Paths:
//   /hello             200 "hello", X-Test: yes, echoes the User-Agent as X-Agent
//   /echo              200 "<METHOD> <body>"
//   /redirect          302 → /hello
//   /flaky/<name>      503 with Retry-After: 1 the first time, then 200 "ok"
//   /busy/<name>       429 without Retry-After the first time, then 200 "ok"
//   /down/<name>       503 always
//   /slow              sleeps 30 s
constexpr const char* k_server = R"PY(
import http.server, sys, threading, time
counts = {}
lock = threading.Lock()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *args):
        pass
    def reply(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def handle_any(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            n = counts[self.path]
        if self.path == '/hello':
            self.reply(200, b'hello', [('X-Test', 'yes'), ('X-Agent', self.headers.get('User-Agent', ''))])
        elif self.path == '/echo':
            self.reply(200, self.command.encode() + b' ' + body)
        elif self.path == '/redirect':
            self.reply(302, b'', [('Location', '/hello')])
        elif self.path.startswith('/flaky/'):
            self.reply(503, b'busy', [('Retry-After', '1')]) if n == 1 else self.reply(200, b'ok')
        elif self.path.startswith('/busy/'):
            self.reply(429, b'slow down') if n == 1 else self.reply(200, b'ok')
        elif self.path.startswith('/down/'):
            self.reply(503, b'down')
        elif self.path == '/slow':
            time.sleep(30)
            self.reply(200, b'late')
        else:
            self.reply(404, b'no')
    do_GET = do_POST = do_PUT = do_DELETE = handle_any
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
)PY";

// Loopback must never go through a proxy from the environment.
void no_proxy_for_loopback() { ::setenv("NO_PROXY", "127.0.0.1,localhost", 1); }

class HttpServer : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    no_proxy_for_loopback();
    s_child = new Child(spawn({.argv = {"/usr/bin/python3", "-c", k_server}, .out = Redirect::pipe()}));
    ASSERT_EQ(s_child->exec_errno, 0);
    std::string line;
    char c;
    while (::read(s_child->out.get(), &c, 1) == 1 && c != '\n') line += c;
    ASSERT_FALSE(line.empty()) << "the test HTTP server did not start";
    s_base = "http://127.0.0.1:" + line;
  }
  static void TearDownTestSuite() {
    if (s_child) {
      kill_group(s_child->pgid, s_child->pid, parse_kill_sequence("TERM,5s,KILL", "--test"));
      delete s_child;
      s_child = nullptr;
    }
  }
  static std::string url(std::string_view path) { return s_base + std::string(path); }

  static inline Child* s_child = nullptr;
  static inline std::string s_base;
};

// A loopback port nobody listens on.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

struct Retry {
  int attempt;
  std::chrono::milliseconds wait;
  std::string why;
};

TEST_F(HttpServer, GetReturnsStatusBodyAndLowerCasedHeaders) {
  HttpResponse response = http_send({.url = url("/hello")});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.header("x-test"), "yes");
  EXPECT_EQ(response.header("X-Test"), "yes");
  EXPECT_FALSE(response.header("x-missing").has_value());
  bool all_lower = true;
  for (const auto& [name, value] : response.headers) {
    for (char ch : name) all_lower = all_lower && !(ch >= 'A' && ch <= 'Z');
  }
  EXPECT_TRUE(all_lower);
  ASSERT_TRUE(response.header("x-agent").has_value());
  EXPECT_EQ(response.header("x-agent")->rfind("ciutils/", 0), 0u);
}

TEST_F(HttpServer, PostSendsTheBody) {
  HttpResponse response = http_send({.method = "POST", .url = url("/echo"), .body = "payload"});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST payload");
  response = http_send({.method = "PUT", .url = url("/echo"), .body = "x"});
  EXPECT_EQ(response.body, "PUT x");
}

TEST_F(HttpServer, FollowsRedirects) {
  HttpResponse response = http_send({.url = url("/redirect")});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.header("x-test"), "yes");
}

TEST_F(HttpServer, NotFoundIsAResponseNotAnError) {
  HttpResponse response = http_send({.url = url("/nothing-here")});
  EXPECT_EQ(response.status, 404);
}

TEST_F(HttpServer, HonoursRetryAfter) {
  std::vector<Retry> retries;
  RetryPolicy policy{.retries = 3, .base_delay = 10ms, .max_delay = 30s};
  HttpResponse response = http_send_with_retry({.url = url("/flaky/a")}, policy,
                                                [&](int attempt, std::chrono::milliseconds wait,
                                                    std::string_view why) {
                                                  retries.push_back({attempt, wait, std::string(why)});
                                                });
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].attempt, 1);
  EXPECT_EQ(retries[0].wait, 1000ms);
  EXPECT_EQ(retries[0].why, "HTTP 503");
}

TEST_F(HttpServer, RetryAfterIsCappedAtMaxDelay) {
  std::vector<Retry> retries;
  RetryPolicy policy{.retries = 1, .base_delay = 10ms, .max_delay = 100ms};
  HttpResponse response = http_send_with_retry(
      {.url = url("/flaky/capped")}, policy,
      [&](int attempt, std::chrono::milliseconds wait, std::string_view why) {
        retries.push_back({attempt, wait, std::string(why)});
      });
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].wait, 100ms);
}

TEST_F(HttpServer, TooManyRequestsWithoutRetryAfterBacksOff) {
  std::vector<Retry> retries;
  RetryPolicy policy{.retries = 3, .base_delay = 50ms, .max_delay = 30s};
  HttpResponse response = http_send_with_retry(
      {.url = url("/busy/a")}, policy, [&](int attempt, std::chrono::milliseconds wait, std::string_view why) {
        retries.push_back({attempt, wait, std::string(why)});
      });
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].why, "HTTP 429");
  EXPECT_GE(retries[0].wait, 0ms);
  EXPECT_LE(retries[0].wait, 50ms);
}

TEST_F(HttpServer, ReturnsTheLastResponseWhenRetriesRunOut) {
  int calls = 0;
  RetryPolicy policy{.retries = 2, .base_delay = 1ms, .max_delay = 5ms};
  HttpResponse response = http_send_with_retry(
      {.url = url("/down/a")}, policy, [&](int, std::chrono::milliseconds, std::string_view) { ++calls; });
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "down");
  EXPECT_EQ(calls, 2);
}

TEST_F(HttpServer, WholeRequestTimeout) {
  try {
    http_send({.url = url("/slow"), .timeout = 300ms});
    FAIL() << "no timeout";
  } catch (const ServiceError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("GET " + url("/slow") + ": ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
}

TEST(Http, ConnectionRefusedIsAServiceErrorWithTheUrlRedacted) {
  no_proxy_for_loopback();
  const std::string port = std::to_string(closed_port());
  const std::string secret_url = "http://alice:s3cr3tpw@127.0.0.1:" + port + "/x?token=t0ps3cret&page=2";
  const std::string shown = "http://alice:***@127.0.0.1:" + port + "/x?token=***&page=2";
  std::vector<Retry> retries;
  RetryPolicy policy{.retries = 2, .base_delay = 1ms, .max_delay = 5ms};
  try {
    http_send_with_retry({.url = secret_url}, policy,
                         [&](int attempt, std::chrono::milliseconds wait, std::string_view why) {
                           retries.push_back({attempt, wait, std::string(why)});
                         });
    FAIL() << "no error";
  } catch (const ServiceError& e) {
    std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::unavailable);
    EXPECT_EQ(message.rfind("GET " + shown + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find("s3cr3tpw"), std::string::npos) << message;
    EXPECT_EQ(message.find("t0ps3cret"), std::string::npos) << message;
  }
  ASSERT_EQ(retries.size(), 2u);
  for (const auto& retry : retries) {
    EXPECT_EQ(retry.why.find("s3cr3tpw"), std::string::npos);
    EXPECT_LE(retry.wait, 5ms);
  }
}

TEST(Http, MalformedUrlIsNotRetried) {
  int calls = 0;
  EXPECT_THROW(http_send_with_retry({.url = "ftp://example.invalid/x"}, RetryPolicy{},
                                    [&](int, std::chrono::milliseconds, std::string_view) { ++calls; }),
               ServiceError);
  EXPECT_EQ(calls, 0);
}

TEST(Http, RedactUrl) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://example.com/a/b", "https://example.com/a/b"},
      {"https://user:pw@example.com/a", "https://user:***@example.com/a"},
      {"https://user@example.com/a", "https://user@example.com/a"},
      {"https://user:p%40ss@example.com:8443/", "https://user:***@example.com:8443/"},
      {"https://example.com/a?token=abc&x=1", "https://example.com/a?token=***&x=1"},
      {"https://example.com/a?x=1&api_key=abc", "https://example.com/a?x=1&api_key=***"},
      {"https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=ff&X-Amz-Expires=60",
       "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60"},
      {"https://x.blob.core.windows.net/c?sv=2020&sig=abc%3D", "https://x.blob.core.windows.net/c?sv=2020&sig=***"},
      {"https://example.com/?password=p&secret=s&Signature=z", "https://example.com/?password=***&secret=***&Signature=***"},
      {"https://example.com/a?token=abc#frag", "https://example.com/a?token=***#frag"},
      {"https://example.com/a@b?q=1", "https://example.com/a@b?q=1"},
      {"https://example.com/a?flag", "https://example.com/a?flag"},
      {"", ""},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(redact_url(in), out) << in;
}

TEST(Http, RetryableStatus) {
  for (long status : {408L, 425L, 429L, 500L, 502L, 503L, 504L, 599L}) EXPECT_TRUE(retryable_status(status)) << status;
  for (long status : {200L, 201L, 301L, 400L, 401L, 403L, 404L, 409L, 600L}) {
    EXPECT_FALSE(retryable_status(status)) << status;
  }
}

TEST(Http, ParseRetryAfterSeconds) {
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after(" 5 ", now), 5s);
  EXPECT_EQ(parse_retry_after("0", now), 0ms);
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("-1", now).has_value());
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  // A date centuries ahead is capped, not an overflow of the clock (found by fuzz/http_headers).
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 4030 07:28:00 GMT", now), 999'999'999s);
  EXPECT_FALSE(parse_retry_after("99999999999999999999", now).has_value());
}

TEST(Http, ParseRetryAfterDate) {
  // Sun, 06 Nov 1994 08:49:37 GMT
  auto now = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:57 GMT", now), 20s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 09:49:37 GMT", now), 3600s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0ms);  // in the past
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 500ms), 0ms);
}

TEST(Http, BackoffDelayStaysWithinFullJitterBounds) {
  RetryPolicy policy{.retries = 10, .base_delay = 100ms, .max_delay = 1000ms};
  std::set<long long> seen;
  for (int i = 0; i < 500; ++i) {
    auto first = backoff_delay(1, policy);
    EXPECT_GE(first, 0ms);
    EXPECT_LE(first, 100ms);
    auto third = backoff_delay(3, policy);
    EXPECT_LE(third, 400ms);
    auto late = backoff_delay(5, policy);  // 1600 ms capped at 1000 ms
    EXPECT_LE(late, 1000ms);
    seen.insert(late.count());
    auto huge = backoff_delay(1000, policy);  // no overflow
    EXPECT_GE(huge, 0ms);
    EXPECT_LE(huge, 1000ms);
  }
  EXPECT_GT(seen.size(), 10u);  // jittered, not constant
  EXPECT_EQ(backoff_delay(1, RetryPolicy{.retries = 1, .base_delay = 0ms, .max_delay = 0ms}), 0ms);
}

TEST(Http, CurlHandleHasDefaults) {
  CurlHandle handle = make_curl_handle();
  EXPECT_NE(handle.get(), nullptr);
}


TEST(ContentRange, ParsesWhatServersSend) {
  auto range = parse_content_range("bytes 100-199/1000");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->start, 100u);
  EXPECT_EQ(range->end, 199u);
  EXPECT_EQ(range->total, 1000u);
  range = parse_content_range(" Bytes 0-0/* ");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->end, 0u);
  EXPECT_FALSE(range->total);
}

TEST(ContentRange, RefusesWhatIsNotOneByteRange) {
  for (const char* bad : {"", "bytes", "bytes */1000", "items 0-9/10", "bytes 10-9/100", "bytes 0-10/10",
                          "bytes -1-9/10", "bytes 0-9", "bytes 0-9/", "bytes 0-9/1x", "bytes 0 -9/10",
                          "bytes 99999999999999999999-1/2", "bytes 0-9/10/11"}) {
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  }
}

}  // namespace
}  // namespace ciutils
