#include "server/api/watch_fragment.h"

#include <utility>

#include "google/protobuf/io/coded_stream.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

std::vector<pb::WatchResponse> Fragment(pb::WatchResponse r, size_t limit) {
  std::vector<pb::WatchResponse> out;
  if (r.ByteSizeLong() < limit || r.events_size() < 2) {
    out.push_back(std::move(r));
    return out;
  }
  pb::WatchResponse shell = r;
  shell.clear_events();
  shell.set_fragment(true);
  const size_t shell_size = shell.ByteSizeLong();
  int i = 0;
  while (i < r.events_size()) {
    pb::WatchResponse cur = shell;
    size_t size = shell_size;
    for (; i < r.events_size(); ++i) {
      const size_t ev_size = r.events(i).ByteSizeLong();
      // An event costs its bytes plus the field tag and length (at most 1 + 5 bytes).
      const size_t cost =
          ev_size + 1 + google::protobuf::io::CodedOutputStream::VarintSize64(ev_size);
      if (cur.events_size() > 0 && size + cost >= limit) break;
      size += cost;
      *cur.add_events() = std::move(*r.mutable_events(i));
    }
    if (i == r.events_size()) cur.set_fragment(false);
    out.push_back(std::move(cur));
  }
  return out;
}

}  // namespace etcdpp::server
