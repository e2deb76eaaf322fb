#pragma once
// The command groups of etcdctl; each adds its commands to the root.

#include <memory>

#include "command.h"

namespace etcdpp::etcdctl {

void AddGlobalFlags(Command& root);
void AddKvCommands(Command& root);           // get put del txn compaction
void AddLeaseCommands(Command& root);        // lease ...
void AddClusterCommands(Command& root);      // member ..., endpoint ..., move-leader
void AddMaintenanceCommands(Command& root);  // alarm, check, defrag, snapshot, version
void AddCheckCommands(Command& root);        // check perf, check datascale
void AddWatchCommand(Command& root);
void AddAuthCommands(Command& root);         // auth, user, role
void AddConcurrencyCommands(Command& root);  // lock, elect
void AddCompletionCommand(Command& root);
void AddMakeMirrorCommand(Command& root);
void AddSnapshotFileCommands(Command& snapshot);  // snapshot status, restore (etcdutl's code)

// The whole tree of stock etcdctl (v3 API).
std::unique_ptr<Command> NewRootCommand();

}  // namespace etcdpp::etcdctl
