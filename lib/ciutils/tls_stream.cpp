#include "ciutils/tls_stream.h"

#include "ciutils/ca_bundle.h"
#include "ciutils/cli.h"
#include "ciutils/error.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>

namespace ciutils {

namespace {

struct SslContextFree {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslContextFree>;

// The reason of the oldest error on OpenSSL's queue ("wrong version number", …); clears it.
std::string openssl_reason() {
  std::string reason;
  while (unsigned long error = ERR_get_error()) {
    const char* text = ERR_reason_error_string(error);
    if (reason.empty() && text != nullptr) reason = text;
  }
  return reason.empty() ? "unknown TLS error" : reason;
}

// Milliseconds left until deadline, for poll; throws once it has passed.
int remaining_ms(TlsStream::Deadline deadline, const char* what) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (left <= 0) throw TlsStreamError(what);
  return static_cast<int>(std::min<long long>(left, INT_MAX));
}

// Waits until fd is ready for events; throws with what when the deadline passes first.
void wait_for(int fd, short events, TlsStream::Deadline deadline, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, remaining_ms(deadline, what));
    if (ready > 0) return;
    if (ready == 0) throw TlsStreamError(what);
    if (errno != EINTR) throw TlsStreamError(std::strerror(errno));
  }
}

// A non-blocking TCP connection to host:port, made by deadline; the first address that
// answers wins. Messages as hiredis words them for redis:// ("Connection refused").
UniqueFd tcp_connect(const std::string& host, int port, TlsStream::Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw TlsStreamError(::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  std::string why = "no address for " + host;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        why = std::strerror(errno);
        continue;
      }
      wait_for(fd.get(), POLLOUT, deadline, std::strerror(ETIMEDOUT));
      int error = 0;
      socklen_t size = sizeof error;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
        why = std::strerror(error != 0 ? error : errno);
        continue;
      }
    }
    int on = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    return fd;
  }
  throw TlsStreamError(why);
}

bool is_ip_address(const std::string& host) {
  in6_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1 || ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

void require_readable(const std::string& file, const char* what) {
  if (::access(file.c_str(), R_OK) != 0) {
    throw UsageError(std::string(what) + " " + file + ": " + std::strerror(errno));
  }
}

SslContext make_context(const TlsSettings& settings) {
  SslContext context(SSL_CTX_new(TLS_client_method()));
  if (!context) throw TlsStreamError("cannot set up TLS: " + openssl_reason());
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  if (settings.insecure) {
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    std::optional<std::string> file = settings.cacert.empty() ? ca_bundle() : settings.cacert;
    std::optional<std::string> directory = settings.cacert.empty() ? env_value("SSL_CERT_DIR") : std::nullopt;
    if (!file && !directory) {
      throw UsageError("no CA certificates to check the Redis server's certificate with: give its CA with "
                       "?cacert=FILE or CIUTILS_REDIS_CACERT, or install the ca-certificates package");
    }
    if (file) require_readable(*file, "CA certificate file");
    if (SSL_CTX_load_verify_locations(context.get(), file ? file->c_str() : nullptr,
                                      directory ? directory->c_str() : nullptr) != 1) {
      throw UsageError("CA certificate file " + file.value_or(*directory) + ": " + openssl_reason());
    }
  }
  if (!settings.cert.empty()) {
    const std::string& key = settings.key.empty() ? settings.cert : settings.key;
    require_readable(settings.cert, "client certificate");
    require_readable(key, "client key");
    if (SSL_CTX_use_certificate_chain_file(context.get(), settings.cert.c_str()) != 1) {
      throw UsageError("client certificate " + settings.cert + ": " + openssl_reason());
    }
    if (SSL_CTX_use_PrivateKey_file(context.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw UsageError("client key " + key + ": " + openssl_reason());
    }
    if (SSL_CTX_check_private_key(context.get()) != 1) {
      throw UsageError("client key " + key + " does not match the certificate " + settings.cert);
    }
  } else if (!settings.key.empty()) {
    throw UsageError("a client key (" + settings.key + ") needs a client certificate too");
  }
  return context;
}

// What a failed TLS operation means, in words, with a hint where one helps.
std::string failure_text(SSL* ssl, int error, bool handshake) {
  std::string prefix = handshake ? "TLS handshake failed: " : "TLS: ";
  if (error == SSL_ERROR_ZERO_RETURN) return "Server closed the connection";
  long verified = SSL_get_verify_result(ssl);
  if (handshake && verified != X509_V_OK) {
    ERR_clear_error();
    return std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(verified) +
           " (give the server's CA with ?cacert=FILE or CIUTILS_REDIS_CACERT)";
  }
  std::string reason = error == SSL_ERROR_SSL ? openssl_reason() : "unexpected end of the connection";
  ERR_clear_error();
  if (reason.find("certificate required") != std::string::npos) {
    reason += " (the server wants a client certificate: give ?cert=FILE&key=FILE)";
  } else if (reason == "wrong version number" || reason == "packet length too long") {
    reason += " (is that port TLS? use redis:// for a plain one)";
  }
  return prefix + reason;
}

}  // namespace

void TlsStream::SslFree::operator()(SSL* ssl) const { SSL_free(ssl); }

TlsStream TlsStream::connect(const std::string& host, int port, const TlsSettings& settings, Deadline deadline) {
  SslContext context = make_context(settings);
  UniqueFd fd = tcp_connect(host, port, deadline);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));  // holds its own reference to context
  BIO* incoming = BIO_new(BIO_s_mem());
  BIO* outgoing = BIO_new(BIO_s_mem());
  if (!ssl || incoming == nullptr || outgoing == nullptr) {
    if (incoming != nullptr) BIO_free(incoming);
    if (outgoing != nullptr) BIO_free(outgoing);
    throw TlsStreamError("cannot set up TLS: " + openssl_reason());
  }
  SSL_set_bio(ssl.get(), incoming, outgoing);  // ssl owns both now
  SSL_set_connect_state(ssl.get());
  const std::string& name = settings.server_name.empty() ? host : settings.server_name;
  if (!is_ip_address(name)) SSL_set_tlsext_host_name(ssl.get(), name.c_str());
  if (!settings.insecure) {
    int named = is_ip_address(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str())
                                    : SSL_set1_host(ssl.get(), name.c_str());
    if (named != 1) throw TlsStreamError("cannot check the server's name " + name + ": " + openssl_reason());
  }
  TlsStream stream(std::move(fd), std::move(ssl));
  stream.drive([&](SSL* s) { return SSL_connect(s); }, deadline);
  return stream;
}

// Runs operation (SSL_connect, SSL_read, SSL_write) until it succeeds: what OpenSSL wrote to
// the outgoing BIO is sent, and when it wants input, the socket is read into the incoming one.
template <class Operation>
int TlsStream::drive(Operation operation, Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    int result = operation(m_ssl.get());
    int error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(m_ssl.get(), result);
    if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      std::string why = failure_text(m_ssl.get(), error, !SSL_is_init_finished(m_ssl.get()));
      try {
        flush(deadline);  // the alert that tells the server why, if it still listens
      } catch (const TlsStreamError&) {
      }
      throw TlsStreamError(why);
    }
    flush(deadline);
    if (error == SSL_ERROR_NONE) return result;
    if (error == SSL_ERROR_WANT_READ) fill(deadline, !SSL_is_init_finished(m_ssl.get()));
  }
}

void TlsStream::flush(Deadline deadline) {
  BIO* outgoing = SSL_get_wbio(m_ssl.get());
  char buffer[16384];
  while (BIO_ctrl_pending(outgoing) > 0) {
    int size = BIO_read(outgoing, buffer, sizeof buffer);
    if (size <= 0) break;
    std::string_view left(buffer, static_cast<std::size_t>(size));
    while (!left.empty()) {
      ssize_t sent = ::send(m_fd.get(), left.data(), left.size(), MSG_NOSIGNAL);
      if (sent >= 0) {
        left.remove_prefix(static_cast<std::size_t>(sent));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_for(m_fd.get(), POLLOUT, deadline, "timed out");
      } else if (errno != EINTR) {
        std::string why = std::strerror(errno);
        throw TlsStreamError(read_alert().value_or(why));
      }
    }
  }
}

// After the server dropped the connection: the TLS alert it sent first, if it is still
// readable (a server that wants a client certificate says so only after the handshake).
std::optional<std::string> TlsStream::read_alert() {
  char buffer[16384];
  ssize_t got = 0;
  while ((got = ::recv(m_fd.get(), buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
    BIO_write(SSL_get_rbio(m_ssl.get()), buffer, static_cast<int>(got));
  }
  ERR_clear_error();
  int result = SSL_read(m_ssl.get(), buffer, sizeof buffer);
  if (result > 0 || SSL_get_error(m_ssl.get(), result) != SSL_ERROR_SSL) {
    ERR_clear_error();
    return std::nullopt;
  }
  return failure_text(m_ssl.get(), SSL_ERROR_SSL, false);
}

void TlsStream::fill(Deadline deadline, bool handshake) {
  char buffer[16384];
  for (;;) {
    ssize_t got = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
    if (got > 0) {
      BIO_write(SSL_get_rbio(m_ssl.get()), buffer, static_cast<int>(got));
      return;
    }
    if (got == 0) {
      throw TlsStreamError(handshake ? "TLS handshake failed: the server closed the connection"
                                     : "Server closed the connection");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(m_fd.get(), POLLIN, deadline,
               handshake ? "TLS handshake timed out (is that port TLS? use redis:// for a plain one)" : "timed out");
    } else if (errno != EINTR) {
      throw TlsStreamError(std::strerror(errno));
    }
  }
}

void TlsStream::write_all(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    int chunk = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX));
    int written = drive([&](SSL* s) { return SSL_write(s, data.data(), chunk); }, deadline);
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::size_t TlsStream::read_some(char* buffer, std::size_t size, Deadline deadline) {
  int chunk = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  return static_cast<std::size_t>(drive([&](SSL* s) { return SSL_read(s, buffer, chunk); }, deadline));
}

}  // namespace ciutils
