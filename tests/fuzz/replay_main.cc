// The replay driver: in builds without libFuzzer (ETCDPP_FUZZ off, g++), each fuzz target is
// linked with this main instead, and runs every file of the directories (or files) it is given
// through LLVMFuzzerTestOneInput once. The ctest fuzz_<name> does that over the target's seeds
// and regressions, so every build checks that no input that once crashed a target crashes it
// again (without the sanitizers; scripts/fuzz.sh is the real fuzzing).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return 1;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failures = 0;
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;  // libFuzzer's flags (-runs=0) mean nothing here
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      for (const auto& f : files) {
        failures += RunFile(f);
        ++runs;
      }
    } else if (std::filesystem::exists(arg, ec)) {
      failures += RunFile(arg);
      ++runs;
    }
  }
  std::printf("replay: %zu inputs run\n", runs);
  if (runs == 0) {
    std::fprintf(stderr, "replay: no input found\n");
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
