// A TLS client stream over TCP. OpenSSL (libssl, loaded on first use) does the TLS through
// memory BIOs; the stream moves the bytes itself with non-blocking send/recv and poll, so
// connecting, the handshake and every read and write end at a deadline, and a peer that has
// gone never raises SIGPIPE.
#pragma once

#include "ciutils/fd.h"

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;

namespace ciutils {

struct TlsSettings {
  std::string cacert;       // PEM file of trusted CAs; empty: the system's (ca_bundle.h, SSL_CERT_DIR)
  std::string cert;         // client certificate (PEM, may hold the chain) for mutual TLS
  std::string key;          // its private key (PEM); empty: the key is in the cert file
  std::string server_name;  // checked against the certificate; sent as SNI unless an IP address
  bool insecure = false;    // no certificate or name verification at all
};

// A failure to connect, to complete the handshake, or to read or write; what() says why in
// words ("Connection refused", "certificate verify failed: self-signed certificate", …).
class TlsStreamError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class TlsStream {
public:
  using Deadline = std::chrono::steady_clock::time_point;

  // TCP to host:port, then the TLS handshake, both done by deadline. Throws UsageError for a
  // certificate or key file that cannot be used, TlsStreamError for the rest.
  static TlsStream connect(const std::string& host, int port, const TlsSettings& settings, Deadline deadline);

  // Sends all of data. Throws TlsStreamError.
  void write_all(std::string_view data, Deadline deadline);
  // Waits for and returns at least one byte of plaintext (at most size). Throws TlsStreamError.
  std::size_t read_some(char* buffer, std::size_t size, Deadline deadline);

private:
  struct SslFree {
    void operator()(SSL* ssl) const;
  };
  TlsStream(UniqueFd fd, std::unique_ptr<SSL, SslFree> ssl) : m_fd(std::move(fd)), m_ssl(std::move(ssl)) {}
  template <class Operation>
  int drive(Operation operation, Deadline deadline);
  void flush(Deadline deadline);
  void fill(Deadline deadline, bool handshake);
  std::optional<std::string> read_alert();

  UniqueFd m_fd;
  std::unique_ptr<SSL, SslFree> m_ssl;
};

}  // namespace ciutils
