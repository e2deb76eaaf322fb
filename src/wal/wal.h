#pragma once
// The write-ahead log: raft entries, hard states and snapshot markers appended to segmented,
// preallocated, CRC-chained files, one fdatasync per Save batch (etcd's wal package; the byte
// format is specified in wal/record.h).
//
// Life cycle: Create (a new log, ready to append) or Open (at a snapshot marker) then ReadAll
// (replays, repairs a torn tail, and makes the log ready to append); then Save / SaveSnapshot /
// ReleaseLockTo; Close. A Wal holds an exclusive lock on each of its segment files, so a second
// Wal (in this or another process) cannot open the same directory.
//
// Failure policy: a failed write or sync leaves the tail in an unknown state, so the Wal
// refuses every later write with the first error; the caller must stop (etcd panics). Reading
// corruption is DataLossError naming the segment file and offset; the server refuses to start.
//
// Thread safety: all methods may be called from any thread (they serialize on one mutex), but
// the server drives it from its Raft node thread only.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/env.h"
#include "common/mutex.h"
#include "raft/types.h"
#include "wal/codec.h"
#include "wal/record.h"
#include "wal/segment_name.h"

namespace etcdpp::wal {

struct Options {
  uint64_t segment_size = 64 << 20;  // tests use small segments
};

class Wal {
 public:
  // True when `dir` holds at least one segment file.
  static bool Exists(Env* env, const std::string& dir);

  // Creates dir (must not hold a WAL) with a first segment starting with a metadata record and
  // an empty snapshot marker; returns a WAL ready for Save. `env` must outlive the Wal.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Wal>> Create(Env* env, const std::string& dir,
                                                                   std::string metadata,
                                                                   Options opts = {});
  // Opens for reading from the snapshot marker `snap` (must exist in the log unless index 0).
  // NotFound when no segment can hold it. ReadAll must come next.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Wal>> Open(Env* env, const std::string& dir,
                                                                 WalSnapshot snap,
                                                                 Options opts = {});

  // A torn final record that ReadAll cut off the last segment (the rule is READING in
  // wal/record.h): a write a crash cut short before its sync, so never acknowledged.
  struct TornTail {
    std::string path;     // the last segment's file
    uint64_t offset = 0;  // where the record began; the records now end here
    // Bytes dropped: from `offset` to the end of the record's extent (length field, length,
    // padding), or to the end of the file when the record ran past it. Only zeroes followed.
    uint64_t length = 0;
    std::string reason;  // the check it failed, e.g. "crc mismatch"
    // "cut a torn final record of <length> bytes at offset <offset> of <path>: <reason>"
    std::string ToString() const;
  };
  struct Contents {
    std::string metadata;
    raft::HardState state;
    std::vector<raft::Entry> entries;
    // Set iff this ReadAll cut a torn final record off the last segment. The WAL has no logger:
    // the caller logs it (ToString()), so that every cut shows in the member's log.
    std::optional<TornTail> torn_tail;
  };
  // Reads everything after the snapshot marker; repairs a torn tail (a torn final record of the
  // last segment is cut off and reported in Contents::torn_tail); corruption anywhere else
  // returns absl::DataLossError naming the segment file and the byte offset. NotFound ("wal:
  // snapshot not found") when the marker is missing, FailedPrecondition ("wal: snapshot
  // mismatch") when its term differs. After it the WAL appends. Only once per Open.
  // Before it returns, everything it read is durable (it fsyncs the tail segment, the WAL
  // directory and its parent): after a process crash the page cache may hold records that never
  // reached the disk, and the caller may acknowledge what ReadAll returned. When this fails the
  // Wal cannot append.
  [[nodiscard]] absl::StatusOr<Contents> ReadAll();

  // Appends the entries, then the hard state (if not empty), and fdatasyncs once when anything
  // was written. Entries may overwrite a suffix (index <= last index): readers keep the later
  // ones. Cuts a new segment afterwards when the tail is full.
  [[nodiscard]] absl::Status Save(const raft::HardState& st, const std::vector<raft::Entry>& ents);
  // Appends a snapshot marker and fdatasyncs.
  [[nodiscard]] absl::Status SaveSnapshot(const WalSnapshot& snap);
  // Bytes written to segments by this Wal object (records and new segments' headers; etcd's
  // etcd_disk_wal_write_bytes_total). Any thread.
  uint64_t BytesWritten() const { return bytes_written_.load(std::memory_order_relaxed); }
  // Segments whose entries are all below `index` may be deleted (the backend durably holds
  // them); deletes them, keeping (as etcd) the last segment starting below `index`, and never
  // leaving fewer than `keep_at_least` segments (etcd's --max-wals purge rule; 0: no floor).
  // Oldest first; a file already gone counts as deleted. On an error the segments deleted so
  // far are forgotten and the rest kept (and locked), so a later call can finish the job.
  [[nodiscard]] absl::Status ReleaseLockTo(uint64_t index, size_t keep_at_least = 0);
  // Syncs the tail and releases the files and locks. Idempotent; the destructor calls it.
  [[nodiscard]] absl::Status Close();

  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Names of the live segments, oldest first (for tests and dump tools).
  std::vector<std::string> SegmentNamesForTest();

 private:
  struct Segment {
    SegmentName name;
    std::unique_ptr<FileLock> lock;
  };

  Wal(Env* env, std::string dir, Options opts);

  // Replays the segments from segments_[0] into *out; leaves the tail offset and crc.
  [[nodiscard]] absl::Status ReplayLocked(Contents* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  struct ReplayState {
    Contents* out;
    bool metadata_seen = false;
    bool snap_found = false;
  };
  // Applies one record, read at `offset` of the segment at `path`.
  [[nodiscard]] absl::Status ApplyRecordLocked(const Record& rec, const std::string& path,
                                               uint64_t offset, ReplayState* rs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens the last segment for appending at tail_offset_ (zeroing whatever follows it when
  // `zero_rest`), makes what was read durable, and only then sets tail_.
  [[nodiscard]] absl::Status OpenTailLocked(bool zero_rest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fsyncs `tail`, the WAL directory and its parent.
  [[nodiscard]] absl::Status SyncReadLocked(File* tail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `batch` at the tail, syncs, and cuts when full; latches the first failure.
  [[nodiscard]] absl::Status AppendLocked(const std::string& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status CutLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The tail's fdatasync after a batch, between etcd's walBeforeSync and walAfterSync.
  [[nodiscard]] absl::Status SyncTailLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes a segment's opening records (CRC, metadata, hard state if any) into *out.
  void AppendSegmentHeaderLocked(std::string* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status CheckWritableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many of the oldest segments ReleaseLockTo(index, keep_at_least) deletes.
  size_t ReleasableLocked(uint64_t index, size_t keep_at_least) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes a released segment's file; NotFound counts as deleted.
  [[nodiscard]] absl::Status RemoveSegmentFile(const SegmentName& name) const;
  std::string PathOf(const SegmentName& name) const;

  // Constant after construction.
  Env* const env_;
  const std::string dir_;
  const Options opts_;

  Mutex mu_;
  WalSnapshot start_ ABSL_GUARDED_BY(mu_);  // the marker ReadAll starts from
  std::string metadata_ ABSL_GUARDED_BY(mu_);
  raft::HardState state_ ABSL_GUARDED_BY(mu_);          // last hard state written or read
  uint64_t last_index_ ABSL_GUARDED_BY(mu_) = 0;        // index of the last entry written or read
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);  // oldest first; back() is the tail
  // Invariant: set iff the Wal can append (after Create, or after ReadAll until Close).
  std::unique_ptr<File> tail_ ABSL_GUARDED_BY(mu_);
  uint64_t tail_offset_ ABSL_GUARDED_BY(mu_) = 0;  // end of the last record in the tail
  uint32_t crc_ ABSL_GUARDED_BY(mu_) = 0;          // crc of the last record written or read
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);  // first failed write or sync; sticky
  std::atomic<uint64_t> bytes_written_{0};         // written under mu_, read anywhere
};

}  // namespace etcdpp::wal
