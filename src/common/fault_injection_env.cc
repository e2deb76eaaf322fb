#include "common/fault_injection_env.h"

#include <algorithm>
#include <utility>

#include "common/status.h"

namespace etcdpp {

// A File that reports writes and syncs to its FaultInjectionEnv before forwarding them.
class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> base, DurabilityModel::FileId id,
            uint64_t append_pos)
      : env_(env), base_(std::move(base)), id_(id), append_pos_(append_pos) {}

  const std::string& path() const override { return base_->path(); }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    RETURN_NOT_OK(env_->BeforeWrite(id_, *base_, offset, data.size()));
    return base_->WriteAt(offset, data);
  }
  absl::Status Append(std::string_view data) override {
    // Tracked here (the same rule as the base file's) so the write goes through WriteAt's undo.
    RETURN_NOT_OK(WriteAt(append_pos_, data));
    append_pos_ += data.size();
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    return base_->ReadAt(offset, n, scratch);
  }
  absl::Status Sync() override {
    RETURN_NOT_OK(env_->CheckSyncFault());
    RETURN_NOT_OK(base_->Sync());
    env_->AfterSync(id_);
    return absl::OkStatus();
  }
  absl::Status Fsync() override {
    RETURN_NOT_OK(env_->CheckSyncFault());
    RETURN_NOT_OK(base_->Fsync());
    env_->AfterSync(id_);
    return absl::OkStatus();
  }
  absl::Status Truncate(uint64_t size) override {
    RETURN_NOT_OK(env_->CheckWriteFault());
    RETURN_NOT_OK(env_->BeforeResize(id_, *base_, size));
    RETURN_NOT_OK(base_->Truncate(size));
    append_pos_ = size;
    return absl::OkStatus();
  }
  absl::Status Preallocate(uint64_t size) override {
    RETURN_NOT_OK(env_->CheckWriteFault());
    ASSIGN_OR_RETURN(uint64_t cur, base_->Size());
    if (size > cur) RETURN_NOT_OK(env_->BeforeResize(id_, *base_, size));
    return base_->Preallocate(size);
  }
  absl::StatusOr<uint64_t> Size() const override { return base_->Size(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::unique_ptr<File> base_;
  const DurabilityModel::FileId id_;
  uint64_t append_pos_;
};

namespace {

// The bytes of [offset, offset + n) of `file` that lie below its size, and that size.
[[nodiscard]] absl::StatusOr<DataChange> ReadOldBytes(const File& file, uint64_t offset,
                                                      uint64_t n) {
  DataChange change;
  ASSIGN_OR_RETURN(change.old_size, file.Size());
  change.offset = offset;
  if (offset < change.old_size) {
    change.old_bytes.resize(std::min(n, change.old_size - offset));
    ASSIGN_OR_RETURN(size_t got,
                     file.ReadAt(offset, change.old_bytes.size(), change.old_bytes.data()));
    change.old_bytes.resize(got);
  }
  return change;
}

// Counts one call down; true when this call is the one to fail.
bool CountDown(std::atomic<int>* countdown) {
  int n = countdown->load();
  while (n >= 0 && !countdown->compare_exchange_weak(n, n - 1)) {
  }
  return n == 0;
}

std::string StripSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

FaultInjectionEnv::~FaultInjectionEnv() = default;

absl::StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(const std::string& path,
                                                                  OpenMode mode) {
  bool existed = target()->FileExists(path);
  DataChange truncation;
  if (existed && mode == OpenMode::kCreateOrTruncate) {
    ASSIGN_OR_RETURN(truncation.old_bytes, target()->ReadFileToString(path));
    truncation.old_size = truncation.old_bytes.size();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, target()->OpenFile(path, mode));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  MutexLock l(&mu_);
  FileId id = existed ? model_.Lookup(path).value_or(0) : 0;  // a new file is a new id
  if (id == 0) id = model_.NewId();
  model_.Opened(id, path, !existed);
  if (truncation.old_size > 0) model_.Changed(id, std::move(truncation));
  return std::make_unique<FaultFile>(this, std::move(file), id, size);
}

absl::StatusOr<Preserved> FaultInjectionEnv::PreserveLocked(const std::string& path) {
  if (!target()->FileExists(path)) return Preserved::Nothing();
  if (target()->IsDirectory(path)) return Preserved::EmptyDir();
  ASSIGN_OR_RETURN(std::string bytes, model_.SyncedContents(path));
  return Preserved::Bytes(std::move(bytes));
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock l(&mu_);
  ASSIGN_OR_RETURN(Preserved old_target, PreserveLocked(to));
  RETURN_NOT_OK(target()->RenameFile(from, to));
  model_.Renamed(from, to, std::move(old_target));
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  MutexLock l(&mu_);
  ASSIGN_OR_RETURN(Preserved removed, PreserveLocked(path));
  RETURN_NOT_OK(target()->RemoveFile(path));
  model_.Removed(path, std::move(removed));
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveDir(const std::string& path) {
  MutexLock l(&mu_);
  RETURN_NOT_OK(target()->RemoveDir(path));
  model_.RemovedDir(StripSlashes(path));
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDirs(const std::string& path) {
  MutexLock l(&mu_);
  std::vector<std::string> missing;  // deepest first
  for (std::string p = StripSlashes(path);
       !p.empty() && p != "." && p != "/" && !target()->IsDirectory(p); p = DirName(p)) {
    missing.push_back(p);
  }
  RETURN_NOT_OK(target()->CreateDirs(path));
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) model_.MadeDir(*it);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RETURN_NOT_OK(CheckSyncFault());
  RETURN_NOT_OK(target()->SyncDir(dir));
  MutexLock l(&mu_);
  model_.DirSynced(StripSlashes(dir));
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DropUnsyncedData(const PowerLoss& power_loss) {
  MutexLock l(&mu_);
  return model_.ApplyPowerLoss(power_loss);
}

absl::Status FaultInjectionEnv::CheckWriteFault() {
  if (CountDown(&fail_write_countdown_)) return absl::InternalError("injected write failure");
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CheckSyncFault() {
  if (CountDown(&fail_sync_countdown_)) return absl::InternalError("injected sync failure");
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::BeforeWrite(FileId id, const File& file, uint64_t offset,
                                            uint64_t len) {
  RETURN_NOT_OK(CheckWriteFault());
  if (len == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(DataChange change, ReadOldBytes(file, offset, len));
  change.length = len;
  change.is_write = true;
  MutexLock l(&mu_);
  model_.Changed(id, std::move(change));
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::BeforeResize(FileId id, const File& file, uint64_t size) {
  ASSIGN_OR_RETURN(uint64_t old_size, file.Size());
  // Shrinking: the bytes cut off; growing: nothing (undo truncates back to old_size).
  uint64_t from = std::min(size, old_size);
  ASSIGN_OR_RETURN(DataChange change, ReadOldBytes(file, from, old_size - from));
  MutexLock l(&mu_);
  model_.Changed(id, std::move(change));
  return absl::OkStatus();
}

void FaultInjectionEnv::AfterSync(FileId id) {
  ++sync_count_;
  MutexLock l(&mu_);
  model_.Synced(id);
}

}  // namespace etcdpp
