#include "go_json.h"

#include <gtest/gtest.h>

#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::etcdctl {
namespace {

TEST(GoJson, Int64AsNumbersBytesAsBase64OmitEmpty) {
  etcdserverpb::RangeResponse r;
  r.mutable_header()->set_cluster_id(18446744073709551615ULL);
  r.mutable_header()->set_revision(7);
  auto* kv = r.add_kvs();
  kv->set_key("foo");
  kv->set_value("");
  kv->set_create_revision(2);
  kv->set_lease(-1);
  r.set_count(1);
  EXPECT_EQ(GoJson(r),
            "{\"header\":{\"cluster_id\":18446744073709551615,\"revision\":7},"
            "\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"lease\":-1}],\"count\":1}");
}

TEST(GoJson, EmptyMessageThatIsSetIsAnEmptyObject) {
  etcdserverpb::PutResponse r;
  r.mutable_header();
  EXPECT_EQ(GoJson(r), "{\"header\":{}}");
  EXPECT_EQ(GoJson(etcdserverpb::PutResponse()), "{}");
}

TEST(GoJson, OneofIsNamedByGoFieldNames) {
  etcdserverpb::TxnResponse r;
  r.set_succeeded(true);
  r.add_responses()->mutable_response_put();
  EXPECT_EQ(GoJson(r), "{\"succeeded\":true,\"responses\":[{\"Response\":{\"ResponsePut\":{}}}]}");
}

TEST(GoJson, EnumsAreNumbersAndZeroIsOmitted) {
  mvccpb::Event e;
  e.set_type(mvccpb::Event::DELETE);
  EXPECT_EQ(GoJson(e), "{\"type\":1}");
  e.set_type(mvccpb::Event::PUT);
  EXPECT_EQ(GoJson(e), "{}");
}

TEST(GoJsonString, HtmlSafeAndInvalidUtf8) {
  EXPECT_EQ(GoJsonString("<a&b>"), "\"\\u003ca\\u0026b\\u003e\"");
  EXPECT_EQ(GoJsonString("x\x01\n\"\\"), "\"x\\u0001\\n\\\"\\\\\"");
  EXPECT_EQ(GoJsonString("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(GoJsonString("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(GoJsonString("h\xc3\xa9"), "\"h\xc3\xa9\"");
}

TEST(ClearNewerFields, DropsWhatA34ClientDoesNotKnow) {
  etcdserverpb::StatusResponse s;
  s.set_version("3.6.0");
  s.set_storageversion("3.6.0");
  s.set_dbsizequota(100);
  ClearNewerFields(&s);
  EXPECT_EQ(GoJson(s), "{\"version\":\"3.6.0\"}");
}

}  // namespace
}  // namespace etcdpp::etcdctl
