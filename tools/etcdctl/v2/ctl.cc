#include "v2/ctl.h"

#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "v2/cli.h"
#include "v2/ctl_shared.h"

namespace etcdpp::etcdctl::v2 {
namespace {

// --- the commands this etcdctl does not build ---------------------------------------------------

Action Refused(std::string what) {
  return [what](Context&) {
    return Fail(kExitBadFeature,
                absl::StrCat("the v2 command `", what,
                             "` is not supported by this etcdctl; use ETCDCTL_API=3"));
  };
}

CliApp MakeApp() {
  CliApp app;
  app.name = "etcdctl";
  app.usage = "A simple command line client for etcd.";
  app.version = std::string(kCtlVersion);
  app.print_version = [] {
    std::cout << "etcdctl version: " << kCtlVersion << "\nAPI version: 2\n";
  };
  app.flags = {
      {"debug", FlagKind::kBool, "",
       "output cURL commands which can be used to reproduce the request"},
      {"no-sync", FlagKind::kBool, "",
       "don't synchronize cluster information before sending request"},
      {"output, o", FlagKind::kString, "simple",
       "output response in the given format (`simple`, `extended` or `json`)"},
      {"discovery-srv, D", FlagKind::kString, "",
       "domain name to query for SRV records describing cluster endpoints"},
      {"insecure-discovery", FlagKind::kBool, "",
       "accept insecure SRV records describing cluster endpoints"},
      {"peers, C", FlagKind::kString, "", "DEPRECATED - \"--endpoints\" should be used instead"},
      {"endpoint", FlagKind::kString, "", "DEPRECATED - \"--endpoints\" should be used instead"},
      {"endpoints", FlagKind::kString, "",
       "a comma-delimited list of machine addresses in the cluster (default: "
       "\"http://127.0.0.1:2379,http://127.0.0.1:4001\")"},
      {"cert-file", FlagKind::kString, "", "identify HTTPS client using this SSL certificate file"},
      {"key-file", FlagKind::kString, "", "identify HTTPS client using this SSL key file"},
      {"ca-file", FlagKind::kString, "",
       "verify certificates of HTTPS-enabled servers using this CA bundle"},
      {"username, u", FlagKind::kString, "",
       "provide username[:password] and prompt if password is not supplied."},
      {"timeout", FlagKind::kDuration, "2s", "connection timeout per request"},
      {"total-timeout", FlagKind::kDuration, "5s",
       "timeout for the command execution (except watch)"},
  };
  std::vector<CliCommand>& cmds = app.commands;
  cmds.push_back({"backup",
                  "backup an etcd directory",
                  " ",
                  "",
                  {{"data-dir", FlagKind::kString, "", "Path to the etcd data dir"},
                   {"wal-dir", FlagKind::kString, "", "Path to the etcd wal dir"},
                   {"backup-dir", FlagKind::kString, "", "Path to the backup dir"},
                   {"backup-wal-dir", FlagKind::kString, "", "Path to the backup wal dir"},
                   {"with-v3", FlagKind::kBool, "", "Backup v3 backend data"}},
                  Refused("backup"),
                  {}});
  cmds.push_back(ClusterHealthCommand());
  for (CliCommand& cmd : KeyCommands()) cmds.push_back(std::move(cmd));
  cmds.push_back(MemberCommand());
  for (CliCommand& cmd : AuthCommands()) cmds.push_back(std::move(cmd));
  return app;
}

}  // namespace

int RunCtlV2(const std::vector<std::string>& args) {
  CliApp app = MakeApp();
  int code;
  try {
    code = RunApp(app, args);
  } catch (const ExitNow& e) {
    code = e.code;
  }
  std::cout.flush();
  std::cerr.flush();
  return code;
}

}  // namespace etcdpp::etcdctl::v2
