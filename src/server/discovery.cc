#include "server/discovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "common/v2client/http_client.h"
#include "common/v2client/keys_format.h"
#include "server/log/zap_log.h"

namespace etcdpp::server {
namespace {

using v2client::ClusterClient;
using v2client::HttpRequest;
using v2client::HttpResponse;
using v2client::Node;
using v2client::Response;

constexpr absl::Duration kRequestTimeout = absl::Seconds(5);  // client.DefaultRequestTimeout
constexpr unsigned kMaxExponentialRetries = 8;
constexpr int kKeyNotFound = 100;
constexpr int kNodeExist = 105;

absl::Status DiscoveryError(const char* text) { return absl::FailedPreconditionError(text); }

// The last element of a key path (Go's path.Base).
std::string Base(const std::string& key) {
  std::string k = key;
  while (k.size() > 1 && k.back() == '/') k.pop_back();
  size_t slash = k.rfind('/');
  return slash == std::string::npos ? k : k.substr(slash + 1);
}

// One answer of the keys API: the response, or etcd's error code (0: not a keys error), or the
// service could not be reached (`unreachable`, to be retried).
struct Answer {
  absl::StatusOr<Response> resp = absl::UnknownError("");
  int code = 0;
  bool unreachable = false;
  bool empty = false;  // a 200 with no body: a long poll the server ended without an event
};

class Discovery {
 public:
  Discovery(std::string endpoint, std::string cluster, std::string proxy, uint64_t id,
            std::string url)
      : cluster_(std::move(cluster)), id_(id), url_(std::move(url)) {
    v2client::HttpOptions o;
    o.proxy = std::move(proxy);
    o.header_timeout = absl::ZeroDuration();  // each call has its own deadline
    client_ = std::make_unique<ClusterClient>(std::vector<std::string>{std::move(endpoint)}, o);
  }

  absl::StatusOr<std::string> Join(const std::string& config) {
    // The fast path: a full cluster fails before this member registers.
    std::vector<Node> nodes;
    uint64_t size = 0, index = 0;
    RETURN_NOT_OK(CheckCluster(&nodes, &size, &index));
    RETURN_NOT_OK(CreateSelf(config));
    RETURN_NOT_OK(CheckCluster(&nodes, &size, &index));
    RETURN_NOT_OK(WaitNodes(&nodes, size, index));
    return NodesToCluster(nodes, size);
  }

  absl::StatusOr<std::string> Get() {
    std::vector<Node> nodes;
    uint64_t size = 0, index = 0;
    absl::Status st = CheckCluster(&nodes, &size, &index);
    if (st.message() == kDiscoveryFullCluster) return NodesToCluster(nodes, size);
    RETURN_NOT_OK(st);
    RETURN_NOT_OK(WaitNodes(&nodes, size, index));
    return NodesToCluster(nodes, size);
  }

 private:
  std::string SelfKey() const { return absl::StrCat(cluster_, "/", absl::Hex(id_)); }

  Answer Call(HttpRequest req, absl::Time deadline) {
    Answer a;
    std::string detail;
    absl::StatusOr<HttpResponse> r = client_->Do(req, deadline, &detail);
    if (!r.ok()) {
      SPDLOG_WARN("{}", log::With("failed to get from discovery server",
                                  log::Fields()
                                      .Str("discovery-url", url_)
                                      .Str("path", req.path)
                                      .Str("error", std::string(r.status().message()))));
      a.unreachable = true;
      a.resp = r.status();
      return a;
    }
    if (r->status == 200 || r->status == 201) {
      a.empty = r->body.empty();
      auto it = r->headers.find("x-etcd-index");
      a.resp = v2client::ParseResponse(r->body, it == r->headers.end() ? "" : it->second);
      return a;
    }
    absl::StatusOr<v2client::KeysError> e = v2client::ParseKeysError(r->body);
    if (e.ok()) {
      a.code = e->code;
      a.resp = absl::FailedPreconditionError(e->Text());
    } else {
      a.resp = e.status();
    }
    return a;
  }

  Answer Get(const std::string& key) {
    HttpRequest req{"GET", v2client::PathEscape(key)};
    req.query = "quorum=false&recursive=false&sorted=false";
    return Call(req, absl::Now() + kRequestTimeout);
  }

  // A long poll for the first change at or after wait_index under key.
  Answer Watch(const std::string& key, uint64_t wait_index, bool recursive) {
    HttpRequest req{"GET", v2client::PathEscape(key)};
    req.query = absl::StrCat("recursive=", recursive ? "true" : "false",
                             "&wait=true&waitIndex=", wait_index);
    req.wait = true;
    for (;;) {
      Answer a = Call(req, absl::InfiniteFuture());
      if (!a.empty) return a;  // else the server ended the poll without an event: ask again
    }
  }

  void Backoff(const char* step) {
    ++retries_;
    unsigned n = std::min(retries_, kMaxExponentialRetries);
    absl::Duration wait = absl::Seconds(int64_t{1} << n);
    SPDLOG_INFO("{}", log::With("retry connecting to discovery service",
                                log::Fields()
                                    .Str("url", url_)
                                    .Str("reason", step)
                                    .Str("backoff", absl::FormatDuration(wait))));
    absl::SleepFor(wait);
  }

  // checkCluster: the size, the registered members in creation order, the index to watch from;
  // kDiscoveryFullCluster (with the first `size` members) when this member is not among them.
  absl::Status CheckCluster(std::vector<Node>* nodes, uint64_t* size, uint64_t* index) {
    for (;;) {
      Answer a = Get(absl::StrCat(cluster_, "/_config/size"));
      if (a.unreachable) {
        Backoff("cluster status check");
        continue;
      }
      if (a.code == kKeyNotFound) return DiscoveryError("discovery: size key not found");
      if (!a.resp.ok()) {
        if (a.code == 0) return DiscoveryError("discovery: bad discovery endpoint");
        return a.resp.status();
      }
      if (!a.resp->node || !absl::SimpleAtoi(a.resp->node->value, size)) {
        return DiscoveryError("discovery: size key is bad");
      }
      Answer list = Get(cluster_);
      if (list.unreachable) {
        Backoff("cluster status check");
        continue;
      }
      if (!list.resp.ok()) return list.resp.status();
      nodes->clear();
      if (list.resp->node) {
        for (const Node& n : list.resp->node->nodes) {
          if (Base(n.key) != "_config") nodes->push_back(n);
        }
      }
      std::stable_sort(nodes->begin(), nodes->end(), [](const Node& a, const Node& b) {
        return a.created_index < b.created_index;
      });
      *index = list.resp->index;
      const std::string self = Base(SelfKey());
      for (size_t i = 0; i < nodes->size(); ++i) {
        if (Base((*nodes)[i].key) == self) break;
        if (i + 1 >= *size) {
          nodes->resize(*size);
          return DiscoveryError(kDiscoveryFullCluster);
        }
      }
      return absl::OkStatus();
    }
  }

  absl::Status CreateSelf(const std::string& config) {
    HttpRequest req{"PUT", v2client::PathEscape(SelfKey())};
    req.query = "prevExist=false";
    req.form = absl::StrCat("value=", v2client::QueryEscape(config));
    req.has_form = true;
    Answer a = Call(req, absl::Now() + kRequestTimeout);
    if (a.code == kNodeExist) return DiscoveryError(kDiscoveryDuplicateId);
    if (!a.resp.ok()) return a.resp.status();
    // Make sure this member's key is visible on the server we talk to.
    uint64_t created = a.resp->node ? a.resp->node->created_index : 0;
    Answer seen = Watch(SelfKey(), created, false);
    return seen.resp.ok() ? absl::OkStatus() : seen.resp.status();
  }

  absl::Status WaitNodes(std::vector<Node>* nodes, uint64_t size, uint64_t index) {
    for (;;) {
      if (nodes->size() > size) nodes->resize(size);
      const std::string self = Base(SelfKey());
      for (const Node& n : *nodes) {
        SPDLOG_INFO("{}", log::With(Base(n.key) == self ? "found self from discovery server"
                                                        : "found peer from discovery server",
                                    log::Fields()
                                        .Str("discovery-url", url_)
                                        .Str(Base(n.key) == self ? "self" : "peer", Base(n.key))));
      }
      uint64_t next = index + 1;
      bool lost = false;
      while (nodes->size() < size) {
        SPDLOG_INFO(
            "{}", log::With("found peers from discovery server; waiting for more",
                            log::Fields()
                                .Str("discovery-url", url_)
                                .Int("found-peers", static_cast<int64_t>(nodes->size()))
                                .Int("needed-peers", static_cast<int64_t>(size - nodes->size()))));
        Answer a = Watch(cluster_, next, true);
        if (a.unreachable) {
          lost = true;
          break;
        }
        if (!a.resp.ok()) return a.resp.status();
        if (!a.resp->node) return absl::DataLossError("discovery: a watch answered no node");
        SPDLOG_INFO(
            "{}",
            log::With(
                "found peer from discovery server",
                log::Fields().Str("discovery-url", url_).Str("peer", Base(a.resp->node->key))));
        next = a.resp->node->modified_index + 1;
        nodes->push_back(*a.resp->node);
      }
      if (!lost) break;
      Backoff("waiting for other nodes");
      RETURN_NOT_OK(CheckCluster(nodes, &size, &index));
    }
    SPDLOG_INFO("{}", log::With("found all needed peers from discovery server",
                                log::Fields()
                                    .Str("discovery-url", url_)
                                    .Int("found-peers", static_cast<int64_t>(nodes->size()))));
    return absl::OkStatus();
  }

  // nodesToCluster: the values joined; every registration must name a different member.
  static absl::StatusOr<std::string> NodesToCluster(const std::vector<Node>& nodes, uint64_t size) {
    std::vector<std::string> values;
    std::set<std::string> names;
    for (const Node& n : nodes) {
      values.push_back(n.value);
      for (absl::string_view pair : absl::StrSplit(n.value, ',')) {
        size_t eq = pair.find('=');
        if (eq == absl::string_view::npos || eq == 0 || eq + 1 == pair.size()) {
          return DiscoveryError("discovery: invalid URL");
        }
        names.insert(std::string(pair.substr(0, eq)));
      }
    }
    if (names.size() != size) return DiscoveryError(kDiscoveryDuplicateName);
    return absl::StrJoin(values, ",");
  }

  std::unique_ptr<ClusterClient> client_;
  const std::string cluster_;  // the token's key path, e.g. /v2/keys/discovery/<token>
  const uint64_t id_;
  const std::string url_;
  unsigned retries_ = 0;
};

// newDiscovery: the service's endpoint and the token's path of the URL; the proxy sanitized as
// etcd does (a bare host:port gets http://).
absl::StatusOr<std::unique_ptr<Discovery>> NewDiscovery(const DiscoveryOptions& opts, uint64_t id) {
  size_t scheme = opts.url.find("://");
  if (scheme == std::string::npos || scheme == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse \"", opts.url, "\": missing protocol scheme"));
  }
  size_t path = opts.url.find('/', scheme + 3);
  std::string endpoint = opts.url.substr(0, path);
  std::string cluster = path == std::string::npos ? "" : opts.url.substr(path);
  while (cluster.size() > 1 && cluster.back() == '/') cluster.pop_back();
  std::string proxy = opts.proxy;
  if (!proxy.empty() && !absl::StartsWith(proxy, "http")) proxy = "http://" + proxy;
  if (!proxy.empty()) {
    SPDLOG_INFO("{}",
                log::With("running proxy with discovery", log::Fields().Str("proxy-url", proxy)));
  }
  return std::make_unique<Discovery>(std::move(endpoint), std::move(cluster), std::move(proxy), id,
                                     opts.url);
}

}  // namespace

absl::StatusOr<std::string> DiscoveryJoinCluster(const DiscoveryOptions& opts, uint64_t id,
                                                 const std::string& config) {
  ASSIGN_OR_RETURN(std::unique_ptr<Discovery> d, NewDiscovery(opts, id));
  return d->Join(config);
}

absl::StatusOr<std::string> DiscoveryGetCluster(const DiscoveryOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<Discovery> d, NewDiscovery(opts, 0));
  return d->Get();
}

}  // namespace etcdpp::server
