// The root command and its persistent (global) flags (ctlv3/ctl.go).

#include "commands.h"

namespace etcdpp::etcdctl {

void AddGlobalFlags(Command& root) {
  FlagSet& f = root.flags;
  f.AddStringSlice("endpoints", {"127.0.0.1:2379"}, "gRPC endpoints");
  f.AddBool("debug", false, "enable client-side debug logging");
  f.AddString("write-out", "simple",
              "set the output format (fields, json, protobuf, simple, table)", "w");
  f.AddBool("hex", false, "print byte strings as hex encoded strings");
  f.Add("dial-timeout", "", FlagType::kDuration, "2s", "dial timeout for client connections");
  f.Add("command-timeout", "", FlagType::kDuration, "5s",
        "timeout for short running command (excluding dial timeout)");
  f.Add("keepalive-time", "", FlagType::kDuration, "2s", "keepalive time for client connections");
  f.Add("keepalive-timeout", "", FlagType::kDuration, "6s",
        "keepalive timeout for client connections");
  f.AddBool("insecure-transport", true, "disable transport security for client connections");
  f.AddBool("insecure-discovery", true, "accept insecure SRV records describing cluster endpoints");
  f.AddBool("insecure-skip-tls-verify", false,
            "skip server certificate verification (CAUTION: this option should be enabled only for "
            "testing purposes)");
  f.AddString("cert", "", "identify secure client using this TLS certificate file");
  f.AddString("key", "", "identify secure client using this TLS key file");
  f.AddString("cacert", "",
              "verify certificates of TLS-enabled secure servers using this CA bundle");
  f.AddString("user", "",
              "username[:password] for authentication (prompt if password is not supplied)");
  f.AddString(
      "password", "",
      "password for authentication (if this option is used, --user option shouldn't include "
      "password)");
  f.AddString("discovery-srv", "",
              "domain name to query for SRV records describing cluster endpoints", "d");
  f.AddString("discovery-srv-name", "", "service name to query when using DNS discovery");
}

std::unique_ptr<Command> NewRootCommand() {
  auto root = NewCommand("etcdctl", "A simple command line client for etcd3.", nullptr);
  AddGlobalFlags(*root);
  AddKvCommands(*root);
  AddLeaseCommands(*root);
  AddClusterCommands(*root);
  AddMaintenanceCommands(*root);
  AddWatchCommand(*root);
  AddAuthCommands(*root);
  AddConcurrencyCommands(*root);
  AddCompletionCommand(*root);
  AddMakeMirrorCommand(*root);
  return root;
}

}  // namespace etcdpp::etcdctl
