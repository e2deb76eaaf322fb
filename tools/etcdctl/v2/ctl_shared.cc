#include "v2/ctl_shared.h"

#include <signal.h>
#include <unistd.h>

#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/dns_srv.h"
#include "common/go_text.h"
#include "password_prompt.h"
#include "srv_discovery.h"

namespace etcdpp::etcdctl::v2 {

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

using google::protobuf::Struct;
using google::protobuf::Value;

// What transport.NewTransport checks of the TLS files before any request: the certificate and
// key come together and every file is readable ("open /x: no such file or directory").
std::optional<std::string> TlsFilesError(const HttpOptions& o) {
  if ((!o.cert_file.empty() || !o.key_file.empty()) &&
      (o.cert_file.empty() || o.key_file.empty())) {
    return absl::StrCat("KeyFile and CertFile must both be present[key: ", o.key_file,
                        ", cert: ", o.cert_file, "]");
  }
  for (const std::string* f : {&o.cert_file, &o.key_file, &o.ca_file}) {
    if (f->empty()) continue;
    FILE* fp = std::fopen(f->c_str(), "r");
    if (fp == nullptr) {
      std::string err = std::strerror(errno);
      if (!err.empty()) err[0] = absl::ascii_tolower(err[0]);
      return absl::StrCat("open ", *f, ": ", err);
    }
    std::fclose(fp);
  }
  return std::nullopt;
}

HttpOptions TlsOptions(Context& c) {
  HttpOptions opts;
  opts.ca_file = c.GlobalString("ca-file");
  if (opts.ca_file.empty()) opts.ca_file = Getenv("ETCDCTL_CA_FILE");
  opts.cert_file = c.GlobalString("cert-file");
  if (opts.cert_file.empty()) opts.cert_file = Getenv("ETCDCTL_CERT_FILE");
  opts.key_file = c.GlobalString("key-file");
  if (opts.key_file.empty()) opts.key_file = Getenv("ETCDCTL_KEY_FILE");
  return opts;
}

namespace {

// --- the client (ctlv2/command/util.go) -------------------------------------------------------

// url.Parse and the "http" default of getEndpoints.
absl::StatusOr<std::string> NormalizeEndpoint(const std::string& ep) {
  if (ep.find("://") != std::string::npos) return ep;
  // Go's getScheme: a scheme is letters first, then letters, digits, '+', '-', '.', up to ':'.
  size_t i = 0;
  while (i < ep.size() &&
         (absl::ascii_isalpha(ep[i]) || (i > 0 && (absl::ascii_isdigit(ep[i]) || ep[i] == '+' ||
                                                   ep[i] == '-' || ep[i] == '.')))) {
    ++i;
  }
  if (i < ep.size() && ep[i] == ':') {
    if (i == 0)
      return absl::InvalidArgumentError(
          absl::StrCat("parse ", GoQuote(ep), ": missing protocol scheme"));
    return ep;  // "scheme:opaque", kept as Go keeps it
  }
  size_t colon = ep.find(':'), slash = ep.find('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse ", GoQuote(ep), ": first path segment in URL cannot contain colon"));
  }
  return "http://" + ep;
}

std::vector<std::string> PeersFlagValue(Context& c) {
  std::string peers = c.GlobalString("endpoints");
  if (peers.empty()) peers = Getenv("ETCDCTL_ENDPOINTS");
  if (peers.empty()) peers = c.GlobalString("endpoint");
  if (peers.empty()) peers = Getenv("ETCDCTL_ENDPOINT");
  if (peers.empty()) peers = c.GlobalString("peers");
  if (peers.empty()) peers = Getenv("ETCDCTL_PEERS");
  if (peers.empty()) peers = "http://127.0.0.1:2379,http://127.0.0.1:4001";
  return absl::StrSplit(peers, ',');
}

absl::Duration GlobalDuration(Context& c, const std::string& name) {
  return GoParseDuration(c.GlobalString(name)).value_or(absl::ZeroDuration());
}

// newClient: errors are printed as they are (no "Error:") with exit 1.
std::unique_ptr<ClusterClient> NewClient(Context& c) {
  std::string domain = c.GlobalString("discovery-srv");
  if (domain.empty()) domain = Getenv("ETCDCTL_DISCOVERY_SRV");
  bool insecure =
      c.GlobalBool("insecure-discovery") || !Getenv("ETCDCTL_INSECURE_DISCOVERY").empty();
  std::vector<std::string> eps;
  if (!domain.empty()) {
    absl::StatusOr<std::vector<std::string>> found = DiscoverEndpoints(
        domain, Getenv("ETCDCTL_DISCOVERY_SRV_NAME"), insecure, LookupSrv, std::cerr);
    if (!found.ok()) {
      std::cerr << found.status().message() << "\n";
      Exit(1);
    }
    eps = *found;
  }
  if (eps.empty()) eps = PeersFlagValue(c);
  for (std::string& ep : eps) {
    absl::StatusOr<std::string> n = NormalizeEndpoint(ep);
    if (!n.ok()) {
      std::cerr << n.status().message() << "\n";
      Exit(1);
    }
    ep = *n;
  }
  HttpOptions opts = TlsOptions(c);
  if (std::optional<std::string> err = TlsFilesError(opts)) {
    std::cerr << *err << "\n";
    Exit(1);
  }
  absl::Duration total = GlobalDuration(c, "total-timeout");
  if (total != absl::ZeroDuration() && total < opts.dial_timeout) opts.dial_timeout = total;
  opts.header_timeout = GlobalDuration(c, "timeout");
  opts.debug = c.GlobalBool("debug");
  std::string user = c.GlobalString("username");
  if (user.empty()) user = Getenv("ETCDCTL_USERNAME");
  if (!user.empty()) {
    size_t colon = user.find(':');
    if (colon == std::string::npos) {
      opts.username = user;
      opts.password = AskPassword("Password: ");
    } else {
      opts.username = user.substr(0, colon);
      opts.password = user.substr(colon + 1);
    }
  }
  return std::make_unique<ClusterClient>(std::move(eps), std::move(opts));
}

Member ToMember(const Struct& s) {
  return Member{StringField(s, "id"), StringField(s, "name"), StringList(s, "peerURLs"),
                StringList(s, "clientURLs")};
}

}  // namespace

[[noreturn]] void Exit(int code) { throw ExitNow{code}; }

// handleError: "Error:  <err>" (Println's two spaces), the ClusterError's detail after it.
[[noreturn]] void HandleError(int code, absl::string_view msg, absl::string_view detail) {
  std::cout.flush();
  std::cerr << "Error:  " << msg << "\n";
  if (!detail.empty()) std::cerr << detail << "\n";
  Exit(code);
}

absl::Time TotalDeadline(Context& c) { return absl::Now() + GlobalDuration(c, "total-timeout"); }

absl::StatusOr<Struct> ParseJson(const std::string& body) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(body, &s).ok()) {
    return absl::InvalidArgumentError("invalid character in JSON body");
  }
  return s;
}

std::vector<std::string> StringList(const Struct& s, const char* name) {
  std::vector<std::string> out;
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() != Value::kListValue) return out;
  for (const Value& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

std::string StringField(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

// MembersAPI.List.
absl::StatusOr<std::vector<Member>> ListMembers(ClusterClient& cl, absl::Time deadline,
                                                CallError* err) {
  HttpRequest req{"GET", "/v2/members"};
  absl::StatusOr<HttpResponse> r = cl.Do(req, deadline, &err->detail);
  if (!r.ok()) {
    err->msg = std::string(r.status().message());
    err->connection = cl.last_connection_error();
    return r.status();
  }
  if (r->status != 200) {
    err->msg = absl::StrCat("unexpected status code ", r->status);
    return absl::UnknownError(err->msg);
  }
  absl::StatusOr<Struct> s = ParseJson(r->body);
  if (!s.ok()) {
    err->msg = std::string(s.status().message());
    return s.status();
  }
  std::vector<Member> out;
  auto it = s->fields().find("members");
  if (it != s->fields().end() && it->second.kind_case() == Value::kListValue) {
    for (const Value& v : it->second.list_value().values())
      out.push_back(ToMember(v.struct_value()));
  }
  return out;
}

// mustNewClient: the client, synchronized with the cluster's member list unless --no-sync.
std::unique_ptr<ClusterClient> MustNewClient(Context& c) {
  std::unique_ptr<ClusterClient> cl = NewClient(c);
  bool debug = c.GlobalBool("debug");
  if (!c.GlobalBool("no-sync")) {
    if (debug) {
      std::cerr << "start to sync cluster using endpoints(" << absl::StrJoin(cl->endpoints(), ",")
                << ")\n";
    }
    CallError err;
    absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, TotalDeadline(c), &err);
    if (ms.ok()) {
      std::vector<std::string> eps;
      for (const Member& m : *ms) eps.insert(eps.end(), m.client_urls.begin(), m.client_urls.end());
      if (eps.empty()) {
        std::cerr << "etcd cluster has no published client endpoints.\n"
                  << "Try '--no-sync' if you want to access non-published client endpoints("
                  << absl::StrJoin(cl->endpoints(), ",") << ").\n";
        HandleError(kExitServerError, "client: no endpoints available");
      }
      if (eps != cl->endpoints()) cl->SetEndpoints(eps);
    } else if (err.connection) {
      HandleError(kExitBadConnection, err.msg, err.detail);
    }
    if (debug) {
      std::cerr << "got endpoints(" << absl::StrJoin(cl->endpoints(), ",") << ") after sync\n";
    }
  }
  if (debug) std::cerr << "Cluster-Endpoints: " << absl::StrJoin(cl->endpoints(), ", ") << "\n";
  return cl;
}

std::unique_ptr<ClusterClient> MustNewClientNoSync(Context& c) {
  std::unique_ptr<ClusterClient> cl = NewClient(c);
  if (c.GlobalBool("debug")) {
    std::cerr << "Cluster-Endpoints: " << absl::StrJoin(cl->endpoints(), ", ") << "\n";
  }
  return cl;
}

void Print(const std::string& s) { std::cout << s << std::flush; }

[[noreturn]] void PrintAndExit(const std::string& msg) {
  std::cout.flush();
  std::cerr << msg << "\n";
  Exit(1);
}

[[noreturn]] void PrintStatusAndExit(const absl::Status& s) {
  PrintAndExit(std::string(s.message()));
}

void ExitOnInterrupt() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { _exit(0); };
  sigaction(SIGINT, &sa, nullptr);
}

std::string AskPassword(const std::string& prompt) {
  std::cout << prompt << std::flush;
  bool tty = false;
  std::string line = ReadLineWithoutEcho(&tty);
  std::cout << "\n" << std::flush;
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace etcdpp::etcdctl::v2
