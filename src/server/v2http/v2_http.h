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
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bounded_executor.h"
#include "internalpb/internal.pb.h"
#include "server/apply/v2_apply.h"
#include "server/http/request.h"
#include "server/http/responder.h"
#include "server/membership/membership.h"
#include "server/v2http/auth_store.h"
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
  // Runs the v2 auth work that may block (bcrypt, proposals waited for). Not owned; outlives
  // the handler.
  BoundedExecutor* auth_executor = nullptr;
  bool client_cert_auth = false;  // --client-cert-auth: a certificate's CN names the user
};

// A request of the keys API as parseKeyRequest reads it.
struct KeyRequest {
  internalpb::V2Request r;
  bool wait = false;
  bool stream = false;
  bool quorum = false;
  bool no_value = false;  // noValueOnSuccess
  uint64_t since = 0;     // waitIndex
};

class V2Http {
 public:
  explicit V2Http(V2View view);
  // Serves a request whose path starts with /v2/ (or is /v2).
  void Handle(http::Request req, std::shared_ptr<http::Responder> resp);

 private:
  void Keys(const http::Request& req, const std::string& path,
            std::shared_ptr<http::Responder> resp);
  // Serves a parsed /v2/keys request (its access already judged).
  void ServeKey(const http::Request& req, KeyRequest k, std::shared_ptr<http::Responder> resp);
  void Members(const http::Request& req, const std::string& path, http::Responder* resp);
  void Stats(const http::Request& req, const std::string& which, http::Responder* resp);
  void Machines(const http::Request& req, http::Responder* resp);
  void Watch(const internalpb::V2Request& r, uint64_t since, bool stream,
             std::shared_ptr<http::Responder> resp);
  void Answer(const internalpb::V2Response& r, bool no_value, bool head,
              http::Responder* resp) const;
  std::string ClusterId() const;

  // auth.cc: /v2/auth (on an auth worker) and the access checks.
  void Auth(const http::Request& req, const std::string& path,
            std::shared_ptr<http::Responder> resp);
  void BaseRoles(const http::Request& req, http::Responder* resp);
  void ForRole(const http::Request& req, const std::string& name, http::Responder* resp);
  void BaseUsers(const http::Request& req, http::Responder* resp);
  void ForUser(const http::Request& req, const std::string& name, http::Responder* resp);
  void PutUser(const http::Request& req, const std::string& name, http::Responder* resp);
  void EnableDisable(const http::Request& req, http::Responder* resp);
  AuthOr<std::string> UserWithRolesJson(const User& u, bool skip_missing);
  // The AuthStore's Doer: GET reads the local store, other methods are proposed and waited for.
  DoResult AuthDo(internalpb::V2Request r);
  bool AuthEnabled();
  // etcd's hasRootAccess: auth off, or the request's user holds the root role.
  bool HasRootAccess(const http::Request& req);
  // The request's user holds the root role (auth known to be on).
  bool IsRoot(const http::Request& req);
  // etcd's hasKeyPrefixAccess once auth is known to be on.
  bool HasKeyPrefixAccess(const http::Request& req, const std::string& key, bool recursive);
  std::optional<User> RequestUser(const http::Request& req, bool* anonymous);
  std::optional<User> UserFromBasicAuth(const http::Request& req);
  std::optional<User> UserFromClientCertificate(const http::Request& req);
  // Runs `task` on an auth worker; false (and 500 answered) when none takes it.
  bool RunOnAuthWorker(std::function<void()> task, http::Responder* resp);
  void ReplyJson(int status, std::string body, http::Responder* resp) const;
  void ReplyAuthError(const HttpError& e, bool with_cluster_id, http::Responder* resp) const;
  void ReplyNoAuth(http::Responder* resp) const;

  const V2View v_;
  const std::unique_ptr<AuthStore> auth_;
};

// etcd's allowMethod: false (and 405 with Allow written) when `method` is not one of `allowed`.
bool AllowMethod(const std::string& method, const std::vector<std::string>& allowed,
                 http::Responder* resp);

}  // namespace etcdpp::server::v2http
