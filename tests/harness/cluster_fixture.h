#pragma once
// A gtest fixture for tests run on a 3-member cluster of each server flavour (the test's
// parameter: "etcdpp" or "etcd"). Header-only; include it from targets that link gtest.

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"

namespace etcdpp::testing {

class ClusterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ServerFlavor flavor = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
    auto c = Cluster::Start(flavor.binary, 3);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(*c);
  }
  void TearDown() override {
    if (cluster_ && HasFailure()) cluster_->KeepTempDirs();
  }

  std::unique_ptr<Cluster> cluster_;
};

}  // namespace etcdpp::testing
