#include "server/membership/membership.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "internalpb/internal.pb.h"

namespace etcdpp::server {
namespace {

uint64_t BigEndian64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t Sha1Prefix(const std::string& data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return BigEndian64(digest);
}

}  // namespace

uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& token) {
  std::sort(peer_urls.begin(), peer_urls.end());
  std::string b;
  for (const std::string& u : peer_urls) b += u;
  b += token;
  return Sha1Prefix(b);
}

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  std::string b;
  for (uint64_t id : member_ids) {
    for (int shift = 56; shift >= 0; shift -= 8) b.push_back(static_cast<char>(id >> shift));
  }
  return Sha1Prefix(b);
}

[[nodiscard]] absl::StatusOr<std::vector<Member>> ParseInitialCluster(
    const std::string& initial_cluster, const std::string& token) {
  std::map<std::string, std::vector<std::string>> urls_by_name;
  for (const std::string& part :
       std::vector<std::string>(absl::StrSplit(initial_cluster, ',', absl::SkipWhitespace()))) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error setting up initial cluster: ", initial_cluster));
    }
    urls_by_name[kv[0]].push_back(kv[1]);
  }
  std::vector<Member> members;
  for (auto& [name, urls] : urls_by_name) {
    Member m;
    m.name = name;
    m.peer_urls = urls;
    std::sort(m.peer_urls.begin(), m.peer_urls.end());
    m.id = ComputeMemberId(m.peer_urls, token);
    members.push_back(std::move(m));
  }
  return members;
}

internalpb::MemberRecord ToRecord(const Member& m) {
  internalpb::MemberRecord rec;
  rec.set_id(m.id);
  rec.set_name(m.name);
  for (const auto& u : m.peer_urls) rec.add_peer_urls(u);
  for (const auto& u : m.client_urls) rec.add_client_urls(u);
  rec.set_is_learner(m.is_learner);
  return rec;
}

Member FromRecord(const internalpb::MemberRecord& rec) {
  Member m;
  m.id = rec.id();
  m.name = rec.name();
  m.peer_urls.assign(rec.peer_urls().begin(), rec.peer_urls().end());
  m.client_urls.assign(rec.client_urls().begin(), rec.client_urls().end());
  m.is_learner = rec.is_learner();
  return m;
}

std::string EncodeMember(const Member& m) { return ToRecord(m).SerializeAsString(); }

[[nodiscard]] absl::StatusOr<Member> DecodeMember(std::string_view data) {
  internalpb::MemberRecord rec;
  if (!rec.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return absl::DataLossError("cannot decode member record");
  }
  return FromRecord(rec);
}

}  // namespace etcdpp::server
