// Incremental SHA-256 over OpenSSL's EVP interface.
#pragma once

#include <memory>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ciutils {

class Sha256 {
public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lower-case hex digest; the hasher starts over afterwards.
  std::string hex_digest();
  void reset();

private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, Free> m_ctx;
};

std::string sha256_hex(std::string_view data);

// Whether text is 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace ciutils
