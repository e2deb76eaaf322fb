#pragma once
// client_golang's process collector (process_*) and etcd's os_fd_* gauges, read from /proc at
// each scrape: CPU time, memory, descriptors and their limits, the start time.

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace etcdpp::server {

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace etcdpp::server
