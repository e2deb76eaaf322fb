// alarm list / disarm, defrag, snapshot save, version, and migrate (v2 stores are not built:
// refused by name, listed so that help output and flag errors read as stock etcdctl's).
// snapshot status / restore are in snapshot_commands.cc, check in check_commands.cc.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <cstring>
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "output.h"

namespace etcdpp::etcdctl {
namespace {

int PrintAlarms(const Output& out, etcdserverpb::AlarmResponse& r) {
  if (out.format == Format::kSimple) {
    for (const auto& a : r.alarms()) {
      std::cout << "memberID:" << a.memberid()
                << " alarm:" << etcdserverpb::AlarmType_Name(a.alarm()) << " \n";
    }
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
    for (const auto& a : r.alarms()) {
      std::cout << "\"MemberID\" : " << a.memberid()
                << "\n\"AlarmType\" : " << etcdserverpb::AlarmType_Name(a.alarm()) << "\n\n";
    }
  } else if (!PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunAlarmList(Invocation& inv) {
  if (!inv.args.empty()) return Fail(kExitBadArgs, "alarm list command accepts no arguments");
  etcdserverpb::AlarmRequest req;
  req.set_action(etcdserverpb::AlarmRequest::GET);
  Output out;
  int code = 0;
  etcdserverpb::AlarmResponse r;
  if (!CallOnce(inv, &out, &Client::maintenance, &etcdserverpb::Maintenance::Stub::Alarm, req, &r,
                &code)) {
    return code;
  }
  return PrintAlarms(out, r);
}

// clientv3.AlarmDisarm(&AlarmMember{}): lists the alarms, then deactivates each.
int RunDisarm(Invocation& inv) {
  if (!inv.args.empty()) return Fail(kExitBadArgs, "alarm disarm command accepts no arguments");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  etcdserverpb::AlarmRequest list;
  list.set_action(etcdserverpb::AlarmRequest::GET);
  etcdserverpb::AlarmResponse r;
  grpc::Status st =
      c->Unary([&](grpc::ClientContext* ctx) { return c->maintenance().Alarm(ctx, list, &r); });
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  etcdserverpb::AlarmResponse result;  // no header: clientv3 builds this one itself
  for (const auto& a : r.alarms()) {
    etcdserverpb::AlarmRequest req;
    req.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
    req.set_memberid(a.memberid());
    req.set_alarm(a.alarm());
    etcdserverpb::AlarmResponse one;
    st = c->Unary([&](grpc::ClientContext* ctx) { return c->maintenance().Alarm(ctx, req, &one); });
    if (!st.ok()) return Fail(kExitError, ErrorText(st));
    for (const auto& d : one.alarms()) *result.add_alarms() = d;
  }
  return PrintAlarms(out, result);
}

int RunDefrag(Invocation& inv) {
  if (!inv.flags->GetString("data-dir").empty()) {
    std::cerr << "Failed to defragment etcd data[" << inv.flags->GetString("data-dir")
              << "] (offline defragmentation is etcdutl's: etcdutl defrag --data-dir)\n";
    return kExitError;
  }
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  std::vector<std::string> eps = inv.flags->GetStringSlice("endpoints");
  if (inv.flags->GetBool("cluster")) {
    etcdserverpb::MemberListResponse r;
    auto ctx = c->NewContext();
    grpc::Status st =
        c->Logged(c->cluster().MemberList(ctx.get(), etcdserverpb::MemberListRequest(), &r));
    if (!st.ok()) {
      return Fail(
          kExitError,
          absl::StrCat("failed to fetch endpoints from etcd cluster member list: ", ErrorText(st)));
    }
    eps.clear();
    for (const auto& m : r.members())
      eps.insert(eps.end(), m.clienturls().begin(), m.clienturls().end());
  }
  int failures = 0;
  for (const std::string& ep : eps) {
    CtlError err;
    auto one = Client::ConnectOne(c->config(), ep, &err);
    grpc::Status st(grpc::StatusCode::DEADLINE_EXCEEDED, "");
    etcdserverpb::DefragmentResponse r;
    if (one != nullptr) {
      auto ctx = one->NewContext();
      st = one->Logged(
          one->maintenance().Defragment(ctx.get(), etcdserverpb::DefragmentRequest(), &r));
    }
    if (!st.ok()) {
      std::cerr << "Failed to defragment etcd member[" << ep << "] (" << ErrorText(st) << ")\n";
      ++failures;
    } else {
      std::cout << "Finished defragmenting etcd member[" << ep << "]\n" << std::flush;
    }
  }
  return failures ? kExitError : kExitSuccess;
}

// Streams the backend snapshot into <path>.part, checks the SHA-256 trailer is there, fsyncs
// and renames (clientv3/snapshot's Save).
int RunSnapshotSave(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "snapshot save expects one argument");
  Output out;
  CtlError err;
  auto cfg = ConfigFromFlags(inv, &out, &err);
  if (!cfg.ok()) return Fail(err.code, err.message);
  if (cfg->endpoints.size() != 1) {
    return Fail(kExitInterrupted,
                absl::StrCat("snapshot must be requested to one selected node, not multiple [",
                             absl::StrJoin(cfg->endpoints, " "), "]"));
  }
  if (!inv.flags->Changed("command-timeout")) cfg->command_timeout = absl::ZeroDuration();
  auto c = Client::Connect(*cfg, &err);
  if (c == nullptr) return Fail(kExitInterrupted, err.message);
  const std::string path = inv.args[0], part = path + ".part";
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    return Fail(kExitInterrupted, absl::StrCat("could not open ", part, " (open ", part, ": ",
                                               std::strerror(errno), ")"));
  }
  auto ctx = c->NewContext();
  auto reader = c->maintenance().Snapshot(ctx.get(), etcdserverpb::SnapshotRequest());
  etcdserverpb::SnapshotResponse chunk;
  int64_t size = 0;
  bool io_ok = true;
  while (reader->Read(&chunk)) {
    const std::string& b = chunk.blob();
    io_ok = io_ok && ::write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size());
    size += static_cast<int64_t>(b.size());
  }
  grpc::Status st = reader->Finish();
  std::string fail = !st.ok() ? ErrorText(st)
                     : !io_ok ? absl::StrCat("write ", part, ": ", std::strerror(errno))
                     : size % 512 != 32
                         ? absl::StrCat("sha256 checksum not found [bytes: ", size, "]")
                     : ::fsync(fd) != 0 ? absl::StrCat("sync ", part, ": ", std::strerror(errno))
                                        : "";
  ::close(fd);
  if (fail.empty() && ::rename(part.c_str(), path.c_str()) != 0) {
    fail = absl::StrCat("could not rename ", part, " to ", path, " (", std::strerror(errno), ")");
  }
  ::unlink(part.c_str());
  if (!fail.empty()) return Fail(kExitInterrupted, fail);
  std::cout << "Snapshot saved at " << path << "\n";
  return kExitSuccess;
}

int RunVersion(Invocation&) {
  std::cout << "etcdctl version: " << kCtlVersion << "\nAPI version: " << kApiVersion << "\n";
  return kExitSuccess;
}

RunFn NotHere(std::string what) {
  return [what](Invocation&) {
    return Fail(kExitBadFeature, absl::StrCat(what, " is not supported by this etcdctl yet"));
  };
}

void AddMigrateCommand(Command& root) {
  auto migrate =
      NewCommand("migrate", "Migrates keys in a v2 store to a mvcc store", NotHere("migrate"));
  migrate->flags.AddBool("no-ttl", false, "Do not convert TTL keys");
  migrate->flags.AddString("data-dir", "", "Path to the data directory");
  migrate->flags.AddString("wal-dir", "", "Path to the WAL directory");
  migrate->flags.AddString("transformer", "", "Path to the user-provided transformer program");
  root.Add(std::move(migrate));
}

}  // namespace

void AddMaintenanceCommands(Command& root) {
  auto alarm = NewCommand("alarm <subcommand>", "Alarm related commands", nullptr);
  alarm->Add(NewCommand("disarm", "Disarms all alarms", RunDisarm));
  alarm->Add(NewCommand("list", "Lists all alarms", RunAlarmList));
  root.Add(std::move(alarm));

  auto defrag = NewCommand(
      "defrag", "Defragments the storage of the etcd members with given endpoints", RunDefrag);
  defrag->flags.AddBool("cluster", false, "use all endpoints from the cluster member list");
  defrag->flags.AddString("data-dir", "",
                          "Optional. If present, defragments a data directory not in use by etcd.");
  root.Add(std::move(defrag));

  auto snapshot = NewCommand("snapshot <subcommand>", "Manages etcd node snapshots", nullptr);
  snapshot->Add(NewCommand(
      "save <filename>", "Stores an etcd node backend snapshot to a given file", RunSnapshotSave));
  AddSnapshotFileCommands(*snapshot);
  AddMigrateCommand(root);
  AddCheckCommands(root);
  root.Add(std::move(snapshot));

  root.Add(NewCommand("version", "Prints the version of etcdctl", RunVersion));
}

}  // namespace etcdpp::etcdctl
