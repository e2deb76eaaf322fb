#pragma once
// DurabilityModel: what of a set of files survives a power loss. It is fed the events that
// changed the files, in the order they happened, and ApplyPowerLoss() then turns the real files
// (through a base Env) into what a machine that lost power at that moment would show:
//
//  Data. A file's synced image is its contents at its last sync covering all its changes (or, for
//  a file the model meets already existing, its contents then). Every change since (write,
//  truncate, preallocation) is recorded with the bytes it overwrote and the size before, and a
//  power loss undoes them newest first. With PowerLoss::torn, each file instead keeps a random
//  prefix of its unsynced changes: in order, weighing a write by its length and any other change
//  by 1, a cut point is drawn in [0, total] from the seed and the file's path; changes wholly
//  before the cut stay, a write straddling it keeps its first bytes, everything after is undone.
//  The same events and seed give the same result.
//
//  Directory entries. Creating a file or directory, linking, renaming, removing a file and
//  removing a directory are pending until their directory is synced (DirSynced): for a rename,
//  the destination's directory; for the others, the parent of the path they name. A power loss
//  reverts pending entries newest first: creations and links vanish (a created directory with
//  its whole subtree), a rename is moved back and the file it replaced comes back, a removed
//  file comes back with its synced contents, a removed directory comes back empty. A directory
//  renamed while entries inside it are pending carries them along (they are re-pathed).
//
//  Syncs cover events by sequence number: each event gets the next number (next_seq()); a sync
//  makes durable the events numbered below its `before` argument (default: all so far). This lets
//  a journal reader express "the fsync began after record N" for syncs that raced with writes.
//
//  Removed and replaced files are brought back from a Preserved: a hard link (same inode, so
//  later undo of its data still applies) or an in-memory copy of the synced contents.
//
// Paths are compared as strings: callers use one spelling per file (absolute, no "." or "..",
// no trailing '/'). After ApplyPowerLoss the model is empty: the files as they now are count as
// synced when next seen.
//
// Thread safety: none; callers serialize (FaultInjectionEnv holds its mutex around every call).

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/env.h"

namespace etcdpp {

// How a power loss treats unsynced changes; see the file comment.
struct PowerLoss {
  bool torn = false;  // false: every unsynced change is lost
  uint64_t seed = 0;  // with torn: picks each file's cut point
};

// Where the bytes of a removed or replaced file wait for a power loss that brings them back.
struct Preserved {
  enum class Kind {
    kNothing,   // nothing comes back (e.g. the target of a rename did not exist)
    kLink,      // a hard link at `trash_path`, outside every watched directory
    kBytes,     // `bytes` are the synced contents
    kEmptyDir,  // an empty directory comes back
  };
  static Preserved Nothing() { return {}; }
  static Preserved Link(std::string trash_path) { return {Kind::kLink, std::move(trash_path), {}}; }
  static Preserved Bytes(std::string bytes) { return {Kind::kBytes, {}, std::move(bytes)}; }
  static Preserved EmptyDir() { return {Kind::kEmptyDir, {}, {}}; }

  Kind kind = Kind::kNothing;
  std::string trash_path;
  std::string bytes;
};

// One change to a file's bytes or size.
struct DataChange {
  uint64_t offset = 0;    // where the changed region starts
  uint64_t length = 0;    // bytes written (writes only; the torn weight)
  uint64_t old_size = 0;  // the file's size just before
  // The bytes of [offset, offset + old_bytes.size()) just before; must cover every byte of the
  // region that lay below old_size (for a shrinking truncate: [new size, old size)).
  std::string old_bytes;
  bool is_write = false;  // a write may be kept in part by a torn power loss
};

class DurabilityModel {
 public:
  using FileId = uint64_t;  // never 0
  using Seq = uint64_t;
  static constexpr Seq kNow = std::numeric_limits<Seq>::max();

  // `base` does the real I/O of ApplyPowerLoss and SyncedContents and must outlive the model.
  explicit DurabilityModel(Env* base) : base_(base) {}
  DurabilityModel(const DurabilityModel&) = delete;
  DurabilityModel& operator=(const DurabilityModel&) = delete;

  Seq next_seq() const { return next_seq_; }
  // The id of the file currently named `path`, if the model knows it.
  std::optional<FileId> Lookup(const std::string& path) const;
  // An id no file has yet.
  FileId NewId() { return next_id_++; }
  // Every name the model tracks (including preserved links), for consistency checks.
  const std::map<std::string, FileId>& names() const { return names_; }

  // --- data events ---
  // File `id` was opened as `path`; `created` when this open made it (its name is then pending
  // in its directory). The first time the model sees `id`, its contents then count as synced.
  void Opened(FileId id, const std::string& path, bool created);
  // Ignored for ids never Opened (or opened before the last power loss).
  void Changed(FileId id, DataChange change);
  void Synced(FileId id, Seq before = kNow);

  // --- directory events (after the real call succeeded) ---
  // `old_target` keeps what `to` named before, if anything.
  void Renamed(const std::string& from, const std::string& to, Preserved old_target);
  // A new name `path` for file `id` (known or not: its contents then count as synced).
  void Linked(FileId id, const std::string& path);
  void Removed(const std::string& path, Preserved removed);
  void MadeDir(const std::string& path);
  void RemovedDir(const std::string& path);
  void DirSynced(const std::string& dir, Seq before = kNow);
  // sync(2): everything is durable.
  void SyncedAll(Seq before = kNow);

  // The synced image of the file at `path` (its whole contents if the model does not track it).
  [[nodiscard]] absl::StatusOr<std::string> SyncedContents(const std::string& path) const;

  // Makes the real files look like a power loss happened now; see the file comment. Empties the
  // model.
  [[nodiscard]] absl::Status ApplyPowerLoss(const PowerLoss& options);

 private:
  struct Change {
    Seq seq;
    DataChange change;
  };
  struct FileData {
    std::vector<Change> unsynced;  // oldest first
  };
  struct DirOp {
    enum class Kind { kCreate, kMkdir, kRename, kRemove, kRmdir };
    Kind kind;
    Seq seq;
    std::string path;  // the entry it made or removed; for a rename, the destination
    std::string from;  // kRename: the source
    FileId id = 0;     // kCreate: the file made; kRename/kRemove: the file replaced/removed
    Preserved preserved;
  };

  void Push(DirOp op);
  // Renames `from` (and everything below it) to `to` in names_ and in pending ops.
  void MovePaths(const std::string& from, const std::string& to);
  // Takes `path`'s entry out of names_: the id it named, or 0.
  FileId TakeName(const std::string& path);
  void KeepPreserved(FileId id, const Preserved& p);
  [[nodiscard]] absl::Status RevertFileData(FileId id, const FileData& data,
                                            const PowerLoss& options);
  [[nodiscard]] absl::Status RevertOp(const DirOp& op);
  [[nodiscard]] absl::Status Restore(const std::string& path, FileId id, const Preserved& p);
  std::optional<std::string> NameOf(FileId id) const;

  // Constant after construction.
  Env* const base_;

  Seq next_seq_ = 1;
  FileId next_id_ = 1;
  std::map<FileId, FileData> files_;     // every file opened since the last power loss
  std::map<std::string, FileId> names_;  // current names of tracked files
  std::vector<DirOp> pending_;           // directory changes not yet durable, oldest first
};

}  // namespace etcdpp
