// A small HTTP/1.1 server for the tools that serve (lockctl serve, report serve): Boost.Beast
// parses and writes every message, OpenSSL (loaded on first use) does TLS. Link the
// ciutils_http_server library only into those tools; the header keeps Beast out of their files.
//
//   ciutils::HttpServerSettings settings;                 // 127.0.0.1, port 0: any free port
//   ciutils::HttpServer server(settings, [](const ciutils::ServerRequest& request,
//                                           std::shared_ptr<ciutils::ServerReply> reply) {
//     reply->send({200, {{"content-type", "text/plain"}}, "hello\n"});
//   });
//   std::cerr << "listening on " << server.url() << "\n";
//   int signal = server.run();                            // returns once drained after SIGTERM/SIGINT
//
// The handler runs on one of the server's threads. It may answer at once, or keep the reply and
// answer later from any thread (a long poll); it may stream the body (server-sent events). The
// server closes a connection that sends a request too slowly (read_timeout, a slowloris client),
// stays silent between requests too long (idle_timeout), or sends headers or a body over the
// limits (431, 413), and closes connections beyond max_connections unread. On SIGTERM or
// SIGINT (or stop()) it stops accepting, closes idle connections, tells pending replies
// (on_close), lets in-flight requests finish and returns; connections still open after
// drain_timeout are cut.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ciutils {

struct HttpServerSettings {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address to bind
  int port = 0;                    // 0: a free port, see HttpServer::port()
  std::string tls_cert;            // PEM certificate chain; with tls_key, the server speaks HTTPS only
  std::string tls_key;             // PEM private key
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};   // a whole request, once begun
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};   // between requests; a stalled reader
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(30)};  // after stop, before cutting
  std::size_t max_connections = 512;
  std::size_t max_stream_backlog = 1024 * 1024;  // bytes queued for a slow stream reader before it is cut
  int threads = 2;                                // threads calling the handler
};

struct ServerRequest {
  std::string method;  // "GET", as sent
  std::string target;  // "/maybe?environment=uat", as sent
  std::string path;    // the target before '?', percent-decoded
  std::vector<std::pair<std::string, std::string>> query;    // percent-decoded, '+' is a space
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peer;  // "127.0.0.1:53422"

  // The first value of a header (name in any case) or query parameter.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> query_value(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // content-length is set by the server
  std::string body;
};

// The one answer to one request. Thread-safe; calls after the first answer, or after the client
// left, do nothing. A reply dropped unanswered sends 500. A reply must not outlive its server.
class ServerReply {
public:
  virtual ~ServerReply() = default;
  // The whole response.
  virtual void send(ServerResponse response) = 0;
  // A streamed response: status and headers now (chunked), then write() each piece and finish().
  virtual void start_stream(ServerResponse head) = 0;
  virtual void write(std::string data) = 0;
  virtual void finish() = 0;
  // Whether the client went away or the server is draining: answer now (a draining server still
  // sends it, then closes the connection) or not at all.
  virtual bool closed() const = 0;
  // Called once, on a server thread, when closed() becomes true (at once if it already is).
  virtual void on_close(std::function<void()> callback) = 0;
};

using ServerHandler = std::function<void(const ServerRequest& request, std::shared_ptr<ServerReply> reply)>;

class HttpServer {
public:
  // Binds and listens at once. Throws UsageError for an address, certificate or key that
  // cannot be used, ServiceError when the port cannot be bound.
  HttpServer(const HttpServerSettings& settings, ServerHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;         // the bound port
  std::string url() const;  // "http://127.0.0.1:PORT" ("https://…" with TLS; IPv6 in brackets)

  // Serves until SIGTERM or SIGINT arrives or stop() is called, then drains. Returns the signal
  // number, or 0 after stop().
  int run();
  // Begins the drain; thread-safe.
  void stop();

  struct Impl;  // in http_server.cpp

private:
  std::unique_ptr<Impl> m_impl;
};

// Percent-decodes a URL component; '+' becomes a space when plus_is_space. nullopt for a
// malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace ciutils
