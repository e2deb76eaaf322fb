#pragma once
// Go's encoding/json of etcd's gogo-generated protobuf structs: the contract of `-w json`.
// Fields in .proto declaration order, each named by its proto field name with `omitempty`
// (zero numbers, false, "", empty lists and unset messages are left out), int64/uint64 as
// numbers, bytes as standard base64, enums as numbers, a oneof as a field named after the oneof
// in CamelCase holding {"<field>": value}. Strings are escaped as Go escapes them (HTML-safe).

#include <string>
#include "absl/strings/string_view.h"

#include <google/protobuf/message.h>

namespace etcdpp::etcdctl {

// The JSON object of m.
std::string GoJson(const google::protobuf::Message& m);

// The members of m's object without the braces, each preceded by a comma unless *first (for
// clientv3 structs that embed a *pb.ResponseHeader, whose fields Go flattens).
void AppendGoJsonFields(const google::protobuf::Message& m, std::string* out, bool* first);

// A Go JSON string literal.
std::string GoJsonString(absl::string_view s);

// encoding/base64.StdEncoding.
std::string Base64(absl::string_view bytes);

// Clears response fields that etcd 3.5+ added and a 3.4 client does not know (and so neither
// prints nor re-marshals): HashKVResponse.hash_revision, StatusResponse.storageVersion, ...
void ClearNewerFields(google::protobuf::Message* m);

}  // namespace etcdpp::etcdctl
