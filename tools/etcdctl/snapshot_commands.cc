// snapshot status <file> and snapshot restore <file> (etcdctl 3.4's offline forms): both run
// etcdutl's code (tools/etcdutl/snapshot.h) and print what etcdctl 3.4 prints, after etcd
// 3.5's deprecation notice on stderr ("Deprecated: Use `etcdutl snapshot ...` instead.").
// snapshot save, which talks to a member, is in maintenance_commands.cc.

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "output.h"
#include "tools/etcdutl/snapshot.h"

namespace etcdpp::etcdctl {
namespace {

// etcd 3.5's etcdctl prints this before handing the command to etcdutl's code.
void PrintDeprecated(absl::string_view what) {
  std::cerr << "Deprecated: Use `etcdutl snapshot " << what << "` instead.\n\n";
}

// Go's text for an errno (syscall.Errno.Error(): strerror with a lower-case first letter).
std::string GoErrnoText(int e) {
  std::string t = std::strerror(e);
  if (!t.empty()) t[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])));
  return t;
}

// etcd's snapshot Status: os.Stat first ("stat <path>: ..."), then bolt.Open, whose error for
// a file that is not a bbolt database is "invalid database".
absl::StatusOr<tools::SnapshotStatus> StatusOf(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("stat ", path, ": ", GoErrnoText(errno)));
  }
  absl::StatusOr<tools::SnapshotStatus> s = tools::ComputeSnapshotStatus(path);
  if (absl::IsInvalidArgument(s.status())) return absl::InvalidArgumentError("invalid database");
  return s;
}

int RunStatus(Invocation& inv) {
  PrintDeprecated("status");
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "snapshot status requires exactly one argument");
  Output out;
  CtlError err;
  if (!OutputFromFlags(*inv.flags, &out, &err)) return Fail(err.code, err.message);
  absl::StatusOr<tools::SnapshotStatus> s = StatusOf(inv.args[0]);
  if (!s.ok()) return Fail(kExitError, s.status().message());
  absl::StatusOr<std::string> text =
      tools::FormatSnapshotStatus(*s, std::string(FormatName(out.format)));
  if (!text.ok()) return Unsupported(out);
  std::cout << *text;
  return kExitSuccess;
}

int RunRestore(Invocation& inv) {
  PrintDeprecated("restore");
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "snapshot restore requires exactly one argument");
  tools::RestoreOptions o = tools::RestoreOptionsFromFlags(*inv.flags, inv.args[0]);
  std::string log;
  absl::Status st = tools::RestoreSnapshot(o, &log);
  std::cerr << log;
  if (!st.ok()) return Fail(kExitError, st.message());
  return kExitSuccess;
}

}  // namespace

void AddSnapshotFileCommands(Command& snapshot) {
  auto status =
      NewCommand("status <filename>", "Gets backend snapshot status of a given file", RunStatus);
  status->long_desc =
      "When --write-out is set to simple, this command prints out comma-separated status lists for "
      "each endpoint.\nThe items in the lists are hash, revision, total keys, total size.\n";
  snapshot.Add(std::move(status));

  auto restore = NewCommand("restore <filename> [options]",
                            "Restores an etcd member snapshot to an etcd directory", RunRestore);
  FlagSet& rf = restore->flags;
  rf.AddString("data-dir", "", "Path to the data directory");
  rf.AddString("wal-dir", "", "Path to the WAL directory (use --data-dir if none given)");
  rf.AddString("initial-cluster", "default=http://localhost:2380",
               "Initial cluster configuration for restore bootstrap");
  rf.AddString("initial-cluster-token", "etcd-cluster",
               "Initial cluster token for the etcd cluster during restore bootstrap");
  rf.AddString("initial-advertise-peer-urls", "http://localhost:2380",
               "List of this member's peer URLs to advertise to the rest of the cluster");
  rf.AddString("name", "default", "Human-readable name for this member");
  rf.AddBool("skip-hash-check", false,
             "Ignore snapshot integrity hash value (required if copied from data directory)");
  snapshot.Add(std::move(restore));
}

}  // namespace etcdpp::etcdctl
