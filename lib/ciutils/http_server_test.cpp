#include "ciutils/http_server.h"

#include "ciutils/error.h"
#include "ciutils/http.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace ciutils;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A server running on its own thread for one test.
class Running {
public:
  Running(HttpServerSettings settings, ServerHandler handler) : m_server(settings, std::move(handler)) {
    m_thread = std::thread([this] { m_result.set_value(m_server.run()); });
  }
  ~Running() {
    m_server.stop();
    m_thread.join();
  }
  std::string url(const std::string& path) const { return m_server.url() + path; }
  int port() const { return m_server.port(); }
  HttpServer& server() { return m_server; }
  // run()'s result, once it returned.
  int result() { return m_result.get_future().get(); }

private:
  HttpServer m_server;
  std::promise<int> m_result;
  std::thread m_thread;
};

HttpResponse get(const std::string& url, std::vector<std::string> headers = {}) {
  HttpRequest request;
  request.url = url;
  request.headers = std::move(headers);
  request.timeout = 20s;
  return http_send(request);
}

// A TCP client that writes exactly what a test says.
class RawClient {
public:
  explicit RawClient(int port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { close(); }
  bool connected() const { return m_connected; }
  void send(std::string_view bytes) { ASSERT_EQ(::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size())); }
  // Everything until the server closes the connection (or 20 s pass: then "(still open)" is appended).
  std::string read_until_closed() {
    std::string out;
    char buffer[4096];
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        continue;
      }
      ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        return out;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out + "(still open)";
  }
  // Reads until text has arrived (or 20 s pass).
  std::string read_until(std::string_view text) {
    std::string out;
    char buffer[4096];
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (out.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        continue;
      }
      ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  void close() {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

private:
  int m_fd = -1;
  bool m_connected = false;
};

ServerHandler echo_handler(std::atomic<int>* calls = nullptr) {
  return [calls](const ServerRequest& request, std::shared_ptr<ServerReply> reply) {
    if (calls) {
      ++*calls;
    }
    std::string body = request.method + " " + request.path;
    for (const auto& [name, value] : request.query) {
      body += " [" + name + "=" + value + "]";
    }
    body += " x-test=" + request.header("X-Test").value_or("-") + " body=" + request.body;
    reply->send({201, {{"content-type", "text/plain"}, {"x-answer", "yes"}}, body});
  };
}

HttpServerSettings quick_settings() {
  HttpServerSettings settings;
  settings.read_timeout = 300ms;
  settings.idle_timeout = 300ms;
  settings.drain_timeout = 5s;
  return settings;
}

}  // namespace

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(percent_decode("a%20b%2Fc+d", true), "a b/c d");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("%", true), std::nullopt);
  EXPECT_EQ(percent_decode("%4", true), std::nullopt);
  EXPECT_EQ(percent_decode("%zz", true), std::nullopt);
}

TEST(HttpServer, AnswersWithPathQueryHeadersAndBody) {
  Running running(HttpServerSettings{}, echo_handler());
  auto response = get(running.url("/a%20b?environment=uat&x=1+2%26"), {"X-Test: hello"});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "GET /a b [environment=uat] [x=1 2&] x-test=hello body=");
  EXPECT_EQ(response.header("x-answer"), "yes");

  HttpRequest post;
  post.method = "POST";
  post.url = running.url("/p");
  post.body = "payload";
  EXPECT_EQ(http_send(post).body, "POST /p x-test=- body=payload");
}

TEST(HttpServer, BindsAnAddressOrSaysWhy) {
  HttpServerSettings settings;
  settings.host = "not-an-address";
  try {
    HttpServer server(settings, echo_handler());
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "listen address not-an-address: not an IP address");
  }
  HttpServer first(HttpServerSettings{}, echo_handler());
  settings.host = "127.0.0.1";
  settings.port = first.port();
  EXPECT_THROW(HttpServer(settings, echo_handler()), ServiceError);
  EXPECT_EQ(first.url(), "http://127.0.0.1:" + std::to_string(first.port()));
}

TEST(HttpServer, MalformedRequestsAre400WithoutTheHandler) {
  std::atomic<int> calls = 0;
  Running running(HttpServerSettings{}, echo_handler(&calls));
  RawClient bad_escape(running.port());
  bad_escape.send("GET /maybe?environment=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(bad_escape.read_until_closed().substr(0, 24), "HTTP/1.1 400 Bad Request");

  RawClient garbage(running.port());
  garbage.send("HELLO THERE\r\n\r\n");
  EXPECT_EQ(garbage.read_until_closed().substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(calls, 0);
}

TEST(HttpServer, HeaderAndBodyLimits) {
  std::atomic<int> calls = 0;
  HttpServerSettings settings;
  settings.max_header_bytes = 1024;
  settings.max_body_bytes = 100;
  Running running(settings, echo_handler(&calls));
  auto big_header = get(running.url("/"), {"X-Big: " + std::string(2000, 'a')});
  EXPECT_EQ(big_header.status, 431);

  RawClient big_body(running.port());
  big_body.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'));
  EXPECT_EQ(big_body.read_until_closed().substr(0, 30), "HTTP/1.1 413 Payload Too Large");

  RawClient fits(running.port());
  fits.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + std::string(100, 'b'));
  EXPECT_EQ(fits.read_until_closed().substr(0, 21), "HTTP/1.1 201 Created\r");
  EXPECT_EQ(calls, 1);
}

TEST(HttpServer, SlowClientIsClosedAfterTheReadTimeoutWhileOthersAreServed) {
  Running running(quick_settings(), echo_handler());
  RawClient slow(running.port());
  slow.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  EXPECT_EQ(get(running.url("/other")).status, 201);
  EXPECT_EQ(slow.read_until_closed(), "");  // closed, not answered
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
  Running running(quick_settings(), echo_handler());
  RawClient idle(running.port());
  idle.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  auto both = idle.read_until_closed();
  EXPECT_NE(both.find("GET /one"), std::string::npos);
  EXPECT_NE(both.find("GET /two"), std::string::npos);
  EXPECT_EQ(both.find("(still open)"), std::string::npos);
}

TEST(HttpServer, ReplyLaterFromAnotherThread) {
  std::promise<std::shared_ptr<ServerReply>> pending;
  Running running(HttpServerSettings{}, [&](const ServerRequest&, std::shared_ptr<ServerReply> reply) {
    pending.set_value(reply);
  });
  auto response = std::async(std::launch::async, [&] { return get(running.url("/wait")); });
  auto reply = pending.get_future().get();
  EXPECT_FALSE(reply->closed());
  std::thread([reply] { reply->send({200, {}, "later"}); }).join();
  EXPECT_EQ(response.get().body, "later");
}

TEST(HttpServer, ClientLeavingClosesThePendingReply) {
  std::promise<void> closed;
  std::promise<void> called;
  std::shared_ptr<ServerReply> kept;
  std::mutex mutex;
  Running running(HttpServerSettings{}, [&](const ServerRequest&, std::shared_ptr<ServerReply> reply) {
    reply->on_close([&closed] { closed.set_value(); });
    std::lock_guard lock(mutex);
    kept = reply;
    called.set_value();
  });
  RawClient client(running.port());
  client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
  called.get_future().wait();
  client.close();
  EXPECT_EQ(closed.get_future().wait_for(20s), std::future_status::ready);
  std::lock_guard lock(mutex);
  EXPECT_TRUE(kept->closed());
  kept->send({200, {}, "nobody hears this"});  // a no-op
}

TEST(HttpServer, StreamsChunks) {
  Running running(HttpServerSettings{}, [](const ServerRequest&, std::shared_ptr<ServerReply> reply) {
    reply->start_stream({200, {{"content-type", "text/event-stream"}}, ""});
    std::thread([reply] {
      reply->write("data: one\n\n");
      reply->write("data: two\n\n");
      reply->finish();
    }).detach();
  });
  auto response = get(running.url("/events"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/event-stream");
  EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  EXPECT_EQ(response.body, "data: one\n\ndata: two\n\n");
}

TEST(HttpServer, UnansweredOrThrowingHandlerIs500) {
  Running running(HttpServerSettings{}, [](const ServerRequest& request, std::shared_ptr<ServerReply>) {
    if (request.path == "/throw") {
      throw std::runtime_error("boom");
    }
  });
  EXPECT_EQ(get(running.url("/drop")).status, 500);
  EXPECT_EQ(get(running.url("/throw")).status, 500);
}

TEST(HttpServer, StopDrainsPendingRepliesThenReturns) {
  std::promise<void> called;
  Running running(HttpServerSettings{}, [&](const ServerRequest&, std::shared_ptr<ServerReply> reply) {
    // A long poll: answered only when the server drains.
    reply->on_close([reply] { reply->send({503, {}, "draining"}); });
    called.set_value();
  });
  RawClient client(running.port());
  client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
  called.get_future().wait();
  running.server().stop();
  auto answer = client.read_until_closed();
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 503");
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_NE(answer.find("draining"), std::string::npos);
  EXPECT_EQ(running.result(), 0);
  RawClient after(running.port());
  EXPECT_FALSE(after.connected());
}

TEST(HttpServer, SigtermDrainsAndReturnsTheSignal) {
  Running running(HttpServerSettings{}, echo_handler());
  RawClient idle(running.port());
  idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(idle.read_until("body="), "");
  ::kill(::getpid(), SIGTERM);
  EXPECT_EQ(running.result(), SIGTERM);
  EXPECT_EQ(idle.read_until_closed().find("(still open)"), std::string::npos);
}

TEST(HttpServer, ConnectionsOverTheCapAreClosed) {
  HttpServerSettings settings;
  settings.max_connections = 1;
  Running running(settings, echo_handler());
  RawClient first(running.port());
  first.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(first.read_until("body="), "");  // a session now
  RawClient second(running.port());
  second.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(second.read_until_closed(), "");
  first.close();
  // Served again once the first connection's session ended.
  std::string answer;
  for (int attempt = 0; attempt < 400 && answer.empty(); ++attempt) {
    RawClient third(running.port());
    third.send("GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    answer = third.read_until_closed();
  }
  EXPECT_NE(answer.find("GET /third"), std::string::npos);
}

TEST(HttpServer, ServesTls) {
  fs::path dir = fs::temp_directory_path() / ("http_server_test." + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string d = dir.string();
  std::string make = "cd " + d +
                     " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=testca"
                     " 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr"
                     " -subj /CN=127.0.0.1 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1\\n' > ext &&"
                     " openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem"
                     " -days 2 -extfile ext 2>/dev/null";
  ASSERT_EQ(std::system(make.c_str()), 0);
  HttpServerSettings settings;
  settings.tls_cert = d + "/server.pem";
  settings.tls_key = d + "/server.key";
  {
    Running running(settings, echo_handler());
    EXPECT_EQ(running.url("/").substr(0, 8), "https://");
    ::setenv("SSL_CERT_FILE", (d + "/ca.pem").c_str(), 1);
    auto response = get(running.url("/secure?x=1"));
    ::unsetenv("SSL_CERT_FILE");
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.body, "GET /secure [x=1] x-test=- body=");
    RawClient plain(running.port());
    plain.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(plain.read_until_closed().find("HTTP/1.1"), std::string::npos);
  }
  settings.tls_key = d + "/missing.key";
  try {
    HttpServer server(settings, echo_handler());
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, 8 + d.size() + 13), "TLS key " + d + "/missing.key:");
  }
  fs::remove_all(dir);
}
