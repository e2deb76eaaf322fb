#pragma once
// Helpers of the bbolt tests: an in-memory model of a database (bucket -> sorted keys), written
// with WriteDatabase, and temporary files.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "backend/bbolt/writer.h"
#include "gtest/gtest.h"

namespace etcdpp::backend::bbolt::testing {

using Model = std::map<std::string, std::map<std::string, std::string>>;

inline absl::StatusOr<std::string> WriteModel(const Model& model, WriteResult* result = nullptr) {
  StringSink sink;
  absl::StatusOr<WriteResult> r = WriteDatabase(&sink, [&](Writer& w) -> absl::Status {
    for (const auto& [bucket, kvs] : model) {
      if (absl::Status st = w.BeginBucket(bucket); !st.ok()) return st;
      for (const auto& [k, v] : kvs) {
        if (absl::Status st = w.Put(k, v); !st.ok()) return st;
      }
      if (absl::Status st = w.EndBucket(); !st.ok()) return st;
    }
    return absl::OkStatus();
  });
  if (!r.ok()) return r.status();
  if (result != nullptr) *result = *r;
  return sink.data();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/bbolt_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name, const std::string& contents) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << contents;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace etcdpp::backend::bbolt::testing
