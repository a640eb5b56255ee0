// The libcrypto functions ciutils calls (SHA-256 digests, HMAC-SHA256 signatures), each
// loading libcrypto on first use (ciutils/lazy_library.h).
#include "ciutils/lazy_library.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

}  // extern "C"
