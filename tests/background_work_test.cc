// background_work_test: requests whose answer waits off the request path (a physical
// compaction, a leader transfer) do not grow the server. On ec3f637 each started a thread that
// nobody joined until shutdown: finished threads leave their stacks mapped without showing as
// threads, so 150 physical compactions added 300 memory mappings and 1.2 GiB of address space,
// and a client repeating them ran the process into the kernel's map count limit. The test sends
// 10,000 of each and reads the server's VmSize and the line count of /proc/PID/maps.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

constexpr int kRequests = 10000;
constexpr milliseconds kRpc{10000};

struct Footprint {
  int64_t vm_kib = 0;
  int64_t maps = 0;
};

Footprint Measure(pid_t pid) {
  Footprint f;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmSize:", 0) == 0) {
      std::istringstream in(line.substr(7));
      in >> f.vm_kib;
    }
  }
  std::ifstream maps(absl::StrCat("/proc/", pid, "/maps"));
  for (std::string line; std::getline(maps, line);) ++f.maps;
  return f;
}

class BackgroundWorkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!WhyNotRunnable(FlavorByName("etcdpp")).empty()) GTEST_SKIP() << "no etcdpp binary";
    MemberConfig cfg;
    cfg.name = "s1";
    auto p = ServerProcess::Start(BinaryUnderTest(), cfg, absl::Seconds(30));
    ASSERT_TRUE(p.ok()) << p.status();
    p_ = *std::move(p);
    channel_ = NewChannel(p_->Endpoint());
  }

  // `n` physical compactions, each of the revision a put just made.
  void Compactions(int n) {
    auto kv = pb::KV::NewStub(channel_);
    for (int i = 0; i < n; ++i) {
      pb::PutRequest put;
      put.set_key("k");
      put.set_value(std::to_string(i));
      pb::PutResponse put_resp;
      grpc::Status st = kv->Put(ContextWithDeadline(kRpc).get(), put, &put_resp);
      ASSERT_TRUE(st.ok()) << StatusString(st);
      pb::CompactionRequest req;
      req.set_revision(put_resp.header().revision());
      req.set_physical(true);
      pb::CompactionResponse resp;
      st = kv->Compact(ContextWithDeadline(kRpc).get(), req, &resp);
      ASSERT_TRUE(st.ok()) << i << ": " << StatusString(st);
    }
  }
  // `n` leader transfers to the leader itself (answered once it leads: at once).
  void MovesToSelf(int n) {
    auto maint = pb::Maintenance::NewStub(channel_);
    pb::StatusResponse status;
    ASSERT_TRUE(maint->Status(ContextWithDeadline(kRpc).get(), {}, &status).ok());
    for (int i = 0; i < n; ++i) {
      pb::MoveLeaderRequest req;
      req.set_targetid(status.header().member_id());
      pb::MoveLeaderResponse resp;
      grpc::Status st = maint->MoveLeader(ContextWithDeadline(kRpc).get(), req, &resp);
      ASSERT_TRUE(st.ok()) << i << ": " << StatusString(st);
    }
  }
  void ExpectFlat(const Footprint& before, const Footprint& after, const char* what) {
    std::printf("%s x %d: VmSize %lld -> %lld KiB, mappings %lld -> %lld\n", what, kRequests,
                static_cast<long long>(before.vm_kib), static_cast<long long>(after.vm_kib),
                static_cast<long long>(before.maps), static_cast<long long>(after.maps));
    // Each leaked thread costs 8 MiB of address space and two mappings: 10,000 of them would be
    // 80 GiB and 20,000 mappings. Allocator growth stays far below these bounds.
    EXPECT_LT(after.vm_kib - before.vm_kib, 256 * 1024)
        << what << ": VmSize " << before.vm_kib << " -> " << after.vm_kib << " KiB";
    EXPECT_LT(after.maps - before.maps, 200)
        << what << ": mappings " << before.maps << " -> " << after.maps;
  }

  std::unique_ptr<ServerProcess> p_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(BackgroundWorkTest, PhysicalCompactionsLeaveTheServerFlat) {
  Compactions(100);  // warm up: allocator arenas, gRPC threads
  Footprint before = Measure(p_->pid());
  Compactions(kRequests);
  Footprint after = Measure(p_->pid());
  ExpectFlat(before, after, "compact --physical");
  if (HasFailure()) p_->set_keep_temp_dir(true);
}

TEST_F(BackgroundWorkTest, LeaderTransfersLeaveTheServerFlat) {
  MovesToSelf(100);
  Footprint before = Measure(p_->pid());
  MovesToSelf(kRequests);
  Footprint after = Measure(p_->pid());
  ExpectFlat(before, after, "move-leader");
  if (HasFailure()) p_->set_keep_temp_dir(true);
}

}  // namespace
}  // namespace etcdpp::testing
