#pragma once
// The JSON side of etcd's gateway (grpc-gateway v1 with runtime.JSONPb{OrigName: true}):
// proto3 JSON with the .proto field names, 64-bit integers as strings, bytes as base64,
// default values omitted; unknown request fields ignored; an empty body is an empty request.
// Errors are shaped as grpc-gateway shapes them, with its gRPC-code -> HTTP-status table.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace etcdpp::server::http {

// Parses a request body into `msg` (already of the request type). Errors are InvalidArgument
// with the text the gateway answers.
[[nodiscard]] absl::Status JsonToProto(absl::string_view body, google::protobuf::Message* msg);
std::string ProtoToJson(const google::protobuf::Message& msg);

// grpc-gateway's runtime.HTTPStatusFromCode.
int HttpStatusFromGrpcCode(int code);
// {"error":MSG,"message":MSG,"code":N} (empty strings omitted, as jsonpb does).
std::string ErrorBody(int code, absl::string_view message);
// A streaming call's error chunk:
// {"error":{"grpc_code":..,"http_code":..,"message":..,"http_status":..}}.
std::string StreamErrorChunk(int code, absl::string_view message);
// Splits a stream of concatenated JSON values ("{..} {..}") into the values; a truncated
// value is returned as is (its parse then fails with the truncation error).
std::vector<std::string> SplitJsonValues(absl::string_view body);

}  // namespace etcdpp::server::http
