#pragma once
// The gateway's L4 proxy (etcd 3.4 proxy/tcpproxy/userspace.go): each accepted client
// connection is joined to a new connection to one member (Picker), and bytes are copied both
// ways untouched (TLS passes through; the gateway holds no certificate). A member whose dial
// fails is marked inactive, logged ("deactivated endpoint"), and the next one is tried; an
// inactive member is probed again every retry delay ("activated" once it answers).
//
// One thread, one epoll loop, non-blocking sockets: no thread per connection. Each direction of
// a connection pair has a fixed buffer; a side's reads stop while its buffer is full, so a slow
// reader slows its writer (TCP back-pressure) and memory per connection is bounded. An EOF on
// one side is passed on as a half close (shutdown SHUT_WR) once its buffered bytes are written;
// the pair is closed when both directions have ended or on any error.
//
// Differences from etcd's proxy, documented in docs/compatibility.md: endpoint names are
// resolved once at start-up (the addresses are tried in order at each dial); each inactive
// member is probed retry-delay after its failure (etcd probes all inactive members on one
// ticker); half closes are passed on (etcd closes both sides at the first EOF).

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/gateway/picker.h"

namespace etcdpp::server::gateway {

struct ResolvedEndpoint {
  Endpoint endpoint;
  std::vector<sockaddr_storage> addrs;  // tried in order at each dial
};

class TcpProxy {
 public:
  // Takes the listening socket `listen_fd` (non-blocking, owned from here on). `stop_fd`, if
  // not -1, is a descriptor (e.g. a signalfd) whose readability ends Run; not owned.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TcpProxy>> Open(
      int listen_fd, std::vector<ResolvedEndpoint> endpoints, absl::Duration retry_delay,
      int stop_fd);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The loop: serves until stop_fd becomes readable. Returns an error only if epoll fails.
  [[nodiscard]] absl::Status Run();

 private:
  struct Pipe;
  struct Conn;
  struct Probe;
  enum class Kind : uint8_t { kListen, kStop, kClient, kUpstream, kProbe };

  TcpProxy(int epoll_fd, int listen_fd, std::vector<ResolvedEndpoint> endpoints,
           absl::Duration retry_delay, int stop_fd);

  // Accepting and dialing.
  void AcceptAll();
  void ResumeAccept();
  void Dial(Conn* c);      // the next member for c, or close c when none is active
  bool DialAddr(Conn* c);  // starts a connect to c's current address; false on failure
  void OnDialed(Conn* c);  // the upstream socket of c became writable or failed
  void DialFailed(Conn* c, int err);

  // Copying.
  void OnReady(Conn* c, Kind side, uint32_t events);
  bool Fill(int fd, Pipe* p);   // false on a read error
  bool Flush(int fd, Pipe* p);  // false on a write error
  void Rearm(Conn* c);          // epoll interest from the buffers; closes a finished pair
  void SetInterest(int fd, uint64_t key, uint32_t want, uint32_t* have);
  void Close(Conn* c);

  // Probing inactive members.
  void Deactivate(size_t i, const std::string& error);
  void StartDueProbes();
  void OnProbe(uint64_t id);
  void ProbeNext(Probe* p);
  int NextTimeoutMs() const;

  // Constant after construction.
  const int epoll_fd_;
  const int listen_fd_;
  const int stop_fd_;
  const std::vector<ResolvedEndpoint> endpoints_;
  const absl::Duration retry_delay_;

  Picker picker_;
  std::vector<absl::Time> retry_at_;  // per endpoint: when to probe it (inactive ones)
  std::vector<bool> probing_;         // per endpoint: a probe is in flight
  bool accept_paused_ = false;        // out of descriptors: the listener is out of epoll until
  absl::Time accept_resume_;          // this time
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Conn>> conns_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Probe>> probes_;
};

}  // namespace etcdpp::server::gateway
