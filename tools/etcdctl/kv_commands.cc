// get, put, del, txn and compaction (ctlv3/command/{get,put,del,txn,compaction}_command.go).

#include <iostream>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/go_text.h"
#include "kv_ops.h"
#include "kv_print.h"
#include "txn_parser.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::KV;

int RunGet(Invocation& inv) {
  etcdserverpb::RangeRequest req;
  CtlError err;
  if (!GetOp(*inv.flags, inv.args, &req, &err)) return Fail(err.code, err.message);
  Output out;
  int code = 0;
  etcdserverpb::RangeResponse resp;
  if (!CallOnce(inv, &out, &Client::kv, &KV::Stub::Range, req, &resp, &code)) return code;
  if (inv.flags->GetBool("count-only") && out.format != Format::kFields) {
    return Fail(kExitBadArgs, "--count-only is only for `--write-out=fields`");
  }
  bool value_only = inv.flags->GetBool("print-value-only");
  if (value_only && out.format != Format::kSimple) {
    return Fail(kExitBadArgs, "print-value-only is only for `--write-out=simple`");
  }
  return PrintGet(out, value_only, resp);
}

int RunPut(Invocation& inv) {
  etcdserverpb::PutRequest req;
  CtlError err;
  if (!PutOp(*inv.flags, inv.args, &req, &err)) return Fail(err.code, err.message);
  Output out;
  int code = 0;
  etcdserverpb::PutResponse resp;
  if (!CallOnce(inv, &out, &Client::kv, &KV::Stub::Put, req, &resp, &code)) return code;
  return PrintPut(out, resp);
}

int RunDel(Invocation& inv) {
  etcdserverpb::DeleteRangeRequest req;
  CtlError err;
  if (!DelOp(*inv.flags, inv.args, &req, &err)) return Fail(err.code, err.message);
  Output out;
  int code = 0;
  etcdserverpb::DeleteRangeResponse resp;
  if (!CallOnce(inv, &out, &Client::kv, &KV::Stub::DeleteRange, req, &resp, &code)) return code;
  return PrintDel(out, resp);
}

int RunTxn(Invocation& inv) {
  if (!inv.args.empty()) return Fail(kExitBadArgs, "txn command does not accept argument");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  etcdserverpb::TxnRequest req;
  CtlError err;
  if (!ReadTxn(std::cin, inv.flags->GetBool("interactive"), &req, &err)) {
    if (err.code == 2) {
      std::cerr << "panic: " << err.message << "\n";
      return 2;
    }
    return Fail(err.code, err.message);
  }
  etcdserverpb::TxnResponse resp;
  // clientv3's Txn.Commit runs without the command timeout (context.Background()).
  auto ctx = c->NewContext(absl::ZeroDuration());
  grpc::Status st = c->Logged(c->kv().Txn(ctx.get(), req, &resp));
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  return PrintTxn(out, resp);
}

int RunCompaction(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "compaction command needs 1 argument");
  auto rev = GoParseInt(inv.args[0], 10);
  if (!rev.ok()) return Fail(kExitError, rev.status().message());
  etcdserverpb::CompactionRequest req;
  req.set_revision(*rev);
  req.set_physical(inv.flags->GetBool("physical"));
  Output out;
  int code = 0;
  etcdserverpb::CompactionResponse resp;
  if (!CallOnce(inv, &out, &Client::kv, &KV::Stub::Compact, req, &resp, &code)) return code;
  std::cout << "compacted revision " << *rev << "\n";
  return kExitSuccess;
}

}  // namespace

void AddKvCommands(Command& root) {
  root.Add(MakeGetCommand(RunGet));
  root.Add(MakePutCommand(RunPut));
  root.Add(MakeDelCommand(RunDel));
  auto txn =
      NewCommand("txn [options]", "Txn processes all the requests in one transaction", RunTxn);
  txn->flags.AddBool("interactive", false, "Input transaction in interactive mode", "i");
  root.Add(std::move(txn));
  auto compaction = NewCommand("compaction [options] <revision>",
                               "Compacts the event history in etcd", RunCompaction);
  compaction->flags.AddBool("physical", false,
                            "'true' to wait for compaction to physically remove all old revisions");
  root.Add(std::move(compaction));
}

}  // namespace etcdpp::etcdctl
