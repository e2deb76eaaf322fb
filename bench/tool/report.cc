#include "bench/tool/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace etcdpp::bench {
namespace {

const char* GoCodeName(grpc::StatusCode c) {
  static const char* const kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? kNames[i] : "Unknown";
}

double Ms(int64_t ns) { return ns / 1e6; }

// Nearest-rank percentile of sorted values.
double Pct(const std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * v.size() - 1e-9));
  return Ms(v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)]);
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      absl::StrAppend(&out, "\\", std::string(1, c));
    else if (c < 0x20)
      absl::StrAppendFormat(&out, "\\u%04x", c);
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string JsonFields(const Summary& s) {
  std::string errs;
  for (const auto& [msg, n] : s.error_counts) {
    absl::StrAppend(&errs, errs.empty() ? "" : ",", "\"", JsonEscape(msg), "\":", n);
  }
  return absl::StrFormat(
      "\"requests\":%d,\"errors\":%d,\"seconds\":%.3f,\"rps\":%.1f,\"avg_ms\":%.3f,"
      "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
      "\"error_counts\":{%s}",
      s.ok, s.errors, s.seconds, s.rps, s.avg_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms,
      errs);
}

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Recorder::Ok(int category, int64_t start_ns, int64_t end_ns) {
  lat_ns_[category].push_back(std::max<int64_t>(0, end_ns - start_ns));
  last_end_ns_ = std::max(last_end_ns_, end_ns);
}

void Recorder::Error(int category, int64_t end_ns, const std::string& message) {
  ++errors_[category][message];
  last_end_ns_ = std::max(last_end_ns_, end_ns);
}

void Recorder::Error(int category, int64_t end_ns, const grpc::Status& status) {
  Error(category, end_ns, GoErrorString(status));
}

void Recorder::Merge(const Recorder& other) {
  for (int c = 0; c < categories() && c < other.categories(); ++c) {
    lat_ns_[c].insert(lat_ns_[c].end(), other.lat_ns_[c].begin(), other.lat_ns_[c].end());
    for (const auto& [msg, n] : other.errors_[c]) errors_[c][msg] += n;
  }
  last_end_ns_ = std::max(last_end_ns_, other.last_end_ns_);
}

std::string GoErrorString(const grpc::Status& status) {
  return absl::StrCat("rpc error: code = ", GoCodeName(status.error_code()),
                      " desc = ", status.error_message());
}

Summary Summarize(const std::string& name, Recorder* rec, int category, double seconds) {
  Summary s;
  s.name = name;
  s.seconds = seconds;
  s.error_counts = rec->errors(category);
  for (const auto& [msg, n] : s.error_counts) s.errors += n;
  std::vector<int64_t>& v = rec->latencies(category);
  std::sort(v.begin(), v.end());
  s.ok = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  s.rps = seconds > 0 ? s.ok / seconds : 0;
  double sum = 0, sq = 0;
  for (int64_t x : v) sum += Ms(x);
  s.avg_ms = sum / v.size();
  for (int64_t x : v) sq += (Ms(x) - s.avg_ms) * (Ms(x) - s.avg_ms);
  s.stddev_ms = std::sqrt(sq / v.size());
  s.min_ms = Ms(v.front());
  s.max_ms = Ms(v.back());
  s.p10_ms = Pct(v, 10);
  s.p25_ms = Pct(v, 25);
  s.p50_ms = Pct(v, 50);
  s.p75_ms = Pct(v, 75);
  s.p90_ms = Pct(v, 90);
  s.p95_ms = Pct(v, 95);
  s.p99_ms = Pct(v, 99);
  s.p999_ms = Pct(v, 99.9);
  return s;
}

std::string FormatText(const Summary& s) {
  std::string out = absl::StrFormat(
      "%s summary:\n  Total:\t%.4f secs.\n  Requests:\t%d ok, %d errors\n"
      "  Slowest:\t%.4f secs.\n  Fastest:\t%.4f secs.\n  Average:\t%.4f secs.\n"
      "  Stddev:\t%.4f secs.\n  Requests/sec:\t%.4f\n",
      s.name, s.seconds, s.ok, s.errors, s.max_ms / 1e3, s.min_ms / 1e3, s.avg_ms / 1e3,
      s.stddev_ms / 1e3, s.rps);
  if (s.ok > 0) {
    absl::StrAppendFormat(&out,
                          "\nLatency distribution:\n  10%% in %.4f secs.\n  25%% in %.4f secs.\n"
                          "  50%% in %.4f secs.\n  75%% in %.4f secs.\n  90%% in %.4f secs.\n"
                          "  95%% in %.4f secs.\n  99%% in %.4f secs.\n  99.9%% in %.4f secs.\n",
                          s.p10_ms / 1e3, s.p25_ms / 1e3, s.p50_ms / 1e3, s.p75_ms / 1e3,
                          s.p90_ms / 1e3, s.p95_ms / 1e3, s.p99_ms / 1e3, s.p999_ms / 1e3);
  }
  if (!s.error_counts.empty()) {
    absl::StrAppend(&out, "\nError distribution:\n");
    for (const auto& [msg, n] : s.error_counts) absl::StrAppendFormat(&out, "  [%d]\t%s\n", n, msg);
  }
  return out;
}

std::string FormatJson(const std::string& workload, const std::vector<Summary>& all,
                       const std::string& extra) {
  std::string out = absl::StrCat("{\"workload\":\"", workload, "\"");
  if (!all.empty()) absl::StrAppend(&out, ",", JsonFields(all[0]));
  if (all.size() > 1) {
    absl::StrAppend(&out, ",\"categories\":{");
    bool first = true;
    for (size_t i = 1; i < all.size(); ++i) {
      if (all[i].ok + all[i].errors == 0) continue;
      absl::StrAppend(&out, first ? "" : ",", "\"", all[i].name, "\":{", JsonFields(all[i]), "}");
      first = false;
    }
    absl::StrAppend(&out, "}");
  }
  if (!extra.empty()) absl::StrAppend(&out, ",", extra);
  absl::StrAppend(&out, "}");
  return out;
}

}  // namespace etcdpp::bench
