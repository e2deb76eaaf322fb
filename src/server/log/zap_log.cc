#include "server/log/zap_log.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_text.h"
#include "common/sd_notify.h"
#include "spdlog/details/log_msg.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::log {
namespace {

// The payload layout of With(): kMark, the message, kMark, then the fields, each as
// kField key kValue kind json-value, where an array's elements are separated by kElem. The
// field bytes are JSON-escaped text, so none of these control bytes occurs raw in them; the
// message may hold any bytes, so the fields start after the last kMark.
constexpr char kMark = '\x1e';
constexpr char kField = '\x1f';
constexpr char kValue = '\x1d';
constexpr char kElem = '\x1c';
constexpr char kScalar = 's';
constexpr char kArray = 'a';

constexpr char kJournalSocket[] = "/run/systemd/journal/socket";

std::string_view View(spdlog::string_view_t s) { return {s.data(), s.size()}; }

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    default:
      return "fatal";
  }
}

// Go's time.Format("2006-01-02T15:04:05.000000Z0700") of `t` in local time.
void AppendTime(spdlog::log_clock::time_point t, std::string* out) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  absl::StrAppendFormat(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(micros % 1000000));
  if (tm.tm_gmtoff == 0) {
    out->push_back('Z');
    return;
  }
  const long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
  absl::StrAppendFormat(out, "%c%02d%02d", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600,
                        (off % 3600) / 60);
}

// zap's ShortCallerEncoder: the last directory and the file name, then ":line".
std::string ShortCaller(const spdlog::source_loc& loc) {
  std::string_view path = loc.filename;
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos && slash > 0) {
    size_t dir = path.rfind('/', slash - 1);
    path = path.substr(dir == std::string_view::npos ? 0 : dir + 1);
  }
  return absl::StrCat(std::string(path), ":", loc.line);
}

// The pieces of `s` between `sep` bytes (one empty piece for an empty `s`).
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// Appends `encoded` (the fields of a payload) as JSON members; `spaced` is zap's console form
// ("key": value, ", " between members and between array elements).
void AppendFields(std::string_view encoded, bool spaced, std::string* out) {
  const std::string_view sep = spaced ? ", " : ",";
  bool first = true;
  for (std::string_view field : Split(encoded, kField)) {
    const size_t v = field.find(kValue);
    if (v == std::string_view::npos || v + 1 >= field.size()) continue;
    if (!first) out->append(sep);
    first = false;
    AppendJsonQuoteLossy(field.substr(0, v), out);
    out->append(spaced ? ": " : ":");
    std::string_view value = field.substr(v + 2);
    if (field[v + 1] == kScalar) {
      out->append(value);
      continue;
    }
    out->push_back('[');
    if (!value.empty()) {
      bool first_elem = true;
      for (std::string_view elem : Split(value, kElem)) {
        if (!first_elem) out->append(sep);
        first_elem = false;
        out->append(elem);
      }
    }
    out->push_back(']');
  }
}

class ZapFormatter final : public spdlog::formatter {
 public:
  explicit ZapFormatter(Encoding encoding) : encoding_(encoding) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    FormatZapLine(encoding_, msg, &line);
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<ZapFormatter>(encoding_);
  }

 private:
  Encoding encoding_;
};

// systemd's journal, by its native protocol (one datagram of FIELD=value lines; MESSAGE in the
// binary-safe form, since a line ends with a newline). A datagram that cannot be sent goes to
// stderr, as etcd's journal writer falls back.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string program) : program_(std::move(program)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string_view line(formatted.data(), formatted.size());
    std::string datagram;
    const int priority = msg.level <= spdlog::level::debug  ? 7
                         : msg.level == spdlog::level::info ? 6
                         : msg.level == spdlog::level::warn ? 4
                         : msg.level == spdlog::level::err  ? 3
                                                            : 2;
    absl::StrAppend(&datagram, "PRIORITY=", priority, "\n");
    std::string caller = msg.source.empty() ? "" : ShortCaller(msg.source);
    absl::StrAppend(
        &datagram, "PACKAGE=",
        caller.substr(0, caller.rfind('/') == std::string::npos ? 0 : caller.rfind('/')), "\n");
    absl::StrAppend(&datagram, "SYSLOG_IDENTIFIER=", program_, "\n");
    datagram += "MESSAGE\n";
    uint64_t n = line.size();
    for (int i = 0; i < 8; ++i) datagram.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    datagram.append(line);
    datagram.push_back('\n');
    if (!SendUnixDatagram(kJournalSocket, datagram).ok()) {
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  }
  void flush_() override {}

 private:
  std::string program_;
};

}  // namespace

Fields& Fields::Str(std::string_view key, std::string_view value) {
  absl::StrAppend(&encoded_, std::string(1, kField), std::string(key), std::string(1, kValue),
                  std::string(1, kScalar));
  AppendJsonQuoteLossy(value, &encoded_);
  return *this;
}

Fields& Fields::Int(std::string_view key, int64_t value) {
  absl::StrAppend(&encoded_, std::string(1, kField), std::string(key), std::string(1, kValue),
                  std::string(1, kScalar), value);
  return *this;
}

Fields& Fields::Bool(std::string_view key, bool value) {
  absl::StrAppend(&encoded_, std::string(1, kField), std::string(key), std::string(1, kValue),
                  std::string(1, kScalar), value ? "true" : "false");
  return *this;
}

Fields& Fields::Strs(std::string_view key, const std::vector<std::string>& values) {
  absl::StrAppend(&encoded_, std::string(1, kField), std::string(key), std::string(1, kValue),
                  std::string(1, kArray));
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) encoded_.push_back(kElem);
    AppendJsonQuoteLossy(values[i], &encoded_);
  }
  return *this;
}

Fields& Fields::Id(std::string_view key, uint64_t id) {
  return Str(key, absl::StrFormat("%x", id));
}

std::string With(std::string_view msg, const Fields& fields) {
  std::string out(1, kMark);
  out.append(msg);
  out.push_back(kMark);
  out.append(fields.encoded_);
  return out;
}

void FormatZapLine(Encoding encoding, const spdlog::details::log_msg& msg, std::string* out) {
  std::string_view payload = View(msg.payload);
  std::string_view text = payload;
  std::string_view fields;
  if (payload.size() >= 2 && payload.front() == kMark) {
    size_t last = payload.rfind(kMark);
    if (last > 0) {
      text = payload.substr(1, last - 1);
      fields = payload.substr(last + 1);
    }
  }
  if (encoding == Encoding::kJson) {
    absl::StrAppend(out, "{\"level\":\"", std::string(LevelName(msg.level)), "\",\"ts\":\"");
    AppendTime(msg.time, out);
    out->push_back('"');
    if (!msg.source.empty()) {
      out->append(",\"caller\":");
      AppendJsonQuoteLossy(ShortCaller(msg.source), out);
    }
    out->append(",\"msg\":");
    AppendJsonQuoteLossy(text, out);
    if (!fields.empty()) {
      out->push_back(',');
      AppendFields(fields, false, out);
    }
    out->append("}\n");
    return;
  }
  AppendTime(msg.time, out);
  absl::StrAppend(out, "\t", std::string(LevelName(msg.level)));
  if (!msg.source.empty()) absl::StrAppend(out, "\t", ShortCaller(msg.source));
  absl::StrAppend(out, "\t", std::string(text));
  if (!fields.empty()) {
    out->append("\t{");
    AppendFields(fields, true, out);
    out->push_back('}');
  }
  out->push_back('\n');
}

std::unique_ptr<spdlog::formatter> NewZapFormatter(Encoding encoding) {
  return std::make_unique<ZapFormatter>(encoding);
}

absl::Status SetUpLogging(const LogSetup& setup) {
  std::vector<spdlog::sink_ptr> sinks;
  bool journal = false;
  for (const std::string& out : setup.outputs) {
    if (out == "systemd/journal") journal = true;
  }
  if (journal && setup.outputs.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "running with systemd/journal but other '--log-outputs' values (", setup.outputs.size(),
        " in all) are configured; systemd/journal must be the only one"));
  }
  if (journal) {
    struct stat st {};
    if (::stat(kJournalSocket, &st) != 0) {
      return absl::UnavailableError(
          absl::StrCat("can't find journal (", kJournalSocket, ": ", std::strerror(errno), ")"));
    }
    sinks.push_back(std::make_shared<JournalSink>(setup.program));
  }
  for (const std::string& out : setup.outputs) {
    if (out == "systemd/journal") continue;
    if (out == "default" || out == "stderr") {
      sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else if (out == "stdout") {
      sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
    } else {
      // zap opens the path as given; spdlog would create missing directories first.
      std::FILE* probe = std::fopen(out.c_str(), "a");
      if (probe == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot open --log-outputs file ", out, ": ", std::strerror(errno)));
      }
      std::fclose(probe);
      try {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(out));
      } catch (const spdlog::spdlog_ex& e) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot open --log-outputs file ", out, ": ", e.what()));
      }
    }
  }
  auto logger = std::make_shared<spdlog::logger>("etcdpp", sinks.begin(), sinks.end());
  logger->set_formatter(NewZapFormatter(setup.encoding));
  const std::string& level = setup.level;
  logger->set_level(level == "warn"    ? spdlog::level::warn
                    : level == "debug" ? spdlog::level::debug
                    : level == "error" ? spdlog::level::err
                    : level == "info"  ? spdlog::level::info
                                       : spdlog::level::critical);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace etcdpp::server::log
