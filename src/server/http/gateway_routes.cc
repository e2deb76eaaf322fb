#include "server/http/gateway_routes.h"

#include <map>

#include "etcdserverpb/rpc.pb.h"
#include "v3electionpb/v3election.pb.h"
#include "v3lockpb/v3lock.pb.h"

namespace etcdpp::server::http {
namespace {

struct Entry {
  const char* path;
  const char* service;  // in etcdserverpb unless qualified
  const char* method;
};

// Hash and HashKV share /v3/maintenance/hash; the gateway registers Hash first and it wins.
constexpr Entry kRoutes[] = {
    {"/v3/kv/range", "KV", "Range"},
    {"/v3/kv/put", "KV", "Put"},
    {"/v3/kv/deleterange", "KV", "DeleteRange"},
    {"/v3/kv/txn", "KV", "Txn"},
    {"/v3/kv/compaction", "KV", "Compact"},
    {"/v3/watch", "Watch", "Watch"},
    {"/v3/lease/grant", "Lease", "LeaseGrant"},
    {"/v3/lease/revoke", "Lease", "LeaseRevoke"},
    {"/v3/kv/lease/revoke", "Lease", "LeaseRevoke"},
    {"/v3/lease/keepalive", "Lease", "LeaseKeepAlive"},
    {"/v3/lease/timetolive", "Lease", "LeaseTimeToLive"},
    {"/v3/kv/lease/timetolive", "Lease", "LeaseTimeToLive"},
    {"/v3/lease/leases", "Lease", "LeaseLeases"},
    {"/v3/kv/lease/leases", "Lease", "LeaseLeases"},
    {"/v3/cluster/member/add", "Cluster", "MemberAdd"},
    {"/v3/cluster/member/remove", "Cluster", "MemberRemove"},
    {"/v3/cluster/member/update", "Cluster", "MemberUpdate"},
    {"/v3/cluster/member/list", "Cluster", "MemberList"},
    {"/v3/cluster/member/promote", "Cluster", "MemberPromote"},
    {"/v3/maintenance/alarm", "Maintenance", "Alarm"},
    {"/v3/maintenance/status", "Maintenance", "Status"},
    {"/v3/maintenance/defragment", "Maintenance", "Defragment"},
    {"/v3/maintenance/hash", "Maintenance", "Hash"},
    {"/v3/maintenance/snapshot", "Maintenance", "Snapshot"},
    {"/v3/maintenance/transfer-leadership", "Maintenance", "MoveLeader"},
    {"/v3/maintenance/downgrade", "Maintenance", "Downgrade"},  // etcd 3.5+
    {"/v3/auth/status", "Auth", "AuthStatus"},                  // etcd 3.5+
    {"/v3/auth/enable", "Auth", "AuthEnable"},
    {"/v3/auth/disable", "Auth", "AuthDisable"},
    {"/v3/auth/authenticate", "Auth", "Authenticate"},
    {"/v3/auth/user/add", "Auth", "UserAdd"},
    {"/v3/auth/user/get", "Auth", "UserGet"},
    {"/v3/auth/user/list", "Auth", "UserList"},
    {"/v3/auth/user/delete", "Auth", "UserDelete"},
    {"/v3/auth/user/changepw", "Auth", "UserChangePassword"},
    {"/v3/auth/user/grant", "Auth", "UserGrantRole"},
    {"/v3/auth/user/revoke", "Auth", "UserRevokeRole"},
    {"/v3/auth/role/add", "Auth", "RoleAdd"},
    {"/v3/auth/role/get", "Auth", "RoleGet"},
    {"/v3/auth/role/list", "Auth", "RoleList"},
    {"/v3/auth/role/delete", "Auth", "RoleDelete"},
    {"/v3/auth/role/grant", "Auth", "RoleGrantPermission"},
    {"/v3/auth/role/revoke", "Auth", "RoleRevokePermission"},
    {"/v3/election/campaign", "v3electionpb.Election", "Campaign"},
    {"/v3/election/proclaim", "v3electionpb.Election", "Proclaim"},
    {"/v3/election/leader", "v3electionpb.Election", "Leader"},
    {"/v3/election/observe", "v3electionpb.Election", "Observe"},
    {"/v3/election/resign", "v3electionpb.Election", "Resign"},
    {"/v3/lock/lock", "v3lockpb.Lock", "Lock"},
    {"/v3/lock/unlock", "v3lockpb.Lock", "Unlock"},
};

const google::protobuf::ServiceDescriptor* FindService(const std::string& name) {
  // Taking a message descriptor from each file links the generated code in and registers it.
  if (name == "v3electionpb.Election") {
    return v3electionpb::CampaignRequest::descriptor()->file()->FindServiceByName("Election");
  }
  if (name == "v3lockpb.Lock") {
    return v3lockpb::LockRequest::descriptor()->file()->FindServiceByName("Lock");
  }
  return etcdserverpb::RangeRequest::descriptor()->file()->FindServiceByName(name);
}

std::map<std::string, Route> BuildRoutes() {
  std::map<std::string, Route> routes;
  for (const Entry& e : kRoutes) {
    const google::protobuf::ServiceDescriptor* svc = FindService(e.service);
    const google::protobuf::MethodDescriptor* m = svc ? svc->FindMethodByName(e.method) : nullptr;
    if (m == nullptr) continue;
    Route r;
    r.method = m;
    r.grpc_path = "/" + svc->full_name() + "/" + m->name();
    r.streaming = m->client_streaming() || m->server_streaming();
    routes.emplace(e.path, std::move(r));
  }
  return routes;
}

}  // namespace

const Route* FindRoute(const std::string& path) {
  static const std::map<std::string, Route>* kTable =
      new std::map<std::string, Route>(BuildRoutes());
  auto it = kTable->find(path);
  return it == kTable->end() ? nullptr : &it->second;
}

}  // namespace etcdpp::server::http
