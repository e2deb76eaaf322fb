#include "server/grpcproxy/grpcproxy_command.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/cobra_group.h"
#include "common/go_flags.h"
#include "common/go_text.h"
#include "common/sd_notify.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/grpcproxy/proxy_server.h"
#include "server/grpcproxy/upstream.h"
#include "server/log/zap_log.h"
#include "server/srv_endpoints.h"
#include "server/tls/self_cert.h"
#include "server/tls/tls_info.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {
namespace {

// ---- The command line: etcd's flags of `grpc-proxy start`.

void AddStartFlags(FlagSet* fs) {
  fs->AddString("listen-addr", "127.0.0.1:23790", "listen address");
  fs->AddString("discovery-srv", "",
                "domain name to query for SRV records describing cluster endpoints");
  fs->AddString("discovery-srv-name", "", "service name to query when using DNS discovery");
  fs->AddString("metrics-addr", "",
                "listen for endpoint /metrics requests on an additional interface");
  fs->AddBool("insecure-discovery", false, "accept insecure SRV records");
  fs->AddStringSlice("endpoints", {"127.0.0.1:2379"}, "comma separated etcd cluster endpoints");
  fs->AddString("advertise-client-url", "127.0.0.1:23790",
                "advertise address to register (must be reachable by client)");
  fs->AddString("resolver-prefix", "",
                "prefix to use for registering proxy (must be shared with other grpc-proxy "
                "members)");
  fs->Add("resolver-ttl", "", FlagType::kInt, "0",
          "specify TTL, in seconds, when registering proxy endpoints");
  fs->AddString("namespace", "", "string to prefix to all keys for namespacing requests");
  fs->AddBool("enable-pprof", false,
              "Enable runtime profiling data via HTTP server. Address is at client URL + "
              "\"/debug/pprof/\"");
  fs->AddString("data-dir", "default.proxy", "Data directory for persistent data");
  fs->Add("max-send-bytes", "", FlagType::kInt, "1572864",
          "message send limits in bytes (default value is 1.5 MiB)");
  fs->Add("max-recv-bytes", "", FlagType::kInt, "2147483647",
          "message receive limits in bytes (default value is math.MaxInt32)");
  fs->AddString("cert", "",
                "identify secure connections with etcd servers using this TLS certificate file");
  fs->AddString("key", "", "identify secure connections with etcd servers using this TLS key file");
  fs->AddString("cacert", "",
                "verify certificates of TLS-enabled secure etcd servers using this CA bundle");
  fs->AddBool("insecure-skip-tls-verify", false,
              "skip authentication of etcd server TLS certificates (CAUTION: this option should "
              "be enabled only for testing purposes)");
  fs->AddString("cert-file", "",
                "identify secure connections to the proxy using this TLS certificate file");
  fs->AddString("key-file", "", "identify secure connections to the proxy using this TLS key file");
  fs->AddString("trusted-ca-file", "",
                "verify certificates of TLS-enabled secure proxy using this CA bundle");
  fs->AddStringSlice("listen-cipher-suites", {},
                     "Comma-separated list of supported TLS cipher suites between client/proxy "
                     "(empty will be auto-populated by Go).");
  fs->AddBool("auto-tls", false, "proxy TLS using generated certificates");
  fs->AddString("client-crl-file", "", "proxy client certificate revocation list file.");
  fs->AddBool("experimental-serializable-ordering", false,
              "Ensure serializable reads have monotonically increasing store revisions across "
              "endpoints.");
  fs->AddString("experimental-leasing-prefix", "",
                "leasing metadata prefix for disconnected linearized reads.");
  fs->AddBool("debug", false, "Enable debug-level logging for grpc-proxy.");
  fs->Add("max-concurrent-streams", "", FlagType::kUint, "4294967295",
          "Maximum concurrent streams that each client can open at a time.");
}

int Fail(absl::string_view msg) {
  std::cerr << msg << "\n";
  return 1;
}

// checkArgs: the resolver flags go together.
int CheckArgs(const FlagSet& fs) {
  const std::string prefix = fs.GetString("resolver-prefix");
  const int64_t ttl = fs.GetInt64("resolver-ttl");
  if (!prefix.empty() && ttl < 1) return Fail(absl::StrCat("invalid resolver-ttl ", ttl));
  if (prefix.empty() && ttl > 0) {
    return Fail(absl::StrCat("invalid resolver-prefix ", GoQuote(prefix)));
  }
  if (!prefix.empty() && fs.GetString("advertise-client-url").empty()) {
    return Fail(absl::StrCat("invalid advertise-client-url ", GoQuote("")));
  }
  return 0;
}

// Flags of etcd's proxy that etcdpp's does not implement: refused by name, never ignored.
int RefuseUnsupported(const FlagSet& fs) {
  struct Refusal {
    const char* flag;
    const char* why;
  };
  const Refusal kRefused[] = {
      {"enable-pprof", "the gRPC proxy has no profiling endpoint"},
      {"experimental-leasing-prefix", "the gRPC proxy has no leasing cache"},
  };
  for (const Refusal& r : kRefused) {
    const Flag* f = fs.Lookup(r.flag);
    const bool set = f->IsBool() ? fs.GetBool(r.flag) : !fs.GetString(r.flag).empty();
    if (set) {
      std::cerr << "etcdpp grpc-proxy start: --" << r.flag << " is not supported: " << r.why
                << "\n";
      return 1;
    }
  }
  return 0;
}

// "host:port" or "[v6]:port" (net.Listen's address), port in 0..65535.
bool ParseHostPort(const std::string& hp, std::string* host, int* port) {
  const size_t colon = hp.rfind(':');
  if (colon == std::string::npos) return false;
  *host = hp.substr(0, colon);
  if (absl::StartsWith(*host, "[") && absl::EndsWith(*host, "]")) {
    *host = host->substr(1, host->size() - 2);
  }
  uint32_t p = 0;
  if (!absl::SimpleAtoi(hp.substr(colon + 1), &p) || p > 65535) return false;
  *port = static_cast<int>(p);
  if (host->empty()) *host = "0.0.0.0";
  return true;
}

// The listener's TLS (--cert-file, --key-file, --trusted-ca-file, --client-crl-file,
// --listen-cipher-suites, --auto-tls), as etcd's transport.TLSInfo for the proxy listener: a
// trusted CA makes client certificates required.
absl::StatusOr<tls::TlsInfo> ListenTls(const FlagSet& fs, const std::string& listen_host) {
  tls::TlsInfo info;
  info.cert_file = fs.GetString("cert-file");
  info.key_file = fs.GetString("key-file");
  info.trusted_ca_file = fs.GetString("trusted-ca-file");
  info.crl_file = fs.GetString("client-crl-file");
  info.client_cert_auth = !info.trusted_ca_file.empty();
  const std::vector<std::string> suites = fs.GetStringSlice("listen-cipher-suites");
  if (!suites.empty()) {
    absl::StatusOr<std::string> list = tls::OpenSslCipherList(suites);
    if (!list.ok()) return list.status();
    info.cipher_list = *list;
    if (!list->empty()) setenv("GRPC_SSL_CIPHER_SUITES", list->c_str(), 1);
  }
  const bool any =
      !info.cert_file.empty() || !info.key_file.empty() || !info.trusted_ca_file.empty();
  if (!any && fs.GetBool("auto-tls")) {
    absl::StatusOr<tls::TlsInfo> self =
        tls::SelfCert(fs.GetString("data-dir") + "/fixtures/proxy", {listen_host});
    if (!self.ok()) return self.status();
    info.cert_file = self->cert_file;
    info.key_file = self->key_file;
    info.self_signed = true;
  }
  if (!info.cert_file.empty() || !info.key_file.empty()) {
    if (absl::Status st = tls::CheckFiles(info); !st.ok()) return st;
  } else if (!info.trusted_ca_file.empty() || !info.crl_file.empty()) {
    return absl::InvalidArgumentError(
        "--trusted-ca-file and --client-crl-file need --cert-file and --key-file");
  }
  return info;
}

// Warnings for flags that are valid but have nothing to act on in this configuration.
void WarnIdle(const FlagSet& fs, const tls::TlsInfo& listen_tls) {
  if (fs.GetString("discovery-srv").empty()) {
    for (const char* flag : {"discovery-srv-name", "insecure-discovery"}) {
      if (fs.Changed(flag)) SPDLOG_WARN("--{} has no effect without --discovery-srv", flag);
    }
  }
  if (!fs.GetStringSlice("listen-cipher-suites").empty() && !listen_tls.Enabled()) {
    SPDLOG_WARN(
        "--listen-cipher-suites has no effect: the proxy listener has no TLS "
        "(--cert-file/--key-file or --auto-tls)");
  }
  if (fs.Changed("data-dir") && !listen_tls.self_signed) {
    SPDLOG_WARN("--data-dir has no effect without --auto-tls (the proxy keeps no other data)");
  }
}

absl::StatusOr<ProxyServer::Address> MetricsAddress(const std::string& url) {
  ProxyServer::Address a;
  std::string rest;
  if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else if (absl::StartsWith(url, "https://")) {
    rest = url.substr(8);
    a.tls = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", GoQuote(url)));
  }
  rest = rest.substr(0, rest.find('/'));
  if (!ParseHostPort(rest, &a.host, &a.port)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", GoQuote(url)));
  }
  return a;
}

// --experimental-serializable-ordering: before serving, a linearizable read through the
// members sets the revision the proxy's answers may not go below (etcd's "waiting for
// linearized read from cluster to recover ordering"), tried again every second until it
// succeeds; false when SIGINT or SIGTERM came meanwhile.
bool RecoverOrdering(Upstream* up, RevisionOrder* order) {
  SPDLOG_INFO("waiting for linearized read from cluster to recover ordering");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  for (;;) {
    std::shared_ptr<grpc::Channel> ch = up->Pick();
    std::unique_ptr<etcdserverpb::KV::Stub> kv = etcdserverpb::KV::NewStub(ch);
    etcdserverpb::RangeRequest req;
    req.set_key("_");
    req.set_keys_only(true);
    etcdserverpb::RangeResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Status s = kv->Range(&ctx, req, &resp);
    if (s.ok()) {
      order->Saw(resp.header().revision());
      return true;
    }
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up->Failed(ch);
    SPDLOG_WARN("{}", log::With("ordering recovery failed, retrying in 1s",
                                log::Fields().Str("error", s.error_message())));
    const timespec second{1, 0};
    if (sigtimedwait(&set, nullptr, &second) > 0) return false;
  }
}

int WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  SPDLOG_INFO("received {} signal, shutting down...", sig == SIGINT ? "interrupt" : "terminated");
  return 0;
}

int Start(const FlagSet& fs) {
  if (int rc = CheckArgs(fs); rc != 0) return rc;
  if (int rc = RefuseUnsupported(fs); rc != 0) return rc;
  log::LogSetup setup;
  setup.outputs = {"stderr"};
  setup.level = fs.GetBool("debug") ? "debug" : "info";
  if (absl::Status st = log::SetUpLogging(setup); !st.ok()) return Fail(st.message());

  ProxyServer::Options opts;
  const std::string listen_addr = fs.GetString("listen-addr");
  if (!ParseHostPort(listen_addr, &opts.listen.host, &opts.listen.port)) {
    return Fail(absl::StrCat("listen tcp ", listen_addr, ": address ", listen_addr,
                             ": missing port in address"));
  }
  absl::StatusOr<tls::TlsInfo> listen_tls = ListenTls(fs, opts.listen.host);
  if (!listen_tls.ok()) return Fail(listen_tls.status().message());
  WarnIdle(fs, *listen_tls);
  opts.tls = *listen_tls;
  opts.listen.tls = opts.tls.Enabled();
  if (opts.listen.tls) {
    SPDLOG_INFO("{}", log::With("gRPC proxy server TLS",
                                log::Fields()
                                    .Str("cert-file", opts.tls.cert_file)
                                    .Str("key-file", opts.tls.key_file)
                                    .Str("trusted-ca-file", opts.tls.trusted_ca_file)));
  }
  if (std::string m = fs.GetString("metrics-addr"); !m.empty()) {
    absl::StatusOr<ProxyServer::Address> ma = MetricsAddress(m);
    if (!ma.ok()) return Fail(ma.status().message());
    if (ma->tls && !opts.tls.Enabled()) {
      return Fail(absl::StrCat("cannot listen on TLS for ", ma->host, ":", ma->port,
                               ": KeyFile and CertFile are not presented"));
    }
    opts.metrics = *ma;
    opts.metrics_listener = true;
  }
  opts.max_concurrent_streams = static_cast<uint32_t>(fs.GetUint64("max-concurrent-streams"));
  opts.key_namespace = fs.GetString("namespace");
  opts.cluster.advertise = fs.GetString("advertise-client-url");
  opts.cluster.prefix = fs.GetString("resolver-prefix");
  opts.cluster.ttl = static_cast<int>(fs.GetInt64("resolver-ttl"));

  MemberTls member_tls{fs.GetString("cacert"), fs.GetString("cert"), fs.GetString("key"),
                       fs.GetBool("insecure-skip-tls-verify")};
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = MemberCredentials(member_tls);
  if (!creds.ok()) return Fail(creds.status().message());
  if (member_tls.insecure_skip_verify) {
    SPDLOG_WARN(
        "--insecure-skip-tls-verify was given, this grpc proxy process skips authentication of "
        "etcd server TLS certificates. This option should be enabled only for testing "
        "purposes.");
  }
  if (member_tls.Enabled()) {
    SPDLOG_INFO("{}", log::With("gRPC proxy client TLS", log::Fields()
                                                             .Str("cert", member_tls.cert)
                                                             .Str("key", member_tls.key)
                                                             .Str("cacert", member_tls.cacert)));
  }
  Upstream::Options uo;
  // etcd checks discovered endpoints with the listener's --trusted-ca-file.
  absl::StatusOr<SrvClients> srvs =
      DiscoverClientEndpoints({fs.GetString("discovery-srv"), fs.GetString("discovery-srv-name"),
                               fs.GetBool("insecure-discovery"), fs.GetString("trusted-ca-file")});
  if (!srvs.ok()) return Fail(srvs.status().message());
  uo.endpoints = srvs->endpoints.empty() ? fs.GetStringSlice("endpoints") : srvs->endpoints;
  uo.creds = *creds;
  uo.max_send_bytes = static_cast<int>(fs.GetInt64("max-send-bytes"));
  uo.max_recv_bytes = static_cast<int>(fs.GetInt64("max-recv-bytes"));
  absl::StatusOr<std::unique_ptr<Upstream>> up = Upstream::Open(uo);
  if (!up.ok()) return Fail(up.status().message());

  // clientv3/ordering gives up after five rounds over the endpoints.
  RevisionOrder order(5 * static_cast<int>((*up)->endpoints().size()));
  if (fs.GetBool("experimental-serializable-ordering")) {
    if (!RecoverOrdering(up->get(), &order)) return 0;
    opts.order = &order;
  }
  absl::StatusOr<std::unique_ptr<ProxyServer>> server = ProxyServer::Start(opts, up->get());
  if (!server.ok()) return Fail(server.status().message());
  SPDLOG_INFO("{}", log::With("listening for gRPC proxy client requests",
                              log::Fields().Str("address", listen_addr)));
  if (opts.metrics_listener) {
    SPDLOG_INFO("{}", log::With("gRPC proxy listening for metrics",
                                log::Fields().Str("address", fs.GetString("metrics-addr"))));
  }
  SPDLOG_INFO("{}", log::With("started gRPC proxy", log::Fields().Str("address", listen_addr)));
  if (absl::Status st = SdNotify("READY=1"); !st.ok()) {
    SPDLOG_ERROR("{}", log::With("failed to notify systemd for readiness",
                                 log::Fields().Str("error", std::string(st.message()))));
  }
  int rc = WaitForSignal();
  (*server)->Stop();
  SPDLOG_INFO("{}", log::With("stop listening gRPC proxy client requests",
                              log::Fields().Str("address", listen_addr)));
  return rc;
}

}  // namespace

int RunGrpcProxyCommand(const std::vector<std::string>& args) {
  return RunStartGroup(
      {"grpc-proxy", "grpc-proxy related command", "start the grpc proxy", AddStartFlags, Start},
      args);
}

}  // namespace etcdpp::server::grpcproxy
