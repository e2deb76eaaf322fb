#include "kv_print.h"

#include <iostream>

namespace etcdpp::etcdctl {
namespace {

const char* Bool(bool b) { return b ? "true" : "false"; }

// Simple and fields forms; the others go through PrintRpc.
void SimpleGet(const Output& out, bool value_only, const etcdserverpb::RangeResponse& r) {
  for (const auto& kv : r.kvs()) PrintKV(out, value_only, kv);
}

void SimplePut(const Output& out, const etcdserverpb::PutResponse& r) {
  std::cout << "OK\n";
  if (r.has_prev_kv()) PrintKV(out, false, r.prev_kv());
}

void SimpleDel(const Output& out, const etcdserverpb::DeleteRangeResponse& r) {
  std::cout << r.deleted() << "\n";
  for (const auto& kv : r.prev_kvs()) PrintKV(out, false, kv);
}

void FieldsGet(const etcdserverpb::RangeResponse& r) {
  FieldsHeader(r.header());
  for (const auto& kv : r.kvs()) FieldsKV("", kv);
  std::cout << "\"More\" : " << Bool(r.more()) << "\n\"Count\" : " << r.count() << "\n";
}

void FieldsPut(const etcdserverpb::PutResponse& r) {
  FieldsHeader(r.header());
  if (r.has_prev_kv()) FieldsKV("Prev", r.prev_kv());
}

void FieldsDel(const etcdserverpb::DeleteRangeResponse& r) {
  FieldsHeader(r.header());
  std::cout << "\"Deleted\" : " << r.deleted() << "\n";
  for (const auto& kv : r.prev_kvs()) FieldsKV("Prev", kv);
}

}  // namespace

int PrintGet(const Output& out, bool value_only, etcdserverpb::RangeResponse& r) {
  if (out.format == Format::kSimple)
    SimpleGet(out, value_only, r);
  else if (out.format == Format::kFields)
    FieldsGet(r);
  else if (!PrintRpc(out, r))
    return Unsupported(out);
  return kExitSuccess;
}

int PrintPut(const Output& out, etcdserverpb::PutResponse& r) {
  if (out.format == Format::kSimple)
    SimplePut(out, r);
  else if (out.format == Format::kFields)
    FieldsPut(r);
  else if (!PrintRpc(out, r))
    return Unsupported(out);
  return kExitSuccess;
}

int PrintDel(const Output& out, etcdserverpb::DeleteRangeResponse& r) {
  if (out.format == Format::kSimple)
    SimpleDel(out, r);
  else if (out.format == Format::kFields)
    FieldsDel(r);
  else if (!PrintRpc(out, r))
    return Unsupported(out);
  return kExitSuccess;
}

int PrintTxn(const Output& out, etcdserverpb::TxnResponse& r) {
  if (out.format != Format::kSimple && out.format != Format::kFields) {
    return PrintRpc(out, r) ? kExitSuccess : Unsupported(out);
  }
  const bool simple = out.format == Format::kSimple;
  if (simple) {
    std::cout << (r.succeeded() ? "SUCCESS" : "FAILURE") << "\n";
  } else {
    FieldsHeader(r.header());
    std::cout << "\"Succeeded\" : " << Bool(r.succeeded()) << "\n";
  }
  for (const auto& op : r.responses()) {
    if (simple) std::cout << "\n";
    if (op.has_response_range()) {
      simple ? SimpleGet(out, false, op.response_range()) : FieldsGet(op.response_range());
    } else if (op.has_response_put()) {
      simple ? SimplePut(out, op.response_put()) : FieldsPut(op.response_put());
    } else if (op.has_response_delete_range()) {
      simple ? SimpleDel(out, op.response_delete_range()) : FieldsDel(op.response_delete_range());
    }
  }
  return kExitSuccess;
}

}  // namespace etcdpp::etcdctl
