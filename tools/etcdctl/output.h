#pragma once
// What the printers of stock etcdctl share (ctlv3/command/printer*.go): the simple key/value
// lines (with --hex), the "fields" header and key/value blocks, the json/protobuf forms of an
// RPC response, the "not supported as output format" error of the others, and tables drawn as
// olekukonko/tablewriter draws them.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include <google/protobuf/message.h>

#include "client.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"

namespace etcdpp::etcdctl {

// printKV: the key line (unless value_only) and the value line; --hex as \x.. escapes.
void PrintKV(const Output& out, bool value_only, const mvccpb::KeyValue& kv);

// The "fields" printer's header lines and key/value block ("Prev" prefix for previous kvs).
void FieldsHeader(const etcdserverpb::ResponseHeader& h);
void FieldsKV(absl::string_view prefix, const mvccpb::KeyValue& kv);

// Prints an RPC response as the json or protobuf printer does (after dropping fields a 3.4
// client does not know). Table and fields (and simple) are not handled here: returns false.
bool PrintRpc(const Output& out, google::protobuf::Message& m);

// The error of a format a printer method does not support: "<format> not supported as output
// format", ExitBadFeature.
int Unsupported(const Output& out);

// The format's name as etcdctl spells it ("json", "table", ...).
absl::string_view FormatName(Format f);

// A tablewriter table: title-cased centered headers, cells aligned right.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// fmt's %x of a uint64 and %016x.
std::string Hex(uint64_t v);
std::string Hex16(uint64_t v);

}  // namespace etcdpp::etcdctl
