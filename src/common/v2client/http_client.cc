#include "common/v2client/http_client.h"

#include <curl/curl.h>

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace etcdpp::v2client {
namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    (*headers)[name] = value;
  }
  return size * n;
}

// "127.0.0.1:2379" of "http://127.0.0.1:2379/..."
std::string HostPort(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  std::string hp = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (hp.find(':') == std::string::npos) {
    hp += absl::StartsWith(url, "https") ? ":443" : ":80";
  }
  return hp;
}

// Go's net/http error for what curl reports (the texts etcd's client shows).
std::string TransportError(CURLcode code, const std::string& url, const char* errbuf) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return absl::StrCat("dial tcp ", HostPort(url), ": connect: connection refused");
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::StrCat("dial tcp: lookup ", HostPort(url).substr(0, HostPort(url).rfind(':')),
                          ": no such host");
    case CURLE_OPERATION_TIMEDOUT:
      return absl::StrCat("client: endpoint ", url, " exceeded header timeout");
    default:
      return errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(code));
  }
}

std::string GoStatusText(long code) {
  switch (code) {
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

bool Unreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

}  // namespace

std::string QueryEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

std::string PathEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c) || c == '$' || c == '&' || c == '+' || c == ',' || c == '/' || c == ':' ||
        c == ';' || c == '=' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

std::string CanonicalUrlPath(const std::string& p) {
  if (p.empty()) return "/";
  std::string in = p[0] == '/' ? p : "/" + p;
  std::vector<std::string> parts;
  for (absl::string_view seg : absl::StrSplit(in, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(seg);
  }
  std::string out = "/" + absl::StrJoin(parts, "/");
  if (in.back() == '/' && out != "/") out += "/";
  return out;
}

ClusterClient::ClusterClient(std::vector<std::string> endpoints, HttpOptions opts)
    : endpoints_(std::move(endpoints)), opts_(std::move(opts)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

absl::StatusOr<HttpResponse> ClusterClient::Do(const HttpRequest& req, absl::Time deadline,
                                               std::string* detail) {
  if (endpoints_.empty()) return absl::FailedPreconditionError("client: no endpoints available");
  // A context that has already expired fails before any dial (Go checks ctx first).
  if (deadline != absl::InfiniteFuture() && absl::Now() >= deadline) {
    last_errors_.clear();
    last_connection_error_ = true;
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  std::vector<std::string> errors;
  bool all_connection = true;
  for (size_t n = 0; n < endpoints_.size(); ++n) {
    size_t k = (pinned_ + n) % endpoints_.size();
    std::string url = endpoints_[k];
    while (absl::EndsWith(url, "/")) url.pop_back();
    url += req.path;
    if (!req.query.empty()) absl::StrAppend(&url, "?", req.query);
    if (opts_.debug) {
      std::string cmd = absl::StrCat("curl -X ", req.method, " ", url);
      if (req.has_form) absl::StrAppend(&cmd, " -d \"", req.form, "\"");
      std::cerr << "cURL Command: " << cmd << "\n";
    }
    CURL* h = curl_easy_init();
    if (h == nullptr) return absl::InternalError("curl_easy_init failed");
    HttpResponse resp;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
    curl_easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(opts_.dial_timeout))));
    if (req.has_form || req.json) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.form.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.form.size()));
    }
    headers =
        curl_slist_append(headers, req.json ? "Content-Type: application/json"
                                            : "Content-Type: application/x-www-form-urlencoded");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (opts_.proxy) curl_easy_setopt(h, CURLOPT_PROXY, opts_.proxy->c_str());
    if (!opts_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts_.ca_file.c_str());
    if (!opts_.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, opts_.cert_file.c_str());
    if (!opts_.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, opts_.key_file.c_str());
    if (!opts_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(h, CURLOPT_USERNAME, opts_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, opts_.password.c_str());
    }
    // A long poll is bounded by the deadline only; others also by the per-request timeout.
    absl::Duration limit = absl::InfiniteDuration();
    if (deadline != absl::InfiniteFuture()) limit = deadline - absl::Now();
    if (!req.wait && opts_.header_timeout > absl::ZeroDuration()) {
      limit = std::min(limit, opts_.header_timeout);
    }
    if (limit != absl::InfiniteDuration()) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                       std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(limit))));
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    if (rc == CURLE_OPERATION_TIMEDOUT && deadline != absl::InfiniteFuture() &&
        absl::Now() >= deadline) {
      last_errors_.clear();
      last_connection_error_ = true;  // a net.Error whose Timeout() is true
      return absl::DeadlineExceededError("context deadline exceeded");
    }
    if (rc != CURLE_OK) {
      errors.push_back(TransportError(rc, endpoints_[k], errbuf));
      all_connection =
          all_connection && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                             rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR);
      continue;
    }
    if (resp.status / 100 == 5 && !req.any_status) {
      all_connection = false;
      if (resp.status == 500 || resp.status == 503) {
        errors.push_back(absl::StrCat("client: etcd member ", endpoints_[k], " has no leader"));
      } else {
        errors.push_back(absl::StrCat("client: etcd member ", endpoints_[k],
                                      " returns server error [", GoStatusText(resp.status), "]"));
      }
      continue;
    }
    pinned_ = k;
    return resp;
  }
  last_errors_ = errors;
  last_connection_error_ = all_connection && !errors.empty();
  std::string msg = "client: etcd cluster is unavailable or misconfigured";
  detail->clear();
  for (size_t i = 0; i < errors.size(); ++i) {
    absl::StrAppend(&msg, "; error #", i, ": ", errors[i], "\n");
    absl::StrAppend(detail, "error #", i, ": ", errors[i], "\n");
  }
  return absl::UnavailableError(msg);
}

}  // namespace etcdpp::v2client
