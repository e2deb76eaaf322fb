#include "bench/tool/tls_credentials.h"

#include <fstream>
#include <sstream>

namespace etcdpp::bench {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const Options& opts) {
  if (opts.cacert.empty() && opts.cert.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions o;
  if (!opts.cacert.empty()) o.pem_root_certs = ReadFile(opts.cacert);
  if (!opts.cert.empty()) o.pem_cert_chain = ReadFile(opts.cert);
  if (!opts.key.empty()) o.pem_private_key = ReadFile(opts.key);
  return grpc::SslCredentials(o);
}

}  // namespace etcdpp::bench
