#pragma once
// Where a bbolt file goes as it is written: a byte stream, written once, front to back.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace etcdpp::backend::bbolt {

class Sink {
 public:
  virtual ~Sink() = default;
  // Appends `data`. An error ends the write; the sink is not used again.
  [[nodiscard]] virtual absl::Status Write(std::string_view data) = 0;
};

// Hands the bytes to a function.
class FunctionSink : public Sink {
 public:
  explicit FunctionSink(absl::FunctionRef<absl::Status(std::string_view)> fn) : fn_(fn) {}
  absl::Status Write(std::string_view data) override { return fn_(data); }

 private:
  absl::FunctionRef<absl::Status(std::string_view)> fn_;
};

// Keeps the bytes (tests, small files).
class StringSink : public Sink {
 public:
  absl::Status Write(std::string_view data) override {
    out_.append(data);
    return absl::OkStatus();
  }
  const std::string& data() const { return out_; }
  std::string& mutable_data() { return out_; }

 private:
  std::string out_;
};

// SHA-256 of a byte stream (etcd's snapshot trailer is the SHA-256 of the bbolt file).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // The digest of everything updated so far; the hasher must not be used afterwards.
  std::array<uint8_t, 32> Finish();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace etcdpp::backend::bbolt
