#pragma once
// TLS for the bench's connections: etcd's benchmark flags --cacert, --cert, --key. With none of
// them the channels are plaintext.

#include <memory>

#include "bench/tool/options.h"
#include "grpcpp/security/credentials.h"

namespace etcdpp::bench {

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const Options& opts);

}  // namespace etcdpp::bench
