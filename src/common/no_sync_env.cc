#include "common/no_sync_env.h"

#include "common/status.h"

namespace etcdpp {
namespace {

// Forwards everything but the syncs.
class NoSyncFile final : public File {
 public:
  explicit NoSyncFile(std::unique_ptr<File> base) : base_(std::move(base)) {}

  const std::string& path() const override { return base_->path(); }
  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    return base_->WriteAt(offset, data);
  }
  absl::Status Append(std::string_view data) override { return base_->Append(data); }
  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    return base_->ReadAt(offset, n, scratch);
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Fsync() override { return absl::OkStatus(); }
  absl::Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  absl::Status Preallocate(uint64_t size) override { return base_->Preallocate(size); }
  absl::StatusOr<uint64_t> Size() const override { return base_->Size(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  const std::unique_ptr<File> base_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<File>> NoSyncEnv::OpenFile(const std::string& path, OpenMode mode) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, target()->OpenFile(path, mode));
  return std::make_unique<NoSyncFile>(std::move(f));
}

}  // namespace etcdpp
