// config_process_test: configuring members as operators do, with real processes.
//  - 3-member clusters whose settings come only from a YAML file each (--config-file) or only
//    from ETCD_* variables (an EnvironmentFile's form), on etcdpp and on the reference etcd:
//    both form a cluster that replicates a write.
//  - A flag etcdpp does not implement stops start-up with a message naming it.
//  - Every flag of etcd 3.4's `etcd --help` (read from the reference binary at test time) is
//    known to etcdpp, and either implemented or refused by name when given a value other than
//    what etcdpp does anyway: none is silently ignored.
//  - --wal-dir keeps the log apart; systemd's notify protocol (READY=1, STOPPING=1).
//  - Logs are zap's: every line a JSON object with etcd's keys (or zap's console lines with
//    --log-format=console), on each of --log-outputs; an unknown format is refused by name.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/grpc_util.h"
#include "server/config.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
constexpr std::chrono::milliseconds kRpcTimeout{5000};

void ExpectReplicates(Cluster& c) {
  auto kv0 = pb::KV::NewStub(NewChannel(c.member(0).Endpoint()));
  pb::PutRequest put;
  put.set_key("configured");
  put.set_value("yes");
  pb::PutResponse put_resp;
  grpc::Status st = kv0->Put(ContextWithDeadline(kRpcTimeout).get(), put, &put_resp);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  auto kv2 = pb::KV::NewStub(NewChannel(c.member(2).Endpoint()));
  pb::RangeRequest get;
  get.set_key("configured");
  pb::RangeResponse get_resp;
  st = kv2->Range(ContextWithDeadline(kRpcTimeout).get(), get, &get_resp);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  ASSERT_EQ(get_resp.kvs_size(), 1);
  EXPECT_EQ(get_resp.kvs(0).value(), "yes");
  auto cluster = pb::Cluster::NewStub(NewChannel(c.member(1).Endpoint()));
  pb::MemberListResponse ml;
  st = cluster->MemberList(ContextWithDeadline(kRpcTimeout).get(), pb::MemberListRequest{}, &ml);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(ml.members_size(), 3);
}

class ConfigSourceTest
    : public ::testing::TestWithParam<std::tuple<std::string, MemberConfig::Source>> {};

TEST_P(ConfigSourceTest, ThreeMembersFormACluster) {
  const auto& [flavor, source] = GetParam();
  const std::string why = WhyNotRunnable(FlavorByName(flavor));
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string binary = flavor == "etcd" ? ReferenceBinary() : BinaryUnderTest();
  auto c = Cluster::Start(binary, 3, {"--snapshot-count", "1000"}, absl::Seconds(30),
                          [source = source](ServerProcess* m) { m->set_source(source); });
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectReplicates(**c);
  if (flavor == "etcdpp" && source == MemberConfig::Source::kConfigFile) {
    int rc = 0;
    const std::string out = RunCommand(
        absl::StrCat("grep -c 'loaded server configuration from' ", (*c)->member(0).log_path()),
        &rc);
    EXPECT_EQ(out, "1\n");
  }
}

INSTANTIATE_TEST_SUITE_P(YamlAndEnvironment, ConfigSourceTest,
                         ::testing::Combine(::testing::Values("etcdpp", "etcd"),
                                            ::testing::Values(MemberConfig::Source::kConfigFile,
                                                              MemberConfig::Source::kEnvironment)),
                         [](const auto& info) {
                           return absl::StrCat(
                               std::get<0>(info.param),
                               std::get<1>(info.param) == MemberConfig::Source::kConfigFile
                                   ? "Yaml"
                                   : "Environment");
                         });

TEST(ConfigProcessTest, AnUnimplementedFlagStopsStartUpNamingIt) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  MemberConfig cfg;
  cfg.extra_flags = {"--experimental-enable-distributed-tracing"};
  auto m = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Launch().ok());
  for (int i = 0; i < 100 && (*m)->Running(); ++i) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_FALSE((*m)->Running());
  EXPECT_TRUE(absl::StrContains((*m)->LogTail(),
                                "--experimental-enable-distributed-tracing=true is not supported"))
      << (*m)->LogTail();
}

// Peer URLs on unix sockets (etcd's unix://host:port: the socket file "host:port" in the
// working directory, e2e TestEtcdUnixPeers): three members form a cluster over them, a write
// reaches every member, and a killed member rejoins. Client URLs stay TCP (unix ones are
// refused by name).
TEST(ConfigProcessTest, UnixSocketPeersFormACluster) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string tag = absl::StrCat("etcdpp-unix-", ::getpid());
  std::vector<std::string> urls, cluster;
  for (int i = 1; i <= 3; ++i) {
    urls.push_back(absl::StrCat("unix://", tag, "-m", i, ".sock:", i));
    cluster.push_back(absl::StrCat("m", i, "=", urls.back()));
  }
  std::vector<std::unique_ptr<ServerProcess>> ms;
  for (int i = 1; i <= 3; ++i) {
    MemberConfig cfg;
    cfg.name = absl::StrCat("m", i);
    cfg.initial_cluster = absl::StrJoin(cluster, ",");
    cfg.extra_flags = {"--listen-peer-urls=" + urls[i - 1],
                       "--initial-advertise-peer-urls=" + urls[i - 1]};
    auto m = ServerProcess::Create(BinaryUnderTest(), cfg);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE((*m)->Launch().ok());
    ms.push_back(std::move(*m));
  }
  for (auto& m : ms) ASSERT_TRUE(m->WaitReady(absl::Seconds(30)).ok()) << m->LogTail();
  int rc = 0;
  auto ctl = [&](ServerProcess* m, const std::string& args) {
    return RunCommand(absl::StrCat("ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=", m->Endpoint(),
                                   " ", args, " 2>&1"),
                      &rc);
  };
  std::string list = ctl(ms[0].get(), "member list");
  for (const std::string& u : urls) EXPECT_TRUE(absl::StrContains(list, u)) << list;
  EXPECT_EQ(ctl(ms[0].get(), "put over-unix yes"), "OK\n");
  EXPECT_EQ(ctl(ms[2].get(), "get over-unix --print-value-only"), "yes\n");
  ASSERT_TRUE(ms[1]->Kill().ok());
  // The killed member may have been the leader: the put waits for a new one (bounded retries).
  std::string put;
  for (int i = 0; i < 10 && put != "OK\n"; ++i) put = ctl(ms[0].get(), "put while-down yes");
  EXPECT_EQ(put, "OK\n");
  ASSERT_TRUE(ms[1]->Restart(absl::Seconds(30)).ok()) << ms[1]->LogTail();
  EXPECT_EQ(ctl(ms[1].get(), "get while-down --print-value-only --consistency=l"), "yes\n");
  for (auto& m : ms) EXPECT_TRUE(m->Kill().ok());
  for (int i = 1; i <= 3; ++i) std::remove(absl::StrCat(tag, "-m", i, ".sock:", i).c_str());
  // Unix sockets for clients, or unixs peers, are refused naming the flag.
  absl::StatusOr<server::Config> c =
      server::ParseConfig({"--listen-client-urls=unix://c.sock:1"}, {});
  EXPECT_TRUE(absl::StrContains(c.status().message(), "--listen-client-urls=unix://c.sock:1"))
      << c.status();
  c = server::ParseConfig({"--listen-peer-urls=unixs://p.sock:1"}, {});
  EXPECT_TRUE(absl::StrContains(c.status().message(), "unixs URLs are not supported"))
      << c.status();
}

// --wal-dir: the WAL lives there (not in member/wal), and a killed member restarts from it.
TEST(ConfigProcessTest, WalDirHoldsTheLog) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  char tmpl[] = "/tmp/etcdpp-waldir-XXXXXX";
  const std::string disk = mkdtemp(tmpl);
  const std::string wal_dir = disk + "/wal";
  MemberConfig cfg;
  cfg.extra_flags = {"--wal-dir", wal_dir};
  auto m = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Launch().ok());
  ASSERT_TRUE((*m)->WaitReady(absl::Seconds(20)).ok()) << (*m)->LogTail();
  auto kv = pb::KV::NewStub(NewChannel((*m)->Endpoint()));
  pb::PutRequest put;
  put.set_key("k");
  put.set_value("in the wal");
  pb::PutResponse put_resp;
  grpc::Status st = kv->Put(ContextWithDeadline(kRpcTimeout).get(), put, &put_resp);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  ASSERT_TRUE((*m)->Kill().ok());
  int rc = 0;
  EXPECT_NE(RunCommand(absl::StrCat("ls ", wal_dir, " | grep -c '\\.wal$'"), &rc), "0\n");
  EXPECT_NE(access(((*m)->data_dir() + "/member/wal").c_str(), F_OK), 0)
      << "no WAL in the data dir";
  ASSERT_TRUE((*m)->Restart(absl::Seconds(20)).ok()) << (*m)->LogTail();
  kv = pb::KV::NewStub(NewChannel((*m)->Endpoint()));
  pb::RangeRequest get;
  get.set_key("k");
  pb::RangeResponse get_resp;
  st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), get, &get_resp);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  ASSERT_EQ(get_resp.kvs_size(), 1);
  EXPECT_EQ(get_resp.kvs(0).value(), "in the wal");
  ASSERT_TRUE((*m)->Kill().ok());
  std::filesystem::remove_all(disk);
}

// Under a Type=notify unit: READY=1 once the member serves clients, STOPPING=1 on SIGTERM.
TEST(ConfigProcessTest, TellsSystemdWhenReadyAndWhenStopping) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string name = absl::StrCat("@etcdpp-notify-test-", getpid());
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())),
            0);
  auto receive = [fd](absl::Duration wait) {
    timeval tv{static_cast<time_t>(absl::ToInt64Seconds(wait)), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[128];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
  };
  MemberConfig cfg;
  cfg.extra_env = {absl::StrCat("NOTIFY_SOCKET=", name)};
  auto m = ServerProcess::Start(BinaryUnderTest(), cfg, absl::Seconds(20));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(receive(absl::Seconds(10)), "READY=1");
  ASSERT_TRUE((*m)->Stop().ok());
  EXPECT_EQ(receive(absl::Seconds(10)), "STOPPING=1");
  close(fd);
}

// The lines of `path`, without their newlines.
std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A member's whole log, from start to SIGTERM: every line one JSON object with zap's keys, the
// milestones among them, each with its caller.
TEST(ConfigProcessTest, LogsAreZapsJsonLines) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  auto m = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(20));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Stop().ok());
  const std::regex ts(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d{4}))");
  std::vector<std::string> msgs;
  for (const std::string& line : ReadLines((*m)->log_path())) {
    if (absl::StartsWith(line, "=== harness")) continue;  // the harness's own marks
    google::protobuf::Struct obj;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &obj).ok()) << line;
    const auto& f = obj.fields();
    ASSERT_TRUE(f.count("level") && f.count("ts") && f.count("msg")) << line;
    EXPECT_TRUE(std::regex_match(f.at("ts").string_value(), ts)) << line;
    const std::string& msg = f.at("msg").string_value();
    msgs.push_back(msg);
    if (msg == "ready to serve client requests" ||
        msg == "published local member to cluster through raft") {
      EXPECT_TRUE(absl::StrContains(f.at("caller").string_value(), "cluster_ops.cc:")) << line;
      EXPECT_EQ(f.at("level").string_value(), "info");
    }
    if (msg == "published local member to cluster through raft") {
      ASSERT_EQ(f.at("local-member-client-urls").list_value().values_size(), 1) << line;
      EXPECT_TRUE(
          absl::EndsWith(f.at("local-member-client-urls").list_value().values(0).string_value(),
                         (*m)->Endpoint().substr((*m)->Endpoint().rfind(':'))))
          << line;
    }
  }
  for (const char* want :
       {"starting an etcd server", "enabled capabilities for version",
        "published local member to cluster through raft", "ready to serve client requests"}) {
    EXPECT_NE(std::find(msgs.begin(), msgs.end(), want), msgs.end()) << want;
  }
}

// --log-format=console with two outputs: the file gets zap's console lines (tab-separated,
// fields as spaced JSON) and so does the process's stdout.
TEST(ConfigProcessTest, ConsoleLinesOnEveryOutput) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  char tmpl[] = "/tmp/etcdpp-logout-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string file = dir + "/etcd.log";
  MemberConfig cfg;
  cfg.extra_flags = {"--log-format", "console", "--log-outputs", absl::StrCat("stdout,", file)};
  auto m = ServerProcess::Start(BinaryUnderTest(), cfg, absl::Seconds(20));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Stop().ok());
  const std::regex console(
      R"(\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d{4})\t(debug|info|warn|error|fatal)\t[^\t]+\t[^\t]+(\t\{.*\})?)");
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_FALSE(lines.empty());
  bool published = false;
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, console)) << line;
    published |= absl::StrContains(line, "\tpublished local member to cluster through raft\t{\"");
  }
  EXPECT_TRUE(published);
  EXPECT_TRUE(absl::StrContains((*m)->LogTail(200), "\tready to serve client requests"));
  std::filesystem::remove_all(dir);
}

TEST(ConfigProcessTest, AnUnknownLogFormatIsRefusedByName) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  int rc = 0;
  std::string out = RunCommand(
      absl::StrCat(BinaryUnderTest(), " --log-format xml --data-dir /nonexistent 2>&1"), &rc);
  EXPECT_NE(rc, 0);
  EXPECT_TRUE(absl::StrContains(out, "unknown log format: xml, supported values json, console"))
      << out;
}

TEST(ConfigProcessTest, EveryFlagOfEtcdIsImplementedOrRefusedByName) {
  const std::string why = WhyNotRunnable(FlavorByName("etcd"));
  if (!why.empty()) GTEST_SKIP() << why;
  int rc = 0;
  const std::string help = RunCommand(absl::StrCat(ReferenceBinary(), " --help 2>&1"), &rc);
  const std::regex line(R"(^\s+--([a-z0-9-]+)(?: '([^']*)')?)");
  int flags = 0;
  int refused = 0;
  std::istringstream in(help);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    const std::string flag = m[1];
    const std::string def = m[2];
    if (flag == "help" || flag == "version" || flag == "config-file") continue;
    ++flags;
    // Known: etcd's default parses (a bare flag for booleans).
    const bool is_bool = def == "true" || def == "false";
    absl::StatusOr<server::Config> c =
        server::ParseConfig({absl::StrCat("--", flag, "=", def)}, {});
    EXPECT_FALSE(absl::StrContains(c.status().message(), "not defined")) << flag;
    if (server::IsImplementedFlag(flag)) continue;
    // Not implemented: a value other than what etcdpp does is refused, naming the flag (a
    // boolean: one of its two values).
    std::vector<std::string> values = {"x-other-value"};
    if (is_bool) values = {"true", "false"};
    bool any_refused = false;
    for (const std::string& v : values) {
      c = server::ParseConfig({absl::StrCat("--", flag, "=", v)}, {});
      if (c.ok()) continue;
      any_refused = true;
      EXPECT_TRUE(absl::StrContains(c.status().message(), absl::StrCat("--", flag))) << c.status();
    }
    if (any_refused) {
      ++refused;
    } else {
      // Only flags whose every value means the same to etcdpp, and the proxy/discovery ones.
      EXPECT_TRUE(absl::StartsWith(flag, "proxy-") || flag == "discovery-fallback" ||
                  absl::StrContains(flag, "lease-checkpoint-persist") ||
                  absl::StrContains(flag, "txn-mode-write"))
          << "--" << flag << " is accepted with any value but not implemented";
    }
  }
  EXPECT_GT(flags, 70) << "etcd 3.4 documents about 80 flags";
  EXPECT_GT(refused, 10);
}

// Outcome of launching etcdpp with the harness's flags plus `flag_arg`: "started" once ready,
// "stopped: <log tail>" when it exits first. Bounded by the ready timeout.
std::string LaunchWith(const std::string& flag_arg) {
  MemberConfig cfg;
  cfg.extra_flags = {flag_arg};
  auto m = ServerProcess::Create(BinaryUnderTest(), cfg);
  if (!m.ok()) return absl::StrCat("harness: ", m.status().ToString());
  if (!(*m)->Launch().ok()) return "harness: launch failed";
  if ((*m)->WaitReady(absl::Seconds(20)).ok()) {
    (void)(*m)->Kill();
    return "started";
  }
  for (int i = 0; i < 50 && (*m)->Running(); ++i) absl::SleepFor(absl::Milliseconds(100));
  std::string out = absl::StrCat((*m)->Running() ? "hung: " : "stopped: ", (*m)->LogTail(5));
  (void)(*m)->Kill();
  return out;
}

// The acceptance walk, with processes: every flag of etcd 3.4's `etcd --help`, given alone (on
// top of the harness's name, URLs and data dir) with etcd's default value, either starts a
// member or stops start-up naming the flag; each flag etcdpp does not implement, given a value
// that asks for something etcdpp does not do, stops start-up naming it. What each implemented
// flag does is tested where it is observable (tests/*_test.cc grep the flag's name).
TEST(ConfigProcessTest, EveryFlagOfEtcdStartsAMemberOrStopsNamingIt) {
  const std::string why = WhyNotRunnable(FlavorByName("etcd"));
  if (!why.empty()) GTEST_SKIP() << why;
  int rc = 0;
  const std::string help = RunCommand(absl::StrCat(ReferenceBinary(), " --help 2>&1"), &rc);
  const std::regex line(R"(^\s+--([a-z0-9-]+)(?: '([^']*)')?)");
  const std::set<std::string> harness_flags = {"help",
                                               "version",
                                               "config-file",
                                               "name",
                                               "data-dir",
                                               "listen-client-urls",
                                               "advertise-client-urls",
                                               "listen-peer-urls",
                                               "initial-advertise-peer-urls",
                                               "initial-cluster",
                                               "initial-cluster-state",
                                               "initial-cluster-token"};
  int started = 0, stopped = 0, refused = 0;
  std::istringstream in(help);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    const std::string flag = m[1];
    const std::string def = m[2];
    if (harness_flags.count(flag) > 0) continue;
    const std::string outcome = LaunchWith(absl::StrCat("--", flag, "=", def));
    if (outcome == "started") {
      ++started;
    } else {
      ++stopped;
      EXPECT_TRUE(absl::StartsWith(outcome, "stopped: ") &&
                  absl::StrContains(outcome, absl::StrCat("--", flag)))
          << "--" << flag << "=" << def << ": " << outcome;
    }
    if (server::IsImplementedFlag(flag)) continue;
    const bool is_bool = def == "true" || def == "false";
    const std::string other = is_bool ? (def == "true" ? "false" : "true") : "x-other-value";
    if (server::ParseConfig({absl::StrCat("--", flag, "=", other)}, {}).ok()) continue;
    const std::string refusal = LaunchWith(absl::StrCat("--", flag, "=", other));
    ++refused;
    EXPECT_TRUE(absl::StartsWith(refusal, "stopped: ") &&
                absl::StrContains(refusal, absl::StrCat("--", flag)))
        << "--" << flag << "=" << other << ": " << refusal;
  }
  std::cout << started << " flags started a member with etcd's default, " << stopped
            << " stopped start-up naming the flag, " << refused
            << " unimplemented flags refused a value etcdpp does not honour\n";
  EXPECT_GT(started + stopped, 60);
  EXPECT_GT(refused, 10);
}

// etcd's modes: the data dir and the directories under it 0700, the files 0600; a data dir
// others may read is warned about with etcd's message, and the member starts anyway.
TEST(ConfigProcessTest, DataDirIsPrivate) {
  const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (!why.empty()) GTEST_SKIP() << why;
  auto m = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(20));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Stop().ok());
  int files = 0;
  auto perm = [](const std::filesystem::path& p) {
    return std::filesystem::status(p).permissions() & std::filesystem::perms::all;
  };
  EXPECT_EQ(perm((*m)->data_dir()), std::filesystem::perms::owner_all);
  for (const auto& e : std::filesystem::recursive_directory_iterator((*m)->data_dir())) {
    if (e.is_directory()) {
      EXPECT_EQ(perm(e.path()), std::filesystem::perms::owner_all) << e.path();
    } else if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(perm(e.path()),
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
          << e.path();
    }
  }
  EXPECT_GT(files, 1);
  std::filesystem::permissions((*m)->data_dir(), std::filesystem::perms::owner_all |
                                                     std::filesystem::perms::group_read |
                                                     std::filesystem::perms::group_exec |
                                                     std::filesystem::perms::others_read |
                                                     std::filesystem::perms::others_exec);
  ASSERT_TRUE((*m)->Restart(absl::Seconds(20)).ok()) << (*m)->LogTail();
  EXPECT_TRUE(absl::StrContains(
      (*m)->LogTail(200),
      "exist, but the permission is \\\"drwxr-xr-x\\\". The recommended permission is "
      "\\\"-rwx------\\\" to prevent possible unprivileged access to the data"))
      << (*m)->LogTail();
  ASSERT_TRUE((*m)->Kill().ok());
}

}  // namespace
}  // namespace etcdpp::testing
