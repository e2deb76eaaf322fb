#include "server/grpcproxy/key_namespace.h"

#include "gtest/gtest.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

const std::string kZero(1, '\0');

TEST(KeyNamespaceTest, PrefixIntervalFollowsClientv3Namespace) {
  KeyNamespace ns("/a/");
  std::string key = "k", end;
  ns.PrefixInterval(&key, &end);  // one key
  EXPECT_EQ(key, "/a/k");
  EXPECT_EQ(end, "");
  key = "k", end = "m";  // a range
  ns.PrefixInterval(&key, &end);
  EXPECT_EQ(end, "/a/m");
  key = "", end = kZero;  // everything from "" on: the whole namespace
  ns.PrefixInterval(&key, &end);
  EXPECT_EQ(key, "/a/");
  EXPECT_EQ(end, "/a0");
}

TEST(KeyNamespaceTest, FromKeyEndCarriesOverTrailingFfBytes) {
  std::string key, end = kZero;
  KeyNamespace("a\xff\xff").PrefixInterval(&key, &end);
  EXPECT_EQ(end, "b");
  key.clear(), end = kZero;
  KeyNamespace("\xff\xff").PrefixInterval(&key, &end);
  EXPECT_EQ(end, kZero);  // 0xff..ff: to the end of the key space
}

TEST(KeyNamespaceTest, TxnComparesAndNestedOpsArePrefixed) {
  KeyNamespace ns("/a/");
  pb::TxnRequest txn;
  pb::Compare* c = txn.add_compare();
  c->set_key("c");
  c->set_range_end(kZero);
  txn.add_success()->mutable_request_put()->set_key("p");
  pb::TxnRequest* nested = txn.add_failure()->mutable_request_txn();
  nested->add_success()->mutable_request_delete_range()->set_key("d");
  nested->add_failure()->mutable_request_range()->set_key("r");
  ns.Prefix(&txn);
  EXPECT_EQ(txn.compare(0).key(), "/a/c");
  EXPECT_EQ(txn.compare(0).range_end(), "/a0");
  EXPECT_EQ(txn.success(0).request_put().key(), "/a/p");
  EXPECT_EQ(nested->success(0).request_delete_range().key(), "/a/d");
  EXPECT_EQ(nested->failure(0).request_range().key(), "/a/r");
}

TEST(KeyNamespaceTest, AnswersLoseThePrefix) {
  KeyNamespace ns("/a/");
  pb::TxnResponse txn;
  txn.add_responses()->mutable_response_range()->add_kvs()->set_key("/a/r");
  txn.add_responses()->mutable_response_put()->mutable_prev_kv()->set_key("/a/p");
  txn.add_responses()
      ->mutable_response_txn()
      ->add_responses()
      ->mutable_response_delete_range()
      ->add_prev_kvs()
      ->set_key("/a/d");
  ns.Strip(&txn);
  EXPECT_EQ(txn.responses(0).response_range().kvs(0).key(), "r");
  EXPECT_EQ(txn.responses(1).response_put().prev_kv().key(), "p");
  EXPECT_EQ(txn.responses(2).response_txn().responses(0).response_delete_range().prev_kvs(0).key(),
            "d");

  pb::WatchResponse w;
  mvccpb::Event* ev = w.add_events();
  ev->mutable_kv()->set_key("/a/w");
  ev->mutable_prev_kv()->set_key("/a/w");
  ns.Strip(&w);
  EXPECT_EQ(w.events(0).kv().key(), "w");
  EXPECT_EQ(w.events(0).prev_kv().key(), "w");
}

TEST(KeyNamespaceTest, LeaseKeysOutsideTheNamespaceAreLeftOut) {
  KeyNamespace ns("/a/");
  pb::LeaseTimeToLiveResponse r;
  r.add_keys("/a/in");
  r.add_keys("/b/out");
  r.add_keys("/a");
  ns.Strip(&r);
  ASSERT_EQ(r.keys_size(), 1);
  EXPECT_EQ(r.keys(0), "in");
}

}  // namespace
}  // namespace etcdpp::server::grpcproxy
