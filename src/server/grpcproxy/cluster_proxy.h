#pragma once
// ProxyCluster: the grpc-proxy's Cluster service and its registration (etcd's
// proxy/grpcproxy/cluster.go and register.go).
//   - MemberList through the proxy lists proxies, not members, as etcd's does: with
//     --resolver-prefix, the proxies registered under it (name from their metadata, client URL
//     their address), else (or while none is registered) the proxy itself: the host name and
//     --advertise-client-url (default 127.0.0.1:23790). No header, as etcd's.
//   - With --resolver-prefix the proxy registers --advertise-client-url under
//     "<prefix>/<addr>" as etcd's endpoints manager writes it ({"Op":0,"Addr":...,"Metadata":
//     "{\"name\":\"<host>\"}"}) on a lease of --resolver-ttl seconds that it keeps alive; when the
//     lease is lost it registers again (at most once a second), and on Stop it revokes it. A
//     watch of the prefix keeps the list of registered proxies.
//   - MemberAdd, MemberRemove, MemberUpdate and MemberPromote go to the members (etcd 3.4's
//     proxy answers MemberPromote "not implemented").
// Threads: one for the registration and one for the watch of the prefix, each on gRPC's
// blocking API; Stop ends both.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "common/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

class ProxyCluster : public etcdserverpb::Cluster::CallbackService {
 public:
  struct Options {
    std::string advertise;  // --advertise-client-url ("": MemberList goes to the members)
    std::string prefix;     // --resolver-prefix ("": no registration)
    int ttl = 0;            // --resolver-ttl, seconds
  };
  // up and observer outlive the service. Starts the registration threads (with a prefix).
  ProxyCluster(Upstream* up, const CallObserver* observer, Options opts);
  ~ProxyCluster() override { Stop(); }
  // Revokes the registration and ends the threads (idempotent).
  void Stop();

  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override;
  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx,
                                      const etcdserverpb::MemberAddRequest* req,
                                      etcdserverpb::MemberAddResponse* resp) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* req,
                                         etcdserverpb::MemberRemoveResponse* resp) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberUpdateRequest* req,
                                         etcdserverpb::MemberUpdateResponse* resp) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* req,
                                          etcdserverpb::MemberPromoteResponse* resp) override;

 private:
  void RegisterLoop();
  void WatchLoop();
  // Waits up to `d` or until Stop; false once stopping.
  bool Sleep(std::chrono::milliseconds d);
  // The context of a thread's next blocking call, kept in *slot so that Stop cancels it (null
  // once stopping). A deadline of 0: none.
  std::shared_ptr<grpc::ClientContext> NewCall(std::shared_ptr<grpc::ClientContext>* slot,
                                               std::chrono::seconds deadline)
      ABSL_LOCKS_EXCLUDED(mu_);

  Upstream* const up_;
  const CallObserver* const observer_;
  const Options opts_;
  const std::string hostname_;

  Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<grpc::ClientContext> reg_call_ ABSL_GUARDED_BY(mu_);    // registration's
  std::shared_ptr<grpc::ClientContext> watch_call_ ABSL_GUARDED_BY(mu_);  // the watch's
  int64_t lease_ ABSL_GUARDED_BY(mu_) = 0;  // the registration's lease (0: none)
  // The registered proxies: key -> (name, address).
  std::map<std::string, std::pair<std::string, std::string>> registered_ ABSL_GUARDED_BY(mu_);
  std::thread register_thread_;
  std::thread watch_thread_;
};

}  // namespace etcdpp::server::grpcproxy
