#include "ciutils/http_server.h"

#include "ciutils/error.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace ciutils {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> first_value(const std::vector<std::pair<std::string, std::string>>& pairs,
                                       std::string_view name) {
  for (const auto& [key, value] : pairs) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

// The wire form of a response, written by Beast's serializer.
std::string serialize(const ServerResponse& response, bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
  for (const auto& [name, value] : response.headers) {
    message.set(name, value);
  }
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  std::ostringstream out;
  out << message;
  return std::move(out).str();
}

// The status line and headers of a chunked response; its body follows as chunks.
std::string serialize_stream_head(const ServerResponse& head, bool keep_alive) {
  http::response<http::empty_body> message{static_cast<http::status>(head.status), 11};
  for (const auto& [name, value] : head.headers) {
    message.set(name, value);
  }
  message.keep_alive(keep_alive);
  message.chunked(true);
  std::ostringstream out;
  out << message.base();
  return std::move(out).str();
}

std::string serialize_chunk(const std::string& data) {
  return beast::buffers_to_string(http::make_chunk(net::buffer(data)));
}

std::string serialize_last_chunk() { return beast::buffers_to_string(http::make_chunk_last()); }

ServerResponse plain_response(int status, std::string text) {
  return {status, {{"content-type", "text/plain; charset=utf-8"}}, std::move(text) + "\n"};
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      int high = hex(text[i + 1]);
      int low = hex(text[i + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> ServerRequest::header(std::string_view name) const {
  return first_value(headers, lower(name));
}

std::optional<std::string> ServerRequest::query_value(std::string_view name) const {
  return first_value(query, name);
}

// ---------------------------------------------------------------------------------------------

class Session;
class ConnectionReply;

struct HttpServer::Impl {
  Impl(const HttpServerSettings& s, ServerHandler h)
      : settings(s), handler(std::move(h)), ioc(std::max(1, s.threads)), strand(net::make_strand(ioc)),
        acceptor(strand), signals(strand, SIGTERM, SIGINT), drain_timer(strand), accept_retry(strand) {}

  void accept();
  void begin_drain(int signal);
  void session_ended(Session* session);

  HttpServerSettings settings;
  ServerHandler handler;
  // Declared before the io_context: sessions it still holds end (and unregister) while it dies.
  std::mutex sessions_mutex;
  std::map<Session*, std::weak_ptr<Session>> sessions;
  bool sessions_draining = false;  // under sessions_mutex
  std::optional<net::ssl::context> tls;
  net::io_context ioc;
  net::strand<net::io_context::executor_type> strand;  // the acceptor, signals and timers
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drain_timer;
  net::steady_timer accept_retry;
  bool draining = false;  // on strand
  int stop_signal = 0;
  int bound_port = 0;
};

// One connection: read a request, hand it to the handler, write the answer, repeat. Every
// member runs on the connection's strand; ServerReply posts there.
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(HttpServer::Impl& server, tcp::socket socket) : m_server(server) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (!ec) {
      auto address = remote.address();
      m_peer = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
               std::to_string(remote.port());
    }
    if (server.tls) {
      m_tls.emplace(std::move(socket), *server.tls);
    } else {
      m_plain.emplace(std::move(socket));
    }
    m_idle_timer.emplace(tcp().get_executor());
  }
  ~Session() { unregister(); }

  void start();
  void drain();
  void cut();

  // From the reply, on the strand.
  void send(ServerResponse response);
  void start_stream(ServerResponse head);
  void write_chunk(std::string data);
  void finish_stream();

  net::any_io_executor executor() { return tcp().get_executor(); }

private:
  enum class State { handshake, waiting, reading, handling, streaming, writing, closing };

  beast::tcp_stream& tcp() { return m_tls ? beast::get_lowest_layer(*m_tls) : *m_plain; }
  template <class F>
  void with_stream(F&& f) {
    if (m_tls) {
      f(*m_tls);
    } else {
      f(*m_plain);
    }
  }

  void wait_for_request();
  void read_request();
  void on_read(beast::error_code ec);
  void dispatch();
  void watch();
  void enqueue(std::string bytes, bool ends_response);
  void write_next();
  void after_response();
  void close();
  void client_gone();
  // Once: the server stops counting this connection (a reply may keep the object longer).
  void unregister() {
    if (!m_unregistered.exchange(true)) {
      m_server.session_ended(this);
    }
  }

  HttpServer::Impl& m_server;
  std::optional<beast::tcp_stream> m_plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> m_tls;
  std::string m_peer;
  std::optional<net::steady_timer> m_idle_timer;  // while a watching read waits for the next request
  beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::string_body>> m_parser;
  State m_state = State::handshake;
  bool m_keep_alive = false;
  bool m_draining = false;
  bool m_watching = false;     // a read is out to notice the client leaving during a reply
  bool m_read_wanted = false;  // the next request waits for that read
  bool m_responded = false;    // the current request has its answer (or its stream head)
  std::weak_ptr<ConnectionReply> m_reply;
  std::deque<std::pair<std::string, bool>> m_out;  // bytes, ends the response
  std::size_t m_out_bytes = 0;
  bool m_writing = false;
  std::atomic<bool> m_unregistered{false};
  std::shared_ptr<Session> m_self;  // while a reply is pending
};

// Not named Reply: ciutils::Reply is redis.h's, and two classes of one name in one program
// break the one-definition rule (a tool linking both freed one's strings with the other's layout).
class ConnectionReply : public ServerReply {
public:
  ConnectionReply(std::shared_ptr<Session> session, net::io_context& ioc)
      : m_session(std::move(session)), m_work(net::make_work_guard(ioc)) {}
  ~ConnectionReply() override {
    if (!m_closed && !m_answered.exchange(true)) {
      post([](Session& s) { s.send(plain_response(500, "Internal Server Error: no answer")); });
    }
  }

  void send(ServerResponse response) override {
    if (!m_answered.exchange(true)) {
      forget_callbacks();
      post([response = std::move(response)](Session& s) mutable { s.send(std::move(response)); });
      release_work();
    }
  }
  void start_stream(ServerResponse head) override {
    if (!m_answered.exchange(true)) {
      m_streaming = true;
      post([head = std::move(head)](Session& s) mutable { s.start_stream(std::move(head)); });
    }
  }
  void write(std::string data) override {
    if (m_streaming && !m_finished && !closed()) {
      post([data = std::move(data)](Session& s) mutable { s.write_chunk(std::move(data)); });
    }
  }
  void finish() override {
    if (m_streaming && !m_finished.exchange(true)) {
      forget_callbacks();
      post([](Session& s) { s.finish_stream(); });
      release_work();
    }
  }
  bool closed() const override { return m_closed; }
  void on_close(std::function<void()> callback) override {
    std::unique_lock lock(m_mutex);
    if (m_closed) {
      lock.unlock();
      post([callback = std::move(callback)](Session&) { callback(); });
      return;
    }
    m_callbacks.push_back(std::move(callback));
  }

  // On the strand: the client left or the server drains.
  void mark_closed() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(m_mutex);
      if (m_closed) {
        return;
      }
      m_closed = true;
      callbacks.swap(m_callbacks);
    }
    for (auto& callback : callbacks) {
      callback();
    }
    release_work();
  }

private:
  // Runs f on the session's strand: at once when called from it (inside the handler).
  template <class F>
  void post(F f) {
    if (auto session = m_session.lock()) {
      auto executor = session->executor();
      net::dispatch(executor, [session = std::move(session), f = std::move(f)]() mutable { f(*session); });
    }
  }
  // Answered: the callbacks (which may hold this reply) are never called, and the server
  // no longer waits for this reply.
  void forget_callbacks() {
    std::lock_guard lock(m_mutex);
    m_callbacks.clear();
  }
  void release_work() {
    std::lock_guard lock(m_mutex);
    m_work.reset();
  }

  std::weak_ptr<Session> m_session;  // the session keeps itself while this reply is pending
  net::executor_work_guard<net::io_context::executor_type> m_work;
  std::atomic<bool> m_answered{false};
  std::atomic<bool> m_streaming{false};
  std::atomic<bool> m_finished{false};
  std::atomic<bool> m_closed{false};
  std::mutex m_mutex;
  std::vector<std::function<void()>> m_callbacks;

  friend class Session;
};

// ---------------------------------------------------------------------------------------------

void Session::start() {
  if (!m_tls) {
    wait_for_request();
    return;
  }
  m_state = State::handshake;
  tcp().expires_after(m_server.settings.read_timeout);
  m_tls->async_handshake(net::ssl::stream_base::server,
                         [self = shared_from_this()](beast::error_code ec) {
                           if (ec) {
                             self->close();
                           } else {
                             self->wait_for_request();
                           }
                         });
}

// Between requests: wait (idle_timeout) for the first bytes, then read the request under
// read_timeout.
void Session::wait_for_request() {
  if (m_draining) {
    close();
    return;
  }
  m_parser.emplace();
  m_parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(m_server.settings.max_header_bytes, UINT32_MAX)));
  m_parser->body_limit(m_server.settings.max_body_bytes);
  m_responded = false;
  if (m_buffer.size() > 0) {
    read_request();
    return;
  }
  m_state = State::waiting;
  tcp().expires_after(m_server.settings.idle_timeout);
  with_stream([this](auto& stream) {
    stream.async_read_some(m_buffer.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->m_buffer.commit(n);
      if (ec || n == 0) {
        self->close();
      } else {
        self->read_request();
      }
    });
  });
}

void Session::read_request() {
  m_state = State::reading;
  tcp().expires_after(m_server.settings.read_timeout);
  with_stream([this](auto& stream) {
    http::async_read(stream, m_buffer, *m_parser,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  });
}

void Session::on_read(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    m_keep_alive = false;
    send(plain_response(431, "Request Header Fields Too Large"));
    return;
  }
  if (ec == http::error::body_limit) {
    m_keep_alive = false;
    send(plain_response(413, "Content Too Large"));
    return;
  }
  if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    m_keep_alive = false;
    send(plain_response(400, "Bad Request"));
    return;
  }
  if (ec) {
    close();  // the client left, or sent too slowly (read_timeout)
    return;
  }
  dispatch();
}

void Session::dispatch() {
  auto& message = m_parser->get();
  m_keep_alive = message.keep_alive() && !m_draining;
  ServerRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.peer = m_peer;
  for (const auto& field : message) {
    request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  std::string_view target = message.target();
  auto question = target.find('?');
  auto path = percent_decode(target.substr(0, question), false);
  bool valid = path.has_value() && !path->empty() && path->front() == '/';
  if (valid) {
    request.path = std::move(*path);
  }
  if (valid && question != std::string_view::npos) {
    std::string_view rest = target.substr(question + 1);
    while (valid && !rest.empty()) {
      auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (pair.empty()) {
        continue;
      }
      auto equals = pair.find('=');
      auto name = percent_decode(pair.substr(0, equals), true);
      auto value = percent_decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1), true);
      valid = name && value;
      if (valid) {
        request.query.emplace_back(std::move(*name), std::move(*value));
      }
    }
  }
  if (!valid) {
    m_keep_alive = false;
    send(plain_response(400, "Bad Request: malformed target"));
    return;
  }

  m_state = State::handling;
  tcp().expires_never();
  auto reply = std::make_shared<ConnectionReply>(shared_from_this(), m_server.ioc);
  m_reply = reply;
  m_self = shared_from_this();
  try {
    m_server.handler(request, reply);
  } catch (...) {
    reply->send(plain_response(500, "Internal Server Error"));
  }
  reply.reset();
  // Answers come through the strand after this returns; meanwhile notice a client that leaves.
  if (m_state == State::handling || m_state == State::streaming) {
    watch();
  }
}

// Reads during a pending reply: an error means the client left (its reply is told); bytes are
// the next request, kept in the buffer.
void Session::watch() {
  if (m_watching || m_buffer.size() > 0) {
    return;
  }
  m_watching = true;
  with_stream([this](auto& stream) {
    stream.async_read_some(m_buffer.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->m_buffer.commit(n);
      self->m_watching = false;
      self->m_idle_timer->cancel();
      if (ec || n == 0) {
        self->client_gone();
        self->close();
      } else if (self->m_read_wanted) {
        self->m_read_wanted = false;
        self->wait_for_request();
      }
    });
  });
}

void Session::client_gone() {
  if (auto reply = m_reply.lock()) {
    reply->mark_closed();
  }
}

void Session::send(ServerResponse response) {
  if (m_state == State::closing || m_responded) {
    return;
  }
  m_responded = true;
  m_self.reset();  // the write holds the session now
  bool keep_alive = m_keep_alive && !m_draining;
  m_keep_alive = keep_alive;
  enqueue(serialize(response, keep_alive), true);
}

void Session::start_stream(ServerResponse head) {
  if (m_state == State::closing || m_responded) {
    return;
  }
  m_responded = true;
  m_state = State::streaming;
  enqueue(serialize_stream_head(head, m_keep_alive && !m_draining), false);
}

void Session::write_chunk(std::string data) {
  if (m_state != State::streaming || data.empty()) {
    return;
  }
  if (m_out_bytes + data.size() > m_server.settings.max_stream_backlog) {
    client_gone();  // a reader this slow is cut rather than buffered without bound
    close();
    return;
  }
  enqueue(serialize_chunk(data), false);
}

void Session::finish_stream() {
  if (m_state != State::streaming) {
    return;
  }
  m_state = State::writing;
  m_self.reset();
  enqueue(serialize_last_chunk(), true);
}

void Session::enqueue(std::string bytes, bool ends_response) {
  if (m_state != State::streaming) {
    m_state = State::writing;
  }
  m_out_bytes += bytes.size();
  m_out.emplace_back(std::move(bytes), ends_response);
  if (!m_writing) {
    write_next();
  }
}

void Session::write_next() {
  if (m_out.empty() || m_state == State::closing) {
    m_writing = false;
    return;
  }
  m_writing = true;
  tcp().expires_after(m_server.settings.idle_timeout);
  with_stream([this](auto& stream) {
    net::async_write(stream, net::buffer(m_out.front().first),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->client_gone();
                         self->close();
                         return;
                       }
                       bool ends = self->m_out.front().second;
                       self->m_out_bytes -= self->m_out.front().first.size();
                       self->m_out.pop_front();
                       if (ends) {
                         self->m_writing = false;
                         self->after_response();
                       } else {
                         self->write_next();
                       }
                     });
  });
}

void Session::after_response() {
  if (m_state == State::streaming) {
    tcp().expires_never();  // the stream stays open until the handler writes or finishes
    return;
  }
  if (!m_keep_alive || m_draining) {
    close();
    return;
  }
  if (m_watching) {
    // The outstanding read continues into the next request, within idle_timeout.
    m_read_wanted = true;
    m_state = State::waiting;
    m_idle_timer->expires_after(m_server.settings.idle_timeout);
    m_idle_timer->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->m_read_wanted) {
        self->close();
      }
    });
    return;
  }
  wait_for_request();
}

void Session::drain() {
  m_draining = true;
  switch (m_state) {
  case State::handshake:
  case State::waiting:
    close();
    break;
  case State::handling:
    client_gone();  // the handler answers now; the connection closes after that answer
    break;
  case State::streaming:
    client_gone();
    finish_stream();
    break;
  default:
    break;  // a request being read or an answer being written ends, then the connection closes
  }
}

void Session::cut() {
  client_gone();
  m_state = State::closing;
  m_self.reset();
  unregister();
  beast::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().close();
}

void Session::close() {
  if (m_state == State::closing) {
    return;
  }
  client_gone();
  m_state = State::closing;
  m_self.reset();
  unregister();  // no longer counted, nor waited for by a drain
  if (m_tls) {
    tcp().expires_after(std::chrono::seconds(1));
    m_tls->async_shutdown([self = shared_from_this()](beast::error_code) { self->tcp().close(); });
    return;
  }
  beast::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcp().close();
}

// ---------------------------------------------------------------------------------------------

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (draining || !acceptor.is_open()) {
      return;
    }
    if (ec) {
      // Out of descriptors or similar: try again shortly rather than spin.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code) { accept(); });
      return;
    }
    std::size_t open = 0;
    {
      std::lock_guard lock(sessions_mutex);
      open = sessions.size();
    }
    if (open >= settings.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the cap: closed at once, before a byte is read
    } else {
      auto session = std::make_shared<Session>(*this, std::move(socket));
      {
        std::lock_guard lock(sessions_mutex);
        sessions.emplace(session.get(), session);
      }
      net::dispatch(session->executor(), [session] { session->start(); });
    }
    accept();
  });
}

void HttpServer::Impl::begin_drain(int signal) {
  if (draining) {
    return;
  }
  draining = true;
  stop_signal = signal;
  beast::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [pointer, weak] : sessions) {
      if (auto session = weak.lock()) {
        open.push_back(std::move(session));
      }
    }
    sessions_draining = !sessions.empty();
  }
  if (open.empty()) {
    return;
  }
  for (auto& session : open) {
    net::post(session->executor(), [session] { session->drain(); });
  }
  drain_timer.expires_after(settings.drain_timeout);
  drain_timer.async_wait([this](beast::error_code ec) {
    if (ec) {
      return;
    }
    std::lock_guard lock(sessions_mutex);
    for (auto& [pointer, weak] : sessions) {
      if (auto session = weak.lock()) {
        net::post(session->executor(), [session] { session->cut(); });
      }
    }
  });
}

void HttpServer::Impl::session_ended(Session* session) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(session);
  if (sessions.empty() && sessions_draining) {
    sessions_draining = false;
    net::post(strand, [this] { drain_timer.cancel(); });
  }
}

HttpServer::HttpServer(const HttpServerSettings& settings, ServerHandler handler)
    : m_impl(std::make_unique<Impl>(settings, std::move(handler))) {
  auto& impl = *m_impl;
  if (settings.tls_cert.empty() != settings.tls_key.empty()) {
    throw UsageError("TLS needs both a certificate and a key");
  }
  if (!settings.tls_cert.empty()) {
    impl.tls.emplace(net::ssl::context::tls_server);
    impl.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                          net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                          net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    beast::error_code ec;
    impl.tls->use_certificate_chain_file(settings.tls_cert, ec);
    if (ec) {
      throw UsageError("TLS certificate " + settings.tls_cert + ": " + ec.message());
    }
    impl.tls->use_private_key_file(settings.tls_key, net::ssl::context::pem, ec);
    if (ec) {
      throw UsageError("TLS key " + settings.tls_key + ": " + ec.message());
    }
  }
  beast::error_code ec;
  auto address = net::ip::make_address(settings.host, ec);
  if (ec) {
    throw UsageError("listen address " + settings.host + ": not an IP address");
  }
  if (settings.port < 0 || settings.port > 65535) {
    throw UsageError("listen port " + std::to_string(settings.port) + ": not in 0-65535");
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(settings.port));
  auto fail = [&](const char* what) {
    throw ServiceError(std::string("cannot ") + what + " " + settings.host + ":" + std::to_string(settings.port) + ": " +
                       ec.message());
  };
  impl.acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("listen on");
  impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  impl.acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  impl.bound_port = impl.acceptor.local_endpoint().port();
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return m_impl->bound_port; }

std::string HttpServer::url() const {
  auto address = net::ip::make_address(m_impl->settings.host);
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(m_impl->tls ? "https://" : "http://") + host + ":" + std::to_string(port());
}

int HttpServer::run() {
  auto& impl = *m_impl;
  net::dispatch(impl.strand, [&impl] {
    impl.accept();
    impl.signals.async_wait([&impl](beast::error_code ec, int signal) {
      if (!ec) {
        impl.begin_drain(signal);
      }
    });
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, impl.settings.threads); ++i) {
    threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& thread : threads) {
    thread.join();
  }
  return impl.stop_signal;
}

void HttpServer::stop() {
  auto& impl = *m_impl;
  net::post(impl.strand, [&impl] { impl.begin_drain(0); });
}

}  // namespace ciutils
