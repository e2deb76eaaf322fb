#pragma once
// The HTTP side of the v2 API's clients (etcdctl's v2 commands, the server's v2 discovery):
// go.etcd.io/etcd/client's httpClusterClient on libcurl, which tries the endpoints in turn and
// reports every failure as etcd's ClusterError does.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp::v2client {

struct HttpOptions {
  // The HTTP proxy: unset, curl's environment (http_proxy, ...) as Go's ProxyFromEnvironment;
  // "" none; otherwise that proxy (etcd's --discovery-proxy).
  std::optional<std::string> proxy;
  std::string ca_file, cert_file, key_file;          // TLS (curl's CAINFO, SSLCERT, SSLKEY)
  std::string username, password;                    // basic auth when username is set
  absl::Duration header_timeout = absl::Seconds(2);  // --timeout: per request (0: none)
  absl::Duration dial_timeout = absl::Seconds(30);
  bool debug = false;  // --debug: print the cURL command of every request on stderr
};

struct HttpRequest {
  std::string method;  // GET, PUT, POST, DELETE
  std::string path;    // "/v2/keys/foo" (escaped)
  std::string query;   // "a=1&b=2" (escaped), may be empty
  std::string form;    // an x-www-form-urlencoded body, or empty
  bool has_form = false;
  bool json = false;        // the body is JSON (auth and members requests)
  bool wait = false;        // a long poll: no timeout but the deadline
  bool any_status = false;  // a 5xx answer is the answer (a plain http.Client.Get)
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// The cluster client: endpoints as URLs ("http://127.0.0.1:2379").
class ClusterClient {
 public:
  ClusterClient(std::vector<std::string> endpoints, HttpOptions opts);
  // Sends req to the pinned endpoint, then to the others on a transport error or a 5xx
  // answer. The error text is etcd's ("client: etcd cluster is unavailable or misconfigured;
  // error #0: dial tcp 127.0.0.1:1: connect: connection refused\n"); *detail gets the
  // ClusterError's Detail() lines. deadline: absl::InfiniteFuture() for none.
  absl::StatusOr<HttpResponse> Do(const HttpRequest& req, absl::Time deadline, std::string* detail);
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // The failures of the last Do that found no endpoint (Go's texts), and whether every one of
  // them was a connection failure (etcdctl's isConnectionError: exit 2 rather than 4).
  const std::vector<std::string>& last_errors() const { return last_errors_; }
  bool last_connection_error() const { return last_connection_error_; }
  void SetEndpoints(std::vector<std::string> eps) {
    endpoints_ = std::move(eps);
    pinned_ = 0;
  }

 private:
  std::vector<std::string> endpoints_;
  HttpOptions opts_;
  size_t pinned_ = 0;
  std::vector<std::string> last_errors_;
  bool last_connection_error_ = false;
};

// Go's url.QueryEscape / url.PathEscape-in-a-path (what url.URL.String() writes for a path).
std::string QueryEscape(const std::string& s);
std::string PathEscape(const std::string& s);
// Go's path.Clean with the trailing slash kept (pkg/pathutil.CanonicalURLPath).
std::string CanonicalUrlPath(const std::string& p);

}  // namespace etcdpp::v2client
