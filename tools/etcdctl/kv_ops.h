#pragma once
// The requests of get, put and del as their flags and arguments build them (getGetOp,
// getPutOp, getDelOp), shared by the commands and by txn's request lines.

#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "command.h"
#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::etcdctl {

// The commands with their flags; run is what executes the parsed command.
std::unique_ptr<Command> MakeGetCommand(RunFn run);
std::unique_ptr<Command> MakePutCommand(RunFn run);
std::unique_ptr<Command> MakeDelCommand(RunFn run);

// Each fills *req from the flags and args, or returns false with *err set.
bool GetOp(const FlagSet& f, const std::vector<std::string>& args, etcdserverpb::RangeRequest* req,
           CtlError* err);
bool PutOp(const FlagSet& f, const std::vector<std::string>& args, etcdserverpb::PutRequest* req,
           CtlError* err);
bool DelOp(const FlagSet& f, const std::vector<std::string>& args,
           etcdserverpb::DeleteRangeRequest* req, CtlError* err);

// clientv3.GetPrefixRangeEnd: the end of the range of keys with the given prefix ("\0" when
// every byte is 0xff).
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace etcdpp::etcdctl
