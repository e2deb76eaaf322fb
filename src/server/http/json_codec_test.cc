#include "server/http/json_codec.h"

#include "etcdserverpb/rpc.pb.h"
#include "gtest/gtest.h"

namespace etcdpp::server::http {
namespace {

TEST(JsonCodecTest, OriginalNamesInt64AsStringsBytesAsBase64DefaultsOmitted) {
  etcdserverpb::RangeResponse r;
  r.mutable_header()->set_revision(2);
  auto* kv = r.add_kvs();
  kv->set_key("foo");
  kv->set_value("bar");
  kv->set_create_revision(2);
  r.set_count(1);
  EXPECT_EQ(
      ProtoToJson(r),
      R"({"header":{"revision":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","value":"YmFy"}],"count":"1"})");
}

TEST(JsonCodecTest, ParsesNumbersOrStringsIgnoresUnknownFieldsEmptyIsEmpty) {
  etcdserverpb::RangeRequest r;
  ASSERT_TRUE(JsonToProto(R"({"key":"Zm9v","limit":"3","revision":4,"bogus":[1]})", &r).ok());
  EXPECT_EQ(r.key(), "foo");
  EXPECT_EQ(r.limit(), 3);
  EXPECT_EQ(r.revision(), 4);
  etcdserverpb::RangeRequest empty;
  EXPECT_TRUE(JsonToProto(" \n", &empty).ok());
}

// Found by the gateway_json fuzzer: protobuf's parser kept an object under the empty name as
// unknown fields of the message (they would have gone on into the raft log).
TEST(JsonCodecTest, AnObjectUnderTheEmptyNameLeavesNothingBehind) {
  etcdserverpb::TxnRequest with;
  ASSERT_TRUE(
      JsonToProto(R"({"compare":[{"target":"MOD","key":"YQ==","":{"key":"Zm9v","value":"YmF6"}}]})",
                  &with)
          .ok());
  etcdserverpb::TxnRequest without;
  ASSERT_TRUE(JsonToProto(R"({"compare":[{"target":"MOD","key":"YQ=="}]})", &without).ok());
  EXPECT_EQ(with.SerializeAsString(), without.SerializeAsString());
  EXPECT_TRUE(with.compare(0).GetReflection()->GetUnknownFields(with.compare(0)).empty());
}

TEST(JsonCodecTest, TruncatedInputIsUnexpectedEof) {
  etcdserverpb::RangeRequest r;
  absl::Status st = JsonToProto(R"({"key":"Zm9v")", &r);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "unexpected EOF");
}

TEST(JsonCodecTest, BadBase64InGosWords) {
  etcdserverpb::RangeRequest r;
  EXPECT_EQ(std::string(JsonToProto(R"({"key":"Zm9"})", &r).message()),
            "illegal base64 data at input byte 0");
  EXPECT_EQ(std::string(JsonToProto(R"({"key":"Zm9vY*=="})", &r).message()),
            "illegal base64 data at input byte 5");
  EXPECT_EQ(std::string(JsonToProto(R"({"key":"Zg="})", &r).message()),
            "illegal base64 data at input byte 3");
}

TEST(JsonCodecTest, ErrorShapes) {
  EXPECT_EQ(
      ErrorBody(3, "etcdserver: key is not provided"),
      R"({"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3})");
  EXPECT_EQ(ErrorBody(12, ""), R"({"code":12})");
  EXPECT_EQ(
      StreamErrorChunk(11, "x<y"),
      R"({"error":{"grpc_code":11,"http_code":400,"message":"x\u003cy","http_status":"Bad Request"}})");
  EXPECT_EQ(HttpStatusFromGrpcCode(14), 503);
  EXPECT_EQ(HttpStatusFromGrpcCode(9), 412);
}

TEST(JsonCodecTest, SplitsConcatenatedValues) {
  std::vector<std::string> v = SplitJsonValues(R"( {"a":"}"} {"b":[1,{}]}
{"c")");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], R"({"a":"}"})");
  EXPECT_EQ(v[1], R"({"b":[1,{}]})");
  EXPECT_EQ(v[2], R"({"c")");
}

}  // namespace
}  // namespace etcdpp::server::http
