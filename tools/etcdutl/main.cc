// etcdutl: offline operations on etcd snapshot files and etcdpp data dirs (etcd 3.5's etcdutl).
// Commands: snapshot status, snapshot restore, version. Others of etcd's etcdutl (defrag,
// backup, migrate) are refused by name until they exist. Errors print "Error: ..." on stderr with
// etcdctl's exit codes (1 error, 128 bad arguments).

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "tools/etcdutl/backup.h"
#include "tools/etcdutl/defrag.h"
#include "tools/etcdutl/snapshot.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitBadFeature = 4;
constexpr int kExitBadArgs = 128;

constexpr char kUsage[] =
    "NAME:\n"
    "\tetcdutl - An administrative command line tool for etcd3.\n"
    "\n"
    "USAGE:\n"
    "\tetcdutl [flags]\n"
    "\n"
    "COMMANDS:\n"
    "\thelp\t\tHelp about any command\n"
    "\tsnapshot restore\tRestores an etcd member snapshot to an etcd directory\n"
    "\tsnapshot status\t\tGets backend snapshot status of a given file\n"
    "\tversion\t\t\tPrints the version of etcdutl\n"
    "\n"
    "OPTIONS:\n"
    "  -h, --help\t\t\thelp for etcdutl\n"
    "  -w, --write-out=\"simple\"\tset the output format (fields, json, protobuf, simple, table)\n";

constexpr char kDefragUsage[] =
    "Usage:\n"
    "  etcdutl defrag [flags]\n"
    "\n"
    "Flags:\n"
    "      --data-dir string   Required. Defragments a data directory not in use by etcd.\n"
    "  -h, --help              help for defrag\n"
    "\n"
    "Global Flags:\n"
    "  -w, --write-out string   set the output format (fields, json, protobuf, simple, table) "
    "(default \"simple\")\n";

constexpr char kBackupUsage[] =
    "Usage:\n"
    "  etcdutl backup [flags]\n"
    "\n"
    "Flags:\n"
    "      --backup-dir string       Path to the backup dir\n"
    "      --backup-wal-dir string   Path to the backup wal dir\n"
    "      --data-dir string         Path to the etcd data dir\n"
    "  -h, --help                    help for backup\n"
    "      --wal-dir string          Path to the etcd wal dir\n"
    "      --with-v3                 Backup v3 backend data (default true)\n"
    "\n"
    "Global Flags:\n"
    "  -w, --write-out string   set the output format (fields, json, protobuf, simple, table) "
    "(default \"simple\")\n";

int Fail(int code, const std::string& msg) {
  std::cerr << "Error: " << msg << "\n";
  return code;
}

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // name without dashes -> value
};

// Splits "--flag=value", "--flag value", "-w value"; boolean flags take no separate value.
bool Parse(int argc, char** argv, Args* out, std::string* err) {
  static const std::map<std::string, bool> kKnown = {{"write-out", false},
                                                     {"w", false},
                                                     {"help", true},
                                                     {"h", true},
                                                     {"data-dir", false},
                                                     {"name", false},
                                                     {"initial-cluster", false},
                                                     {"initial-cluster-token", false},
                                                     {"initial-advertise-peer-urls", false},
                                                     {"skip-hash-check", true},
                                                     {"wal-dir", false},
                                                     {"backup-dir", false},
                                                     {"backup-wal-dir", false},
                                                     {"with-v3", true}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = kKnown.find(name);
    if (it == kKnown.end()) {
      *err = a[1] == '-' ? absl::StrCat("unknown flag: --", name)
                         : absl::StrCat("unknown shorthand flag: '", name, "' in ", a);
      return false;
    }
    if (name == "w") name = "write-out";
    if (name == "h") name = "help";
    if (it->second) {
      out->flags[name] = has_value ? value : "true";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *err = absl::StrCat("flag needs an argument: ", a);
        return false;
      }
      value = argv[++i];
    }
    out->flags[name] = value;
  }
  return true;
}

bool ParseBool(const std::string& s, bool* v) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return (*v = true), true;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return (*v = false), true;
  }
  return false;
}

int Status(const Args& args) {
  if (args.positional.size() != 3) {
    return Fail(kExitBadArgs, "snapshot status requires exactly one argument");
  }
  auto fmt = args.flags.find("write-out");
  const std::string format = fmt == args.flags.end() ? "simple" : fmt->second;
  absl::StatusOr<etcdpp::tools::SnapshotStatus> s =
      etcdpp::tools::ComputeSnapshotStatus(args.positional[2]);
  if (!s.ok()) return Fail(kExitError, std::string(s.status().message()));
  absl::StatusOr<std::string> out = etcdpp::tools::FormatSnapshotStatus(*s, format);
  if (absl::IsUnimplemented(out.status())) {
    return Fail(kExitBadFeature, std::string(out.status().message()));
  }
  if (!out.ok()) return Fail(kExitBadArgs, std::string(out.status().message()));
  std::cout << *out;
  return 0;
}

int Restore(const Args& args) {
  if (args.positional.size() != 3) {
    return Fail(kExitBadArgs, "snapshot restore requires exactly one argument");
  }
  if (args.flags.count("wal-dir") != 0) {
    return Fail(kExitBadArgs,
                "--wal-dir is not supported by etcdpp yet: the WAL lives in <data-dir>/member/wal");
  }
  etcdpp::tools::RestoreOptions o;
  o.snapshot_path = args.positional[2];
  auto get = [&](const char* name, std::string* into) {
    auto it = args.flags.find(name);
    if (it != args.flags.end()) *into = it->second;
  };
  get("name", &o.name);
  get("data-dir", &o.data_dir);
  get("initial-cluster", &o.initial_cluster);
  get("initial-cluster-token", &o.initial_cluster_token);
  get("initial-advertise-peer-urls", &o.initial_advertise_peer_urls);
  if (auto it = args.flags.find("skip-hash-check"); it != args.flags.end()) {
    if (!ParseBool(it->second, &o.skip_hash_check)) {
      return Fail(kExitBadArgs,
                  absl::StrCat("invalid argument \"", it->second,
                               "\" for \"--skip-hash-check\" flag: strconv.ParseBool: "
                               "parsing \"",
                               it->second, "\": invalid syntax"));
    }
  }
  std::string log;
  absl::Status st = etcdpp::tools::RestoreSnapshot(o, &log);
  std::cerr << log;
  if (!st.ok()) return Fail(kExitError, std::string(st.message()));
  return 0;
}

// etcd 3.5's defragCommandFunc: nothing on stdout when it succeeds, the backend's log lines on
// stderr, "Failed to defragment etcd data[<dir>] (<error>)" and exit 1 when it fails.
int Defrag(const Args& args) {
  auto it = args.flags.find("data-dir");
  if (it == args.flags.end()) {
    std::cerr << "Error: required flag(s) \"data-dir\" not set\n" << kDefragUsage << "\n";
    return Fail(kExitError, "required flag(s) \"data-dir\" not set");
  }
  std::string log;
  absl::Status st = etcdpp::tools::DefragData(it->second, &log);
  std::cerr << log;
  if (!st.ok()) {
    return Fail(kExitError, absl::StrCat("Failed to defragment etcd data[", it->second, "] (",
                                         st.message(), ")"));
  }
  return 0;
}

// etcd 3.5's doBackup: "Error: <error>" and exit 1 when it fails.
int Backup(const Args& args) {
  etcdpp::tools::BackupOptions o;
  auto get = [&](const char* name, std::string* into) {
    auto it = args.flags.find(name);
    if (it == args.flags.end()) return false;
    *into = it->second;
    return true;
  };
  const bool has_backup = get("backup-dir", &o.backup_dir);
  const bool has_data = get("data-dir", &o.data_dir);
  if (!has_backup || !has_data) {
    const std::string missing = has_backup ? "\"data-dir\""
                                : has_data ? "\"backup-dir\""
                                           : "\"backup-dir\", \"data-dir\"";
    const std::string msg = absl::StrCat("required flag(s) ", missing, " not set");
    std::cerr << "Error: " << msg << "\n" << kBackupUsage << "\n";
    return Fail(kExitError, msg);
  }
  get("wal-dir", &o.wal_dir);
  get("backup-wal-dir", &o.backup_wal_dir);
  if (auto it = args.flags.find("with-v3"); it != args.flags.end()) {
    if (!ParseBool(it->second, &o.with_v3)) {
      return Fail(kExitError, absl::StrCat("invalid argument \"", it->second,
                                           "\" for \"--with-v3\" flag: strconv.ParseBool: "
                                           "parsing \"",
                                           it->second, "\": invalid syntax"));
    }
  }
  std::string log;
  absl::Status st = etcdpp::tools::Backup(o, &log);
  std::cerr << log;
  if (!st.ok()) return Fail(kExitError, std::string(st.message()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string err;
  if (!Parse(argc, argv, &args, &err)) {
    std::cerr << "Error: " << err << "\n";
    return kExitError;
  }
  const std::vector<std::string>& p = args.positional;
  if (args.flags.count("help") != 0 || p.empty() || p[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (p[0] == "version") {
    std::cout << "etcdutl version: " << etcdpp::kApiVersion
              << "\nAPI version: " << etcdpp::kApiMinorVersion
              << "\netcdpp version: " << etcdpp::kEtcdppVersion << "\n";
    return 0;
  }
  if (p[0] == "defrag") return Defrag(args);
  if (p[0] == "backup") return Backup(args);
  if (p[0] == "snapshot") {
    if (p.size() >= 2 && p[1] == "status") return Status(args);
    if (p.size() >= 2 && p[1] == "restore") return Restore(args);
    if (p.size() >= 2 && p[1] == "save") {
      return Fail(kExitError,
                  "etcdutl snapshot save is not a command (as in etcd 3.5): use etcdctl snapshot "
                  "save against a running member");
    }
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "Error: unknown command \"" << p[0] << "\" for \"etcdutl\"\n"
            << "Run 'etcdutl --help' for usage.\n";
  return kExitError;
}
