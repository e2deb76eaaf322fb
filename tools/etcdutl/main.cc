// etcdutl: offline operations on etcd snapshot files and etcdpp data dirs (etcd 3.5's etcdutl).
// Commands: backup, defrag, snapshot restore, snapshot status, version; cobra's behaviour comes
// from cobra.h. etcd's `check` (v2store) and 3.6's `migrate` and `hashkv` are refused by name.
// Commands fail as etcdutl's do: "Error: <err>" with cobrautl's exit codes.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/go_flags.h"
#include "common/version.h"
#include "tools/etcdutl/backup.h"
#include "tools/etcdutl/cobra.h"
#include "tools/etcdutl/defrag.h"
#include "tools/etcdutl/snapshot.h"

namespace etcdpp::tools {
namespace {

// The end of a command: its log lines on stderr, then OK or "Error: <message>" and exit 1.
int Finish(const absl::Status& st, const std::string& log) {
  std::cerr << log;
  return st.ok() ? 0 : Fail(kExitError, st.message());
}

// ---- The commands.

int Status(const FlagSet& fs, const std::vector<std::string>& args) {
  if (args.size() != 1) return Fail(kExitBadArgs, "snapshot status requires exactly one argument");
  absl::StatusOr<SnapshotStatus> s = ComputeSnapshotStatus(args[0]);
  if (!s.ok()) return Fail(kExitError, s.status().message());
  absl::StatusOr<std::string> out = FormatSnapshotStatus(*s, fs.GetString("write-out"));
  if (absl::IsUnimplemented(out.status())) return Fail(kExitBadFeature, out.status().message());
  if (!out.ok()) return Fail(kExitBadArgs, out.status().message());
  std::cout << *out;
  return 0;
}

int Restore(const FlagSet& fs, const std::vector<std::string>& args) {
  if (args.size() != 1) return Fail(kExitBadArgs, "snapshot restore requires exactly one argument");
  RestoreOptions o = RestoreOptionsFromFlags(fs, args[0]);
  std::string log;
  absl::Status st = RestoreSnapshot(o, &log);
  return Finish(st, log);
}

// etcd 3.5's defragCommandFunc: nothing on stdout when it succeeds, the backend's log lines on
// stderr.
int Defrag(const FlagSet& fs, const std::vector<std::string>&) {
  const std::string dir = fs.GetString("data-dir");
  std::string log;
  absl::Status st = DefragData(dir, &log);
  if (!st.ok()) {
    st = absl::Status(
        st.code(), absl::StrCat("Failed to defragment etcd data[", dir, "] (", st.message(), ")"));
  }
  return Finish(st, log);
}

int Backup(const FlagSet& fs, const std::vector<std::string>&) {
  BackupOptions o;
  o.data_dir = fs.GetString("data-dir");
  o.backup_dir = fs.GetString("backup-dir");
  o.wal_dir = fs.GetString("wal-dir");
  o.backup_wal_dir = fs.GetString("backup-wal-dir");
  o.with_v3 = fs.GetBool("with-v3");
  std::string log;
  absl::Status st = tools::Backup(o, &log);
  return Finish(st, log);
}

int Version(const FlagSet&, const std::vector<std::string>&) {
  std::cout << "etcdutl version: " << kApiVersion << "\nAPI version: " << kApiMinorVersion << "\n";
  return 0;
}

Command::Run Refuse(std::string what) {
  return [what](const FlagSet&, const std::vector<std::string>&) { return Fail(kExitError, what); };
}

std::unique_ptr<Command> SnapshotCommand() {
  auto snap = NewCommand("snapshot <subcommand>", "Manages etcd node snapshots", nullptr);
  Command* restore =
      snap->Add(NewCommand("restore <filename> --data-dir {output dir} [options]",
                           "Restores an etcd member snapshot to an etcd directory", Restore));
  restore->flags.AddString("data-dir", "", "Path to the output data directory");
  restore->flags.AddString("wal-dir", "",
                           "Path to the WAL directory (use --data-dir if none given)");
  restore->flags.AddString("initial-cluster", "default=http://localhost:2380",
                           "Initial cluster configuration for restore bootstrap");
  restore->flags.AddString("initial-cluster-token", "etcd-cluster",
                           "Initial cluster token for the etcd cluster during restore bootstrap");
  restore->flags.AddString(
      "initial-advertise-peer-urls", "http://localhost:2380",
      "List of this member's peer URLs to advertise to the rest of the cluster");
  restore->flags.AddString("name", "default", "Human-readable name for this member");
  restore->flags.AddBool("skip-hash-check", false,
                         "Ignore snapshot integrity hash value (required if copied from data "
                         "directory)");
  restore->required = {"data-dir"};
  Command* save = snap->Add(NewCommand(
      "save <filename>", "Stores an etcd node backend snapshot to a given file",
      [](const FlagSet&, const std::vector<std::string>&) {
        return Fail(kExitBadArgs, "In order to download snapshot use: `etcdctl snapshot save ...`");
      }));
  save->hidden = true;
  save->deprecated = "Use `etcdctl snapshot save` to download snapshot";
  snap->Add(
      NewCommand("status <filename>", "Gets backend snapshot status of a given file", Status));
  return snap;
}

std::unique_ptr<Command> RootCommand() {
  auto root = NewCommand("etcdutl", "An administrative command line tool for etcd3.", nullptr);
  root->flags.AddString("write-out", "simple",
                        "set the output format (fields, json, protobuf, simple, table)", "w");
  root->flags.AddBool("help", false, "help for etcdutl", "h");
  Command* backup =
      root->Add(NewCommand("backup", "[legacy] offline backup of etcd directory", Backup));
  backup->flags.AddString("data-dir", "", "Path to the etcd data dir");
  backup->flags.AddString("wal-dir", "", "Path to the etcd wal dir");
  backup->flags.AddString("backup-dir", "", "Path to the backup dir");
  backup->flags.AddString("backup-wal-dir", "", "Path to the backup wal dir");
  backup->flags.AddBool("with-v3", true, "Backup v3 backend data");
  backup->required = {"data-dir", "backup-dir"};
  Command* defrag = root->Add(NewCommand("defrag", "Defragments the storage of the etcd", Defrag));
  defrag->flags.AddString("data-dir", "",
                          "Required. Defragments a data directory not in use by etcd.");
  defrag->required = {"data-dir"};
  root->Add(SnapshotCommand());
  root->Add(NewCommand("version", "Prints the version of etcdutl", Version));
  root->Add(NewCommand("help [command]", "Help about any command", nullptr));
  for (const char* name : {"check", "migrate", "hashkv"}) {
    Command* c = root->Add(NewCommand(
        name, "", Refuse(absl::StrCat("etcdutl ", name, " is not built in etcdpp's etcdutl"))));
    c->hidden = true;
  }
  return root;
}

}  // namespace
}  // namespace etcdpp::tools

int main(int argc, char** argv) {
  std::unique_ptr<etcdpp::tools::Command> root = etcdpp::tools::RootCommand();
  return etcdpp::tools::Execute(*root, std::vector<std::string>(argv + 1, argv + argc));
}
