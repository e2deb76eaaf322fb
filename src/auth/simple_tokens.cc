#include "auth/simple_tokens.h"

#include <openssl/rand.h>

#include "absl/strings/numbers.h"

namespace etcdpp::auth {

std::string SimpleTokens::NewPrefix() {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out(16, 'a');
  for (char& c : out) {
    unsigned char b = 0;
    do {
      if (RAND_bytes(&b, 1) != 1) b = 0;
    } while (b >= 52 * 4);  // uniform over the 52 letters
    c = kLetters[b % 52];
  }
  return out;
}

std::optional<uint64_t> SimpleTokens::IndexOf(std::string_view token) {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  uint64_t index = 0;
  std::string_view digits = token.substr(dot + 1);
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &index))
    return std::nullopt;
  return index;
}

void SimpleTokens::Assign(std::string token, std::string user, absl::Time now) {
  MutexLock l(&mu_);
  tokens_[std::move(token)] = Entry{std::move(user), now + ttl_};
  if (tokens_.size() >= sweep_at_) {
    SweepLocked(now);
    sweep_at_ = std::max<size_t>(64, tokens_.size() * 2);
  }
}

std::optional<std::string> SimpleTokens::Lookup(std::string_view token, absl::Time now) {
  MutexLock l(&mu_);
  auto it = tokens_.find(absl::string_view(token.data(), token.size()));
  if (it == tokens_.end()) return std::nullopt;
  if (now > it->second.deadline) {
    tokens_.erase(it);
    return std::nullopt;
  }
  it->second.deadline = now + ttl_;
  return it->second.user;
}

void SimpleTokens::InvalidateUser(std::string_view user) {
  MutexLock l(&mu_);
  absl::erase_if(tokens_, [&](const auto& kv) { return kv.second.user == user; });
}

void SimpleTokens::Clear() {
  MutexLock l(&mu_);
  tokens_.clear();
}

size_t SimpleTokens::SizeForTest() {
  MutexLock l(&mu_);
  return tokens_.size();
}

void SimpleTokens::SweepLocked(absl::Time now) {
  absl::erase_if(tokens_, [&](const auto& kv) { return now > kv.second.deadline; });
}

}  // namespace etcdpp::auth
