#pragma once
// etcdctl's txn script (ctlv3/command/txn_command.go): three sections separated by empty
// lines — compares, success requests, failure requests — each line one item:
//
//   compare: <target>("<key>") <op> "<value>"   target ver|version, c|create, m|mod,
//                                                val|value; op = == != < >
//   request: put|get|del with their flags and arguments, words split as argify splits them
//
// Every section, the last one included, must end with an empty line (Go's reader fails with
// EOF otherwise).

#include <istream>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "client.h"
#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::etcdctl {

// argify: quoted strings ("..." with Go escapes, '...') and bare words. Single-quoted words are
// cut as etcdctl 3.4 cuts them (by the number of words, a known etcdctl bug kept for
// compatibility). Returns false when a double-quoted word is not a valid Go literal.
bool Argify(absl::string_view line, std::vector<std::string>* words);

// One compare line; on error *err carries etcdctl's message and ExitInvalidInput.
bool ParseCompare(absl::string_view line, etcdserverpb::Compare* cmp, CtlError* err);

// One request line (put/get/del with flags).
bool ParseRequestLine(absl::string_view line, etcdserverpb::RequestOp* op, CtlError* err);

// Reads the whole script; prompts on stdout when interactive.
bool ReadTxn(std::istream& in, bool interactive, etcdserverpb::TxnRequest* txn, CtlError* err);

}  // namespace etcdpp::etcdctl
