#include "auth/range_perms.h"

#include <algorithm>

namespace etcdpp::auth {

void IntervalSet::Add(std::string begin, std::string end, bool end_unbounded) {
  if (!end_unbounded && end <= begin) return;  // empty: covers nothing
  ivls_.push_back(
      Interval{std::move(begin), end_unbounded ? std::string() : std::move(end), end_unbounded});
}

void IntervalSet::Seal() {
  std::sort(ivls_.begin(), ivls_.end(),
            [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  std::vector<Interval> merged;
  for (Interval& iv : ivls_) {
    if (!merged.empty()) {
      Interval& last = merged.back();
      if (last.unbounded) continue;  // already covers everything after its begin
      if (iv.begin <= last.end) {    // overlapping or adjacent
        if (iv.unbounded) {
          last.unbounded = true;
          last.end.clear();
        } else if (iv.end > last.end) {
          last.end = std::move(iv.end);
        }
        continue;
      }
    }
    merged.push_back(std::move(iv));
  }
  ivls_ = std::move(merged);
}

const IntervalSet::Interval* IntervalSet::Floor(std::string_view key) const {
  auto it = std::upper_bound(ivls_.begin(), ivls_.end(), key,
                             [](std::string_view k, const Interval& iv) { return k < iv.begin; });
  if (it == ivls_.begin()) return nullptr;
  return &*std::prev(it);
}

bool IntervalSet::ContainsKey(std::string_view key) const {
  const Interval* iv = Floor(key);
  return iv != nullptr && (iv->unbounded || key < iv->end);
}

bool IntervalSet::CoversRange(std::string_view begin, std::string_view end,
                              bool end_unbounded) const {
  const Interval* iv = Floor(begin);
  if (iv == nullptr) return false;
  if (iv->unbounded) return true;
  if (end_unbounded) return false;
  return end <= iv->end && begin < iv->end;
}

RangePerms RangePerms::FromRoles(const std::vector<const authpb::Role*>& roles) {
  RangePerms p;
  for (const authpb::Role* role : roles) {
    for (const authpb::Permission& perm : role->keypermission()) {
      std::string begin = perm.key();
      std::string end;
      bool unbounded = false;
      if (perm.range_end().empty()) {
        end = begin;
        end.push_back('\0');
      } else if (perm.range_end() == std::string_view("\0", 1)) {
        unbounded = true;
      } else {
        end = perm.range_end();
      }
      if (perm.permtype() == authpb::Permission::READ ||
          perm.permtype() == authpb::Permission::READWRITE) {
        p.read_.Add(begin, end, unbounded);
      }
      if (perm.permtype() == authpb::Permission::WRITE ||
          perm.permtype() == authpb::Permission::READWRITE) {
        p.write_.Add(std::move(begin), std::move(end), unbounded);
      }
    }
  }
  p.read_.Seal();
  p.write_.Seal();
  return p;
}

bool RangePerms::Check(const IntervalSet& s, std::string_view key, std::string_view range_end) {
  if (range_end.empty()) return s.ContainsKey(key);
  if (range_end == std::string_view("\0", 1)) return s.CoversRange(key, {}, true);
  return s.CoversRange(key, range_end, false);
}

}  // namespace etcdpp::auth
