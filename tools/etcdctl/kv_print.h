#pragma once
// The printers of KV responses (Get, Put, Del, Txn) in every output format.

#include "etcdserverpb/rpc.pb.h"
#include "output.h"

namespace etcdpp::etcdctl {

// Each returns the exit code (non-zero for a format the response cannot be printed in).
int PrintGet(const Output& out, bool value_only, etcdserverpb::RangeResponse& r);
int PrintPut(const Output& out, etcdserverpb::PutResponse& r);
int PrintDel(const Output& out, etcdserverpb::DeleteRangeResponse& r);
int PrintTxn(const Output& out, etcdserverpb::TxnResponse& r);

}  // namespace etcdpp::etcdctl
