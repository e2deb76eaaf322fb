#pragma once
// Tests only: an SrvLookupFn (dns_srv.h) that knows a fixed set of SRV answers and says Go's
// "no such host" for any other name, naming `server` as the DNS server that answered.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/dns_srv.h"

namespace etcdpp {

using SrvAnswers = std::map<std::string, std::vector<SrvRecord>>;

inline SrvLookupFn FakeSrvLookup(SrvAnswers answers, std::string server = "127.0.0.1:53") {
  return [answers = std::move(answers), server = std::move(server)](
             const std::string& name) -> absl::StatusOr<std::vector<SrvRecord>> {
    auto it = answers.find(name);
    if (it == answers.end()) {
      return absl::NotFoundError("lookup " + name + " on " + server + ": no such host");
    }
    return it->second;
  };
}

}  // namespace etcdpp
