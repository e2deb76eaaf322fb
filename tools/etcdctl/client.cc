#include "client.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/go_text.h"
#include "common/json_text.h"
#include "password_prompt.h"
#include "srv_discovery.h"

namespace etcdpp::etcdctl {
namespace {

// gRPC's code names as Go's codes.Code.String() spells them.
absl::string_view CodeName(grpc::StatusCode c) {
  static constexpr absl::string_view kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? kNames[i] : "Unknown";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("open ", path, ": no such file or directory"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "http://a:1" -> "a:1"; "https://" marks TLS; "unix://x" -> "unix:x".
std::string Target(absl::string_view ep, bool* tls) {
  *tls = absl::ConsumePrefix(&ep, "https://");
  absl::ConsumePrefix(&ep, "http://");
  if (absl::ConsumePrefix(&ep, "unix://") || absl::ConsumePrefix(&ep, "unixs://")) {
    return absl::StrCat("unix:", ep);
  }
  return std::string(ep);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ClientConfig& cfg,
                                                                      bool want_tls) {
  bool tls = want_tls || !cfg.cert.empty() || !cfg.key.empty() || !cfg.cacert.empty() ||
             !cfg.insecure_transport;
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions opts;
  for (const auto& [path, dst] :
       {std::pair{&cfg.cacert, &opts.pem_root_certs}, std::pair{&cfg.cert, &opts.pem_cert_chain},
        std::pair{&cfg.key, &opts.pem_private_key}}) {
    if (path->empty()) continue;
    auto data = ReadFile(*path);
    if (!data.ok()) return data.status();
    *dst = *data;
  }
  if (!cfg.skip_verify) return grpc::SslCredentials(opts);
  grpc::experimental::TlsChannelCredentialsOptions topts;
  topts.set_verify_server_certs(false);
  topts.set_check_call_host(false);
  if (!opts.pem_cert_chain.empty()) {
    auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        std::vector<grpc::experimental::IdentityKeyCertPair>{
            {opts.pem_private_key, opts.pem_cert_chain}});
    topts.set_certificate_provider(provider);
    topts.watch_identity_key_cert_pairs();
  }
  return grpc::experimental::TlsCredentials(topts);
}

}  // namespace

std::string ErrorText(const grpc::Status& s) {
  const std::string& msg = s.error_message();
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      !absl::StartsWith(msg, "etcdserver:")) {
    return "context deadline exceeded";
  }
  if (s.error_code() == grpc::StatusCode::CANCELLED) return "context canceled";
  if (absl::StartsWith(msg, "etcdserver:") || absl::StartsWith(msg, "mvcc:") ||
      absl::StartsWith(msg, "auth:")) {
    return msg;
  }
  return absl::StrCat("rpc error: code = ", CodeName(s.error_code()), " desc = ", msg);
}

// A random (version 4) UUID in its text form, as clientv3 names each client's resolver.
std::string NewUuid() {
  std::random_device rd;
  uint8_t b[16];
  for (int i = 0; i < 16; i += 4) {
    const uint32_t r = rd();
    for (int j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    absl::StrAppendFormat(&out, "%02x", b[i]);
  }
  return out;
}

// zap's ISO8601 time in the local zone, as Go's "2006-01-02T15:04:05.000Z0700" writes it.
std::string ZapTime(absl::Time t) {
  const absl::TimeZone tz = absl::LocalTimeZone();
  std::string out = absl::FormatTime("%Y-%m-%dT%H:%M:%E3S", t, tz);
  const int offset = tz.At(t).offset;
  if (offset == 0) return out + "Z";
  const int minutes = (offset < 0 ? -offset : offset) / 60;
  absl::StrAppendFormat(&out, "%c%02d%02d", offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
  return out;
}

// capnslog's line as etcdctl's pkg/flags logs it: "2006-01-02 15:04:05.000000 W | pkg/flags: ".
void FlagsLog(char level, absl::string_view msg) {
  std::cerr << absl::FormatTime("%Y-%m-%d %H:%M:%E6S", absl::Now(), absl::LocalTimeZone()) << " "
            << level << " | pkg/flags: " << msg << "\n";
}

// flags.SetPflagsFromEnv on the global flags: ETCDCTL_<FLAG> sets a flag the command line did
// not; an unknown ETCDCTL_* variable is warned about, and one that a command-line flag shadows
// is fatal (exit 1), as capnslog's Fatalf is.
void ApplyEnvironment(const Invocation& inv) {
  FlagSet& fs = *inv.flags;
  std::set<std::string> used, shadowed, known;
  for (const Flag* f : inv.cmd->Root()->flags.Sorted()) {
    if (f->name == "help") continue;
    std::string env = absl::StrCat("ETCDCTL_", absl::AsciiStrToUpper(f->name));
    absl::StrReplaceAll({{"-", "_"}}, &env);
    known.insert(env);
    Flag* flag = fs.Lookup(f->name);
    if (flag->changed) {
      shadowed.insert(env);
      continue;
    }
    const char* v = std::getenv(env.c_str());
    if (v != nullptr && *v != '\0') {
      used.insert(env);
      (void)fs.Set(flag, v);
    }
  }
  if (inv.cmd->Name() == "watch") used.insert({"ETCDCTL_WATCH_KEY", "ETCDCTL_WATCH_RANGE_END"});
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (used.count(key)) continue;
    if (shadowed.count(key)) {
      FlagsLog('C', absl::StrCat("conflicting environment variable ", GoQuote(key),
                                 " is shadowed by corresponding command-line flag (either unset "
                                 "environment variable or disable flag)"));
      std::cerr.flush();
      std::_Exit(kExitError);
    }
    if (absl::StartsWith(kv, "ETCDCTL_"))
      FlagsLog('W', absl::StrCat("unrecognized environment variable ", kv));
  }
}

bool OutputFromFlags(const FlagSet& fs, Output* out, CtlError* err) {
  static const std::pair<absl::string_view, Format> kFormats[] = {{"simple", Format::kSimple},
                                                                  {"json", Format::kJson},
                                                                  {"fields", Format::kFields},
                                                                  {"table", Format::kTable},
                                                                  {"protobuf", Format::kProtobuf}};
  const std::string w = fs.GetString("write-out");
  for (const auto& [name, f] : kFormats) {
    if (w != name) continue;
    out->format = f;
    out->hex = fs.GetBool("hex");
    return true;
  }
  *err = {kExitBadFeature, "unsupported output format"};
  return false;
}

absl::StatusOr<ClientConfig> ConfigFromFlags(Invocation& inv, Output* out, CtlError* err,
                                             bool discover) {
  FlagSet& fs = *inv.flags;
  ApplyEnvironment(inv);
  ClientConfig cfg;
  cfg.debug = fs.GetBool("debug");
  if (cfg.debug) {
    for (const Flag* f : inv.cmd->Root()->flags.Sorted()) {
      if (f->name == "help") continue;
      std::string env = absl::StrCat("ETCDCTL_", absl::AsciiStrToUpper(f->name));
      absl::StrReplaceAll({{"-", "_"}}, &env);
      std::cerr << env << "=" << f->value << "\n";
    }
  }
  if (const std::string domain = fs.GetString("discovery-srv"); discover && !domain.empty()) {
    absl::StatusOr<std::vector<std::string>> eps =
        DiscoverEndpoints(domain, fs.GetString("discovery-srv-name"),
                          fs.GetBool("insecure-discovery"), LookupSrv, std::cerr);
    if (!eps.ok()) {
      *err = {kExitError, std::string(eps.status().message())};
      return eps.status();
    }
    cfg.endpoints = *eps;
  }
  if (cfg.endpoints.empty()) {  // no discovery, or it found nothing: --endpoints
    for (std::string ep : fs.GetStringSlice("endpoints")) {
      cfg.endpoints.push_back(std::string(absl::StripAsciiWhitespace(ep)));
    }
  }
  cfg.dial_timeout = fs.GetDuration("dial-timeout");
  cfg.command_timeout = fs.GetDuration("command-timeout");
  cfg.keepalive_time = fs.GetDuration("keepalive-time");
  cfg.keepalive_timeout = fs.GetDuration("keepalive-timeout");
  for (const char* name : {"cert", "key", "cacert"}) {
    if (fs.Changed(name) && fs.GetString(name).empty()) {
      *err = {kExitBadArgs, absl::StrCat("empty string is passed to --", name, " option")};
      return absl::InvalidArgumentError(err->message);
    }
  }
  cfg.cert = fs.GetString("cert");
  cfg.key = fs.GetString("key");
  cfg.cacert = fs.GetString("cacert");
  cfg.insecure_transport = fs.GetBool("insecure-transport");
  cfg.skip_verify = fs.GetBool("insecure-skip-tls-verify");
  std::string user = fs.GetString("user"), password = fs.GetString("password");
  if (!user.empty()) {
    if (!password.empty()) {
      cfg.user = user;
      cfg.password = password;
    } else if (auto colon = user.find(':'); colon != std::string::npos) {
      cfg.user = user.substr(0, colon);
      cfg.password = user.substr(colon + 1);
    } else {
      cfg.user = user;
      cfg.password = PromptPassword("Password: ");
    }
  }
  if (!OutputFromFlags(fs, out, err)) return absl::InvalidArgumentError(err->message);
  return cfg;
}

std::unique_ptr<Client> MustClient(Invocation& inv, Output* out, int* code) {
  CtlError err;
  auto cfg = ConfigFromFlags(inv, out, &err);
  std::unique_ptr<Client> c = cfg.ok() ? Client::Connect(*cfg, &err) : nullptr;
  if (c == nullptr) *code = Fail(err.code, err.message);
  return c;
}

std::unique_ptr<Client> Client::Connect(const ClientConfig& cfg, CtlError* err) {
  std::unique_ptr<Client> c(new Client(cfg));
  if (c->cfg_.endpoints.empty()) c->cfg_.endpoints.push_back("127.0.0.1:2379");
  bool tls = false;
  Target(c->cfg_.endpoints[0], &tls);
  auto creds = Credentials(c->cfg_, tls);
  if (!creds.ok()) {
    *err = {kExitBadArgs, std::string(creds.status().message())};
    return nullptr;
  }
  c->creds_ = *creds;
  absl::Time deadline = cfg.command_timeout > absl::ZeroDuration()
                            ? absl::Now() + cfg.dial_timeout + cfg.command_timeout
                            : absl::InfiniteFuture();
  std::vector<size_t> all(c->cfg_.endpoints.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (!c->Dial(all, deadline)) {
    *err = {kExitError, "context deadline exceeded"};
    return nullptr;
  }
  if (!c->cfg_.user.empty()) {
    grpc::Status st = c->Authenticate();
    // clientv3 goes on without a token when the cluster has auth disabled.
    if (!st.ok() && st.error_message() != "etcdserver: authentication is not enabled") {
      *err = {kExitBadConnection, ErrorText(st)};
      return nullptr;
    }
  }
  return c;
}

std::unique_ptr<Client> Client::ConnectOne(const ClientConfig& cfg, const std::string& ep,
                                           CtlError* err) {
  ClientConfig one = cfg;
  one.endpoints = {ep};
  return Connect(one, err);
}

std::shared_ptr<grpc::Channel> Client::NewChannel(size_t index) const {
  bool tls = false;
  std::string target = Target(cfg_.endpoints[index], &tls);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, absl::ToInt64Milliseconds(cfg_.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, absl::ToInt64Milliseconds(cfg_.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(INT32_MAX);
  args.SetMaxSendMessageSize(2 * 1024 * 1024);
  if (cfg_.own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, creds_, args);
}

bool Client::Dial(const std::vector<size_t>& order, absl::Time deadline) {
  // A zero --dial-timeout means no dial bound of its own (clientv3 dials without blocking).
  absl::Time dial_deadline = cfg_.dial_timeout > absl::ZeroDuration()
                                 ? std::min(deadline, absl::Now() + cfg_.dial_timeout)
                                 : deadline;
  // Every candidate connects at once; the first (in order) that is ready is used.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (size_t index : order) {
    channels.push_back(NewChannel(index));
    channels.back()->GetState(/*try_to_connect=*/true);
  }
  // Waiting for a state change is what drives a channel's I/O (gRPC polls only for waiters), so
  // each channel in turn is waited on for a moment.
  while (absl::Now() < dial_deadline) {
    for (size_t i = 0; i < channels.size(); ++i) {
      grpc_connectivity_state st = channels[i]->GetState(true);
      if (st == GRPC_CHANNEL_READY) {
        Adopt(order[i], channels[i]);
        return true;
      }
      absl::Time slice = std::min(dial_deadline, absl::Now() + absl::Milliseconds(2));
      channels[i]->WaitForStateChange(st, absl::ToChronoTime(slice));
    }
  }
  return false;
}

void Client::Adopt(size_t index, std::shared_ptr<grpc::Channel> channel) {
  current_ = index;
  channel_ = channel;
  kv_ = etcdserverpb::KV::NewStub(channel);
  watch_ = etcdserverpb::Watch::NewStub(channel);
  lease_ = etcdserverpb::Lease::NewStub(channel);
  cluster_ = etcdserverpb::Cluster::NewStub(channel);
  maintenance_ = etcdserverpb::Maintenance::NewStub(channel);
  auth_ = etcdserverpb::Auth::NewStub(channel);
  lock_ = v3lockpb::Lock::NewStub(channel);
  election_ = v3electionpb::Election::NewStub(channel);
}

bool Client::Failover() {
  std::vector<size_t> others;
  for (size_t step = 1; step < cfg_.endpoints.size(); ++step) {
    others.push_back((current_ + step) % cfg_.endpoints.size());
  }
  if (others.empty() || !Dial(others, absl::InfiniteFuture())) return false;
  return cfg_.user.empty() || Authenticate().ok();
}

bool Client::IsStaleAuth(const grpc::Status& st) const {
  const std::string m = st.error_message();
  // clientv3's shouldRefreshToken: "user name is empty" only when it has a user to log in as.
  if (m == "etcdserver: user name is empty") return !cfg_.user.empty();
  return m == "etcdserver: invalid auth token" || m == "etcdserver: revision of auth store is old";
}

std::string Client::NewClientUuid() { return NewUuid(); }

std::string Client::GoErrorText(const grpc::Status& s) {
  std::string desc = s.error_message();  // a copy: gRPC returns it by value
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      !absl::StartsWith(desc, "etcdserver:")) {
    desc = "context deadline exceeded";
  } else if (s.error_code() == grpc::StatusCode::CANCELLED) {
    desc = "context canceled";
  }
  return absl::StrCat("rpc error: code = ", CodeName(s.error_code()), " desc = ", desc);
}

void Client::LogFailedAttempt(const grpc::Status& st, int attempt) const {
  if (st.ok()) return;
  bool tls = false;
  std::string line = absl::StrCat(
      "{\"level\":\"warn\",\"ts\":\"", ZapTime(absl::Now()),
      "\",\"caller\":\"clientv3/retry_interceptor.go:62\",\"msg\":\"retrying of unary invoker "
      "failed\",\"target\":");
  AppendGoJsonQuote(absl::StrCat("endpoint://client-", client_uuid_, "/", Target(endpoint(), &tls)),
                    &line);
  absl::StrAppend(&line, ",\"attempt\":", attempt, ",\"error\":");
  AppendGoJsonQuote(GoErrorText(st), &line);
  line.append("}\n");
  std::cerr << line << std::flush;
}

bool Client::RefreshToken() {
  absl::SleepFor(absl::Milliseconds(25));
  if (cfg_.user.empty()) return true;  // identity from the client certificate: just retry
  token_.clear();
  return Authenticate().ok();
}

grpc::Status Client::Authenticate() {
  etcdserverpb::AuthenticateRequest req;
  req.set_name(cfg_.user);
  req.set_password(cfg_.password);
  etcdserverpb::AuthenticateResponse resp;
  auto ctx = NewContext(cfg_.dial_timeout + cfg_.command_timeout);
  grpc::Status st = auth_->Authenticate(ctx.get(), req, &resp);
  if (st.ok()) token_ = resp.token();
  LogFailedAttempt(st, 0);  // clientv3 authenticates through the same interceptor
  return st;
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (timeout > absl::ZeroDuration()) ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token_.empty()) ctx->AddMetadata("token", token_);
  return ctx;
}

}  // namespace etcdpp::etcdctl
