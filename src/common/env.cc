// The POSIX Env: Env::Default().

#include "common/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace etcdpp {
namespace {

[[nodiscard]] absl::Status PosixError(std::string_view context, int err) {
  std::string msg = std::string(context) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    case EWOULDBLOCK:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd, uint64_t append_pos)
      : path_(std::move(path)), fd_(fd), append_pos_(append_pos) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& path() const override { return path_; }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(absl::StrCat("write ", path_), errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Append(std::string_view data) override {
    RETURN_NOT_OK(WriteAt(append_pos_, data));
    append_pos_ += data.size();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(absl::StrCat("read ", path_), errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError(absl::StrCat("fdatasync ", path_), errno);
    return absl::OkStatus();
  }

  absl::Status Fsync() override {
    if (::fsync(fd_) != 0) return PosixError(absl::StrCat("fsync ", path_), errno);
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError(absl::StrCat("truncate ", path_), errno);
    }
    append_pos_ = size;
    return absl::OkStatus();
  }

  absl::Status Preallocate(uint64_t size) override {
    ASSIGN_OR_RETURN(uint64_t cur, Size());
    if (cur >= size) return absl::OkStatus();
    int rc = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (rc == 0) return absl::OkStatus();
    if (rc != EOPNOTSUPP && rc != EINVAL) {
      return PosixError(absl::StrCat("fallocate ", path_), rc);
    }
    // The filesystem cannot reserve blocks: extend with zeroes instead.
    return WriteAt(cur, std::string(size - cur, '\0'));
  }

  absl::StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return PosixError(absl::StrCat("stat ", path_), errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " already closed"));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return PosixError(absl::StrCat("close ", path_), errno);
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  int fd_;
  uint64_t append_pos_;
};

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  const int fd_;
};

int OpenFlags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kCreateNew:
      return O_RDWR | O_CREAT | O_EXCL;
    case OpenMode::kCreateOrTruncate:
      return O_RDWR | O_CREAT | O_TRUNC;
    case OpenMode::kOpenExisting:
      return O_RDWR;
    case OpenMode::kOpenOrCreate:
      return O_RDWR | O_CREAT;
  }
  return O_RDWR;
}

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override {
    int fd = ::open(path.c_str(), OpenFlags(mode) | O_CLOEXEC, 0600);
    if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError(absl::StrCat("stat ", path), err);
    }
    return std::make_unique<PosixFile>(path, fd, static_cast<uint64_t>(st.st_size));
  }

  absl::StatusOr<std::string> ReadFileToString(const std::string& path) override {
    ASSIGN_OR_RETURN(std::unique_ptr<File> f, OpenReadOnly(path));
    ASSIGN_OR_RETURN(uint64_t size, f->Size());
    std::string out(size, '\0');
    ASSIGN_OR_RETURN(size_t n, f->ReadAt(0, size, out.data()));
    out.resize(n);
    return out;
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError(absl::StrCat("rename ", from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(absl::StrCat("unlink ", path), errno);
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return PosixError(absl::StrCat("rmdir ", path), errno);
    return absl::OkStatus();
  }

  absl::Status CreateDirs(const std::string& path) override {
    if (path.empty() || IsDirectory(path)) return absl::OkStatus();
    std::string parent = DirName(path);
    if (parent != path) RETURN_NOT_OK(CreateDirs(parent));
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return PosixError(absl::StrCat("mkdir ", path), errno);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(absl::StrCat("opendir ", dir), errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(absl::StrCat("stat ", path), errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(absl::StrCat("open ", dir), errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return PosixError(absl::StrCat("fsync ", dir), err);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError(absl::StrCat("lock ", path), err);
    }
    return std::make_unique<PosixFileLock>(path, fd);
  }

  uint64_t NowMicros() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }

  uint64_t WallMicros() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }

  void SleepForMicroseconds(uint64_t micros) override { ::usleep(static_cast<useconds_t>(micros)); }

 private:
  absl::StatusOr<std::unique_ptr<File>> OpenReadOnly(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
    return std::make_unique<PosixFile>(path, fd, 0);
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;  // never destroyed: used until exit
  return env;
}

absl::Status Env::RemoveAll(const std::string& path) {
  if (!FileExists(path)) return absl::OkStatus();
  if (!IsDirectory(path)) return RemoveFile(path);
  ASSIGN_OR_RETURN(std::vector<std::string> children, GetChildren(path));
  for (const std::string& child : children) RETURN_NOT_OK(RemoveAll(JoinPath(path, child)));
  return RemoveDir(path);
}

absl::Status Env::CreateDirsSynced(const std::string& path) {
  if (path.empty() || IsDirectory(path)) return absl::OkStatus();
  const std::string parent = DirName(path);
  if (parent != path) RETURN_NOT_OK(CreateDirsSynced(parent));
  RETURN_NOT_OK(CreateDirs(path));
  return SyncDir(parent);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

std::string DirName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace etcdpp
