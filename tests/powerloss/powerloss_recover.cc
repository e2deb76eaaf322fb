// etcdpp-powerloss-recover: after a process run under libetcdpp_powerloss.so died, makes the
// files under its root look as if the machine had lost power at that moment, then empties the
// journal and its trash so the next run starts a fresh journal.
//
//   etcdpp-powerloss-recover --journal J [--torn --seed N]
//   etcdpp-powerloss-recover --journal J --dump     (print the records; change nothing)
//
// Without --torn every change not yet synced is lost; with it each file keeps a random prefix of
// its unsynced writes, drawn from N (the same journal and seed give the same files). Exit 0 on
// success; otherwise a message naming the file at fault on stderr and exit 1 (files untouched
// when the journal cannot be read or does not match them).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/durability_model.h"
#include "common/env.h"
#include "journal_replay.h"

namespace {

int Usage(const char* why) {
  std::fprintf(stderr,
               "etcdpp-powerloss-recover: %s\nusage: etcdpp-powerloss-recover --journal J "
               "[--torn --seed N] | --dump\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string journal;
  etcdpp::PowerLoss options;
  bool dump = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--journal" && i + 1 < argc) {
      journal = argv[++i];
    } else if (arg == "--dump") {
      dump = true;
    } else if (arg == "--torn") {
      options.torn = true;
    } else if (arg == "--seed" && i + 1 < argc) {
      char* end = nullptr;
      options.seed = std::strtoull(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0') return Usage("--seed takes a number");
    } else {
      return Usage("unknown argument");
    }
  }
  if (journal.empty()) return Usage("--journal is required");
  if (dump) {
    absl::Status s = etcdpp::powerloss::DumpJournal(etcdpp::Env::Default(), journal, stdout);
    if (!s.ok()) std::fprintf(stderr, "etcdpp-powerloss-recover: %s\n", s.ToString().c_str());
    return s.ok() ? 0 : 1;
  }
  auto stats = etcdpp::powerloss::RecoverFromJournal(etcdpp::Env::Default(), journal, options);
  if (!stats.ok()) {
    std::fprintf(stderr, "etcdpp-powerloss-recover: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  std::printf("replayed %llu records: %llu bytes written by the process, journal %llu bytes\n",
              static_cast<unsigned long long>(stats->records),
              static_cast<unsigned long long>(stats->bytes_written),
              static_cast<unsigned long long>(stats->journal_bytes));
  return 0;
}
