#include "watch/key_range.h"

namespace etcdpp::watch {

bool KeyRange::Contains(std::string_view k) const {
  if (IsSingleKey()) return k == key;
  if (k < std::string_view(key)) return false;
  return from_key || k < std::string_view(end);
}

EventPtr MakeEvent(const mvccpb::KeyValue& change, int64_t rev) {
  auto ev = std::make_shared<mvccpb::Event>();
  *ev->mutable_kv() = change;
  if (change.create_revision() == 0) {
    ev->set_type(mvccpb::Event::DELETE);
    ev->mutable_kv()->set_mod_revision(rev);
  } else {
    ev->set_type(mvccpb::Event::PUT);
  }
  return ev;
}

}  // namespace etcdpp::watch
