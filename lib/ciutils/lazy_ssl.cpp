// The libssl functions ciutils calls (TLS to Redis, lib/ciutils/tls_stream.h), each loading
// libssl on first use (ciutils/lazy_library.h). The libcrypto functions TLS needs besides
// (memory BIOs, the error queue, verification results) are in lazy_crypto.cpp.
#include "ciutils/lazy_library.h"

#include <openssl/ssl.h>

namespace {
ciutils::LazyLibrary libssl{"libssl.so.3", "libssl3 (OpenSSL 3)"};
}  // namespace

extern "C" {

const SSL_METHOD* TLS_client_method() {
  CIUTILS_LAZY_REAL(libssl, TLS_client_method);
  return real();
}

SSL_CTX* SSL_CTX_new(const SSL_METHOD* method) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_new);
  return real(method);
}

void SSL_CTX_free(SSL_CTX* context) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_free);
  real(context);
}

long SSL_CTX_ctrl(SSL_CTX* context, int command, long number, void* argument) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_ctrl);
  return real(context, command, number, argument);
}

void SSL_CTX_set_verify(SSL_CTX* context, int mode, SSL_verify_cb callback) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_set_verify);
  real(context, mode, callback);
}

int SSL_CTX_load_verify_locations(SSL_CTX* context, const char* file, const char* directory) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_load_verify_locations);
  return real(context, file, directory);
}

int SSL_CTX_use_certificate_chain_file(SSL_CTX* context, const char* file) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_use_certificate_chain_file);
  return real(context, file);
}

int SSL_CTX_use_PrivateKey_file(SSL_CTX* context, const char* file, int type) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_use_PrivateKey_file);
  return real(context, file, type);
}

int SSL_CTX_check_private_key(const SSL_CTX* context) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_check_private_key);
  return real(context);
}

SSL* SSL_new(SSL_CTX* context) {
  CIUTILS_LAZY_REAL(libssl, SSL_new);
  return real(context);
}

void SSL_free(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_free);
  real(ssl);
}

long SSL_ctrl(SSL* ssl, int command, long number, void* argument) {
  CIUTILS_LAZY_REAL(libssl, SSL_ctrl);
  return real(ssl, command, number, argument);
}

void SSL_set_bio(SSL* ssl, BIO* read_bio, BIO* write_bio) {
  CIUTILS_LAZY_REAL(libssl, SSL_set_bio);
  real(ssl, read_bio, write_bio);
}

void SSL_set_connect_state(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_set_connect_state);
  real(ssl);
}

int SSL_set1_host(SSL* ssl, const char* hostname) {
  CIUTILS_LAZY_REAL(libssl, SSL_set1_host);
  return real(ssl, hostname);
}

X509_VERIFY_PARAM* SSL_get0_param(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_get0_param);
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_connect);
  return real(ssl);
}

int SSL_read(SSL* ssl, void* buffer, int size) {
  CIUTILS_LAZY_REAL(libssl, SSL_read);
  return real(ssl, buffer, size);
}

int SSL_write(SSL* ssl, const void* buffer, int size) {
  CIUTILS_LAZY_REAL(libssl, SSL_write);
  return real(ssl, buffer, size);
}

int SSL_get_error(const SSL* ssl, int result) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_error);
  return real(ssl, result);
}

int SSL_is_init_finished(const SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_is_init_finished);
  return real(ssl);
}

BIO* SSL_get_rbio(const SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_rbio);
  return real(ssl);
}

BIO* SSL_get_wbio(const SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_wbio);
  return real(ssl);
}

long SSL_get_verify_result(const SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_verify_result);
  return real(ssl);
}

// The TLS server (lib/ciutils/http_server.cpp, through Asio's SSL stream).

const SSL_METHOD* TLS_method() {
  CIUTILS_LAZY_REAL(libssl, TLS_method);
  return real();
}

const SSL_METHOD* TLS_server_method() {
  CIUTILS_LAZY_REAL(libssl, TLS_server_method);
  return real();
}

uint64_t SSL_CTX_set_options(SSL_CTX* context, uint64_t options) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_set_options);
  return real(context, options);
}

void* SSL_CTX_get_ex_data(const SSL_CTX* context, int index) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_get_ex_data);
  return real(context, index);
}

int SSL_CTX_set_ex_data(SSL_CTX* context, int index, void* data) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_set_ex_data);
  return real(context, index, data);
}

void* SSL_CTX_get_default_passwd_cb_userdata(SSL_CTX* context) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_get_default_passwd_cb_userdata);
  return real(context);
}

void SSL_CTX_set_default_passwd_cb_userdata(SSL_CTX* context, void* data) {
  CIUTILS_LAZY_REAL(libssl, SSL_CTX_set_default_passwd_cb_userdata);
  real(context, data);
}

void* SSL_get_ex_data(const SSL* ssl, int index) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_ex_data);
  return real(ssl, index);
}

int SSL_set_ex_data(SSL* ssl, int index, void* data) {
  CIUTILS_LAZY_REAL(libssl, SSL_set_ex_data);
  return real(ssl, index, data);
}

int SSL_accept(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_accept);
  return real(ssl);
}

int SSL_shutdown(SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_shutdown);
  return real(ssl);
}

int SSL_get_shutdown(const SSL* ssl) {
  CIUTILS_LAZY_REAL(libssl, SSL_get_shutdown);
  return real(ssl);
}

}  // extern "C"
