#include "backend/bbolt/sink.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace etcdpp::backend::bbolt {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    std::fprintf(stderr, "bbolt: cannot initialise SHA-256\n");  // out of memory only
    std::abort();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::array<uint8_t, 32> Sha256::Finish() {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_, out.data(), &n);
  return out;
}

}  // namespace etcdpp::backend::bbolt
