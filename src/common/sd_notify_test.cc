// SdNotify against a datagram socket made by the test, at a path and as an abstract name.

#include "common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace etcdpp {
namespace {

class SdNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }
  // Binds a datagram socket at `name` ('@' first: abstract) and points NOTIFY_SOCKET at it.
  void Listen(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
      addr.sun_path[0] = '\0';
    else
      path_ = name;
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())),
              0)
        << std::strerror(errno);
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  std::string Receive() {
    char buf[256];
    const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }
  int fd_ = -1;
  std::string path_;
};

TEST_F(SdNotifyTest, NothingWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(SdNotify("READY=1").ok());
}

TEST_F(SdNotifyTest, SendsToAPathSocket) {
  Listen(::testing::TempDir() + "/sd_notify_test." + std::to_string(getpid()));
  ASSERT_TRUE(SdNotify("READY=1").ok());
  EXPECT_EQ(Receive(), "READY=1");
  ASSERT_TRUE(SdNotify("STOPPING=1").ok());
  EXPECT_EQ(Receive(), "STOPPING=1");
}

TEST_F(SdNotifyTest, SendsToAnAbstractSocket) {
  Listen("@etcdpp-sd-notify-test-" + std::to_string(getpid()));
  ASSERT_TRUE(SdNotify("READY=1").ok());
  EXPECT_EQ(Receive(), "READY=1");
}

TEST_F(SdNotifyTest, AnUnreachableSocketIsAnErrorNamingIt) {
  setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
  absl::Status st = SdNotify("READY=1");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/notify"), absl::string_view::npos) << st;
  setenv("NOTIFY_SOCKET", "relative", 1);
  EXPECT_FALSE(SdNotify("READY=1").ok());
}

}  // namespace
}  // namespace etcdpp
