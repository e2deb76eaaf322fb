#include "wal/segment_name.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/status.h"

namespace etcdpp::wal {
namespace {

constexpr size_t kHexDigits = 16;
constexpr char kSuffix[] = ".wal";

std::optional<uint64_t> ParseHex(const std::string& s, size_t pos) {
  uint64_t v = 0;
  for (size_t i = pos; i < pos + kHexDigits; ++i) {
    char c = s[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

std::string SegmentName::ToString() const { return absl::StrFormat("%016x-%016x.wal", seq, index); }

std::optional<SegmentName> ParseSegmentName(const std::string& name) {
  if (name.size() != 2 * kHexDigits + 1 + sizeof(kSuffix) - 1) return std::nullopt;
  if (name[kHexDigits] != '-' ||
      name.compare(2 * kHexDigits + 1, std::string::npos, kSuffix) != 0) {
    return std::nullopt;
  }
  auto seq = ParseHex(name, 0);
  auto index = ParseHex(name, kHexDigits + 1);
  if (!seq || !index) return std::nullopt;
  return SegmentName{*seq, *index};
}

[[nodiscard]] absl::StatusOr<std::vector<SegmentName>> ListSegments(Env* env,
                                                                    const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(dir));
  std::vector<SegmentName> names;
  for (const std::string& child : children) {
    if (auto n = ParseSegmentName(child)) names.push_back(*n);
  }
  std::sort(names.begin(), names.end(),
            [](const SegmentName& a, const SegmentName& b) { return a.seq < b.seq; });
  return names;
}

std::optional<size_t> SearchIndex(const std::vector<SegmentName>& names, uint64_t index) {
  for (size_t i = names.size(); i > 0; --i) {
    if (names[i - 1].index <= index) return i - 1;
  }
  return std::nullopt;
}

bool IsContiguous(const std::vector<SegmentName>& names, size_t from) {
  for (size_t i = from + 1; i < names.size(); ++i) {
    if (names[i].seq != names[i - 1].seq + 1) return false;
  }
  return true;
}

}  // namespace etcdpp::wal
