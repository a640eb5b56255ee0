// The libcrypto functions ciutils calls (SHA-256 digests, HMAC-SHA256 signatures, and for TLS
// memory BIOs, the error queue and verification results), each loading libcrypto on first use
// (ciutils/lazy_library.h).
#include "ciutils/lazy_library.h"

#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace {
ciutils::LazyLibrary libcrypto{"libcrypto.so.3", "libssl3 (OpenSSL 3)"};
}  // namespace

extern "C" {

const EVP_MD* EVP_sha256() {
  CIUTILS_LAZY_REAL(libcrypto, EVP_sha256);
  return real();
}

EVP_MD_CTX* EVP_MD_CTX_new() {
  CIUTILS_LAZY_REAL(libcrypto, EVP_MD_CTX_new);
  return real();
}

void EVP_MD_CTX_free(EVP_MD_CTX* context) {
  CIUTILS_LAZY_REAL(libcrypto, EVP_MD_CTX_free);
  real(context);
}

int EVP_DigestInit_ex(EVP_MD_CTX* context, const EVP_MD* type, ENGINE* engine) {
  CIUTILS_LAZY_REAL(libcrypto, EVP_DigestInit_ex);
  return real(context, type, engine);
}

int EVP_DigestUpdate(EVP_MD_CTX* context, const void* data, size_t size) {
  CIUTILS_LAZY_REAL(libcrypto, EVP_DigestUpdate);
  return real(context, data, size);
}

int EVP_DigestFinal_ex(EVP_MD_CTX* context, unsigned char* digest, unsigned int* size) {
  CIUTILS_LAZY_REAL(libcrypto, EVP_DigestFinal_ex);
  return real(context, digest, size);
}

unsigned char* HMAC(const EVP_MD* type, const void* key, int key_size, const unsigned char* data, size_t size,
                    unsigned char* digest, unsigned int* digest_size) {
  CIUTILS_LAZY_REAL(libcrypto, HMAC);
  return real(type, key, key_size, data, size, digest, digest_size);
}

const BIO_METHOD* BIO_s_mem() {
  CIUTILS_LAZY_REAL(libcrypto, BIO_s_mem);
  return real();
}

BIO* BIO_new(const BIO_METHOD* type) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_new);
  return real(type);
}

int BIO_free(BIO* bio) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_free);
  return real(bio);
}

int BIO_read(BIO* bio, void* data, int size) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_read);
  return real(bio, data, size);
}

int BIO_write(BIO* bio, const void* data, int size) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_write);
  return real(bio, data, size);
}

size_t BIO_ctrl_pending(BIO* bio) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_ctrl_pending);
  return real(bio);
}

unsigned long ERR_get_error() {
  CIUTILS_LAZY_REAL(libcrypto, ERR_get_error);
  return real();
}

void ERR_clear_error() {
  CIUTILS_LAZY_REAL(libcrypto, ERR_clear_error);
  real();
}

const char* ERR_reason_error_string(unsigned long error) {
  CIUTILS_LAZY_REAL(libcrypto, ERR_reason_error_string);
  return real(error);
}

const char* X509_verify_cert_error_string(long result) {
  CIUTILS_LAZY_REAL(libcrypto, X509_verify_cert_error_string);
  return real(result);
}

int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM* parameters, const char* address) {
  CIUTILS_LAZY_REAL(libcrypto, X509_VERIFY_PARAM_set1_ip_asc);
  return real(parameters, address);
}

// Asio's SSL stream (the TLS server, lib/ciutils/http_server.cpp).

long BIO_ctrl(BIO* bio, int command, long number, void* argument) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_ctrl);
  return real(bio, command, number, argument);
}

int BIO_new_bio_pair(BIO** bio1, size_t size1, BIO** bio2, size_t size2) {
  CIUTILS_LAZY_REAL(libcrypto, BIO_new_bio_pair);
  return real(bio1, size1, bio2, size2);
}

const char* ERR_lib_error_string(unsigned long error) {
  CIUTILS_LAZY_REAL(libcrypto, ERR_lib_error_string);
  return real(error);
}

}  // extern "C"
