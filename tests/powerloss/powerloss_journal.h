#pragma once
// The power-loss journal: what libetcdpp_powerloss.so (powerloss_shim.cc) appends while a
// process runs, and etcdpp-powerloss-recover (journal_replay.cc) reads after the process died.
// Plain C++ and the C library only: the shim that writes it is preloaded into any process.
//
// Files and locations
//   $ETCDPP_POWERLOSS_JOURNAL        the journal; appended with O_APPEND, one write() per record,
//                                    never fsynced (we never really lose power)
//   $ETCDPP_POWERLOSS_JOURNAL.trash/ hard links that keep removed and replaced files alive until
//                                    recovery; named "<pid>-<n>". Hard links need the same
//                                    filesystem: the journal must live on the filesystem of
//                                    $ETCDPP_POWERLOSS_ROOT, outside the root.
//
// Record layout, native byte order (the journal is read on the machine that wrote it):
//   u32 magic     kRecordMagic
//   u16 type      RecordType
//   u16 reserved  0
//   u32 pid       the process that wrote it
//   u32 size      bytes of the body that follows
//   body          the fields listed for the type, in order: u8 / u64 as native integers,
//                 "str" as a u32 length and that many bytes (paths absolute and normalized).
// A record cut short by a kill (the process died inside the write) is ignored: at the end, and
// also in the middle, where a later run of the process appended after it (recovery resumes at
// the first header of another pid).
//
// "inode" below is u64 dev, u64 ino: the identity of a file while the journal lives (removed
// and replaced files stay linked in the trash, so inode numbers are not reused meanwhile).
// "covers" is the journal's size when a sync began: the sync makes durable the records that
// start below it (records written while the sync ran may or may not be on disk).
//
//   kOpen          inode, u8 created, str path   a regular file opened for writing (or created,
//                                                or truncated); written after the real open
//   kCreateIntent  str path                      about to create `path` (written before the open)
//   kChange        inode, u64 offset, u64 length, u64 old_size, u8 is_write, u64 old_len,
//                  str old_bytes                 about to change bytes from `offset` (a write of
//                                                `length` bytes, a truncate, fallocate...);
//                                                the region's old_len bytes below old_size were
//                                                old_bytes, or all zero when old_bytes is empty.
//                                                Written before the real call.
//   kSync          inode, u64 covers             fsync/fdatasync (or an O_DSYNC/O_SYNC write)
//                                                returned; written after
//   kDirSync       u64 covers, str path          fsync of a directory returned
//   kSyncAll       u64 covers                    sync()/syncfs() returned
//   kRename        inode (source), u8 flags, u8 target, str from, str to, str trash
//                                                about to rename. flags: 1 = from under the root,
//                                                2 = to under the root. target: what `to` was:
//                                                0 nothing, 1 a file now linked at `trash`,
//                                                2 an empty directory
//   kUnlink        inode, str path, str trash    about to remove `path` (or rename it out of the
//                                                root), linked at `trash` first ("" if the link
//                                                failed)
//   kMkdir         str path                      about to create a directory
//   kRmdir         str path                      about to remove a directory
//   kLink          inode, str path               about to make a new name for inode
//   kFailed        u64 offset                    the intent record at `offset` failed: ignore it
//
// Intents (kCreateIntent, kRename, kUnlink, kMkdir, kRmdir, kLink) are written, the real call
// made and, if it failed, kFailed written, all under one mutex: only a process's last record can
// be an intent whose outcome is unknown, and recovery checks the files to learn it.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace etcdpp::powerloss {

inline constexpr uint32_t kRecordMagic = 0x504c4a31;  // "PLJ1"
inline constexpr size_t kHeaderSize = 16;

enum class RecordType : uint16_t {
  kOpen = 1,
  kCreateIntent = 2,
  kChange = 3,
  kSync = 4,
  kDirSync = 5,
  kSyncAll = 6,
  kRename = 7,
  kUnlink = 8,
  kMkdir = 9,
  kRmdir = 10,
  kLink = 11,
  kFailed = 12,
};

inline constexpr uint8_t kRenameFromUnderRoot = 1;
inline constexpr uint8_t kRenameToUnderRoot = 2;
enum class RenameTarget : uint8_t { kNothing = 0, kLinkedFile = 1, kEmptyDir = 2 };

// Builds one record: header first, then fields in the order the type lists them.
class RecordBuilder {
 public:
  RecordBuilder(RecordType type, uint32_t pid) {
    Put32(kRecordMagic);
    Put16(static_cast<uint16_t>(type));
    Put16(0);
    Put32(pid);
    Put32(0);  // size, set by Finish
  }
  RecordBuilder& U8(uint8_t v) {
    buf_.push_back(static_cast<char>(v));
    return *this;
  }
  RecordBuilder& U64(uint64_t v) { return Raw(&v, sizeof v); }
  RecordBuilder& Str(std::string_view s) {
    Put32(static_cast<uint32_t>(s.size()));
    buf_.append(s);
    return *this;
  }
  const std::string& Finish() {
    uint32_t size = static_cast<uint32_t>(buf_.size() - kHeaderSize);
    std::memcpy(buf_.data() + 12, &size, sizeof size);
    return buf_;
  }

 private:
  RecordBuilder& Raw(const void* p, size_t n) {
    buf_.append(static_cast<const char*>(p), n);
    return *this;
  }
  void Put16(uint16_t v) { Raw(&v, sizeof v); }
  void Put32(uint32_t v) { Raw(&v, sizeof v); }

  std::string buf_;
};

// Reads a record's fields in order; every getter returns false once the body runs out.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}
  bool U8(uint8_t* v) { return Raw(v, sizeof *v); }
  bool U64(uint64_t* v) { return Raw(v, sizeof *v); }
  bool Str(std::string* s) {
    uint32_t n;
    if (!Raw(&n, sizeof n) || rest_.size() < n) return false;
    s->assign(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  bool Raw(void* p, size_t n) {
    if (rest_.size() < n) return false;
    std::memcpy(p, rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest_;
};

}  // namespace etcdpp::powerloss
