#pragma once
// V2Http: etcd 3.4's v2 API on the client port (--enable-v2; etcd's api/v2http): /v2/keys,
// /v2/members, /v2/machines and /v2/stats/{store,self,leader}. Paths are cleaned as Go's
// ServeMux does (a path that is not clean is redirected, 301); /v2/auth is refused (404 with a
// message: not built); anything else under /v2/ is "404 page not found".
//
// /v2/keys (keys.cc): writes and quorum reads are proposed through Raft as V2Request entries
// and answered with what their application on this member gave (apply/v2_apply.h); plain reads
// are served from the local store; a wait=true read registers a watcher whose events are written
// to the client as they come, from the thread that applied them, without a thread of its own.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "internalpb/internal.pb.h"
#include "server/apply/v2_apply.h"
#include "server/http/request.h"
#include "server/http/responder.h"
#include "server/membership/membership.h"
#include "server/v2http/form.h"

namespace etcdpp::server::v2http {

// What the v2 API reads from the member and asks of it.
struct V2View {
  V2Store* store = nullptr;  // not owned; outlives the handler
  using ProposeDone = std::function<void(absl::StatusOr<internalpb::V2Response>)>;
  // Proposes `r` through Raft; `done` runs (any thread) with what applying it answered, or
  // why it failed (timeout, no leader, stopping).
  std::function<void(internalpb::V2Request r, ProposeDone done)> propose;
  std::function<uint64_t()> commit_index;  // X-Raft-Index
  std::function<uint64_t()> term;          // X-Raft-Term
  std::function<uint64_t()> leader;        // 0: none
  std::function<std::vector<Member>()> members;
  std::function<std::string()> self_stats;    // /v2/stats/self's JSON
  std::function<std::string()> leader_stats;  // /v2/stats/leader's JSON; "": not the leader
  uint64_t cluster_id = 0;
};

class V2Http {
 public:
  explicit V2Http(V2View view) : v_(std::move(view)) {}
  // Serves a request whose path starts with /v2/ (or is /v2).
  void Handle(http::Request req, std::shared_ptr<http::Responder> resp);

 private:
  void Keys(const http::Request& req, const std::string& path,
            std::shared_ptr<http::Responder> resp);
  void Members(const http::Request& req, const std::string& path, http::Responder* resp);
  void Stats(const http::Request& req, const std::string& which, http::Responder* resp);
  void Machines(const http::Request& req, http::Responder* resp);
  void Watch(const internalpb::V2Request& r, uint64_t since, bool stream,
             std::shared_ptr<http::Responder> resp);
  void Answer(const internalpb::V2Response& r, bool no_value, bool head,
              http::Responder* resp) const;
  std::string ClusterId() const;

  const V2View v_;
};

// etcd's allowMethod: false (and 405 with Allow written) when `method` is not one of `allowed`.
bool AllowMethod(const std::string& method, const std::vector<std::string>& allowed,
                 http::Responder* resp);

}  // namespace etcdpp::server::v2http
