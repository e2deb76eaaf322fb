#include "common/error_id.h"

#include "absl/status/status.h"
#include "common/status.h"
#include "gtest/gtest.h"

namespace etcdpp {
namespace {

[[nodiscard]] absl::Status Fails() {
  return WithErrorId(absl::NotFoundError("lease not found"), "lease:not-found");
}

[[nodiscard]] absl::Status Wraps() {
  RETURN_NOT_OK_PREPEND(Fails(), "renewing lease 7");
  return absl::OkStatus();
}

TEST(ErrorId, IdentifiesAnErrorWhateverItsMessage) {
  absl::Status st = Fails();
  EXPECT_TRUE(HasErrorId(st, "lease:not-found"));
  EXPECT_EQ(ErrorIdOf(st), "lease:not-found");
  // Same code and text, no id: not the same error.
  EXPECT_FALSE(HasErrorId(absl::NotFoundError("lease not found"), "lease:not-found"));
  EXPECT_EQ(ErrorIdOf(absl::NotFoundError("lease not found")), std::nullopt);
}

TEST(ErrorId, PrependingKeepsCodeAndId) {
  absl::Status st = Wraps();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "renewing lease 7: lease not found");
  EXPECT_TRUE(HasErrorId(st, "lease:not-found"));
}

TEST(ErrorId, ModulePrefixMatchesWholeModuleNamesOnly) {
  absl::Status st = WithErrorId(absl::UnavailableError("no leader"), "server:no-leader");
  EXPECT_TRUE(HasErrorIdOf(st, "server"));
  EXPECT_FALSE(HasErrorIdOf(st, "serve"));
  EXPECT_FALSE(HasErrorIdOf(st, "raft"));
  EXPECT_FALSE(HasErrorIdOf(absl::UnavailableError("server: no leader"), "server"));
}

TEST(ErrorId, ReplacesAnEarlierIdAndLeavesOkAlone) {
  absl::Status st = WithErrorId(WithErrorId(absl::InternalError("x"), "a:one"), "b:two");
  EXPECT_EQ(ErrorIdOf(st), "b:two");
  absl::Status ok = WithErrorId(absl::OkStatus(), "a:one");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ErrorIdOf(ok), std::nullopt);
  EXPECT_TRUE(PrependMessage(ok, "ctx").ok());
}

}  // namespace
}  // namespace etcdpp
