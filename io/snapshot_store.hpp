// File: io/snapshot_store.hpp
//
// A directory of snapshots `step_%06d.h5` (ARCHITECTURE.md §5). A snapshot is written as
// `step_%06d.h5.tmp`, fsynced, renamed into place and the directory fsynced, so that a
// crash leaves either the previous set or the new complete file, never a torn `.h5`.
// Only the newest K are kept; older ones are deleted after the new one is in place.
// find_resume picks the newest snapshot that validates and says what it skipped and why,
// and refuses (rather than silently uses) a valid snapshot of a different run shape; one
// of another world size is accepted when the global batch divides evenly over the new ranks.
//
//   auto store = io::snapshot_store::open("run/snapshots", 3);
//   auto where = store->write(snap);   // -> "run/snapshots/step_000120.h5"
//
//   auto plan = io::find_resume("run/snapshots", world_size, cfg.text());
//   if (plan && plan->refusal) die(*plan->refusal); else if (plan && plan->path)
//   resume(*plan->path);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/snapshot.hpp"

namespace leadrl::io {

/// A snapshot file found in a store directory.
struct snapshot_file {
  std::string path;
  std::int64_t step = 0;
  bool torn = false;  ///< a `.tmp` left by an interrupted write
};

/// Writes and rotates snapshots in one directory.
class snapshot_store {
 public:
  /// Opens (creating if needed) `dir`, keeping the newest `keep_last` snapshots.
  /// Fails when keep_last < 1 or the directory cannot be created.
  static result<snapshot_store> open(std::string dir, int keep_last);

  /// Writes `s` as step_<meta.step>.h5 (tmp, fsync, rename, fsync dir), then deletes all
  /// but the newest keep_last snapshots and any `.tmp` of an older step. Returns the
  /// path written. Fails when writing, fsync or rename fails (disk full, I/O error); the
  /// previous snapshots are untouched then and the partial `.tmp` is removed, so a later
  /// write may simply try again. A failed deletion of an old snapshot is not a failure of
  /// the write.
  result<std::string> write(const snapshot& s, const hdf5_write_options& options = {}) const;

  /// The file name used for `step`, inside dir().
  std::string path_for_step(std::int64_t step) const;
  const std::string& dir() const { return dir_; }
  int keep_last() const { return keep_last_; }

 private:
  snapshot_store(std::string dir, int keep_last) : dir_(std::move(dir)), keep_last_(keep_last) {}
  std::string dir_;
  int keep_last_;
};

/// Every `step_<n>.h5` and `step_<n>.h5.tmp` in `dir`, newest step first (at equal step
/// the complete file first). Other names are ignored. Fails when `dir` cannot be listed;
/// a missing directory is an empty list.
result<std::vector<snapshot_file>> list_snapshot_files(const std::string& dir);

/// Opens `path`, reads every dataset (verifying each Fletcher32 and string checksum) and
/// checks that /meta is complete and names the step in the file name (step_<n>.h5).
/// Fails with the reason: not HDF5, truncated, a corrupt dataset (named), missing meta.
status validate_snapshot(const std::string& path);

/// A snapshot passed over by find_resume.
struct skipped_snapshot {
  std::string path;
  std::string reason;
};

/// What find_resume found. Exactly one of: `path` set (resume from it), `refusal` set
/// (the newest valid snapshot belongs to a different run shape; the caller decides), or
/// neither (nothing valid: start fresh).
struct resume_plan {
  std::optional<std::string> path;
  std::int64_t step = -1;
  std::optional<snapshot_meta> meta;      ///< /meta of `path`, or of the refused snapshot
  std::optional<std::string> refusal;     ///< why the newest valid snapshot cannot be used
  std::vector<skipped_snapshot> skipped;  ///< newer files passed over, newest first
};

/// Scans `dir` newest first: `.tmp` files and snapshots that fail validate_snapshot are
/// skipped (with reasons); the first valid one is chosen when its config text equals the
/// expected one and its world size either equals `expected_world_size` or, when
/// `global_batch` > 0, differs from it while the global batch (prompts per step) divides
/// evenly over the new ranks (a resize: the caller maps the old ranks onto the new ones);
/// otherwise it is refused with a message naming the difference. With `defaults_text` (the
/// config text of a run with every option at its default), options this build has and the
/// snapshot's configuration lacks are not a difference while they are at their default
/// (io::keys_added_at_default): a newer build resumes an older build's snapshot.
/// Config lines of `ignored_keys` (dotted, e.g. "trainer.total_steps") are left out of
/// the comparison: settings that may change between attempts of one run.
/// Older snapshots behind a refused one are not considered, so newer progress is never
/// silently dropped. Fails only when `dir` cannot be listed.
result<resume_plan> find_resume(const std::string& dir, std::int64_t expected_world_size,
                                const std::string& expected_config_text,
                                const std::vector<std::string>& ignored_keys = {},
                                std::int64_t global_batch = 0,
                                const std::string& defaults_text = "");

/// The same checks for one named file (resuming from an explicit path): validate_snapshot,
/// then world size (with the same resize rule) and config text as find_resume compares
/// them. Returns its /meta.
/// Fails with the reason: missing file, not a snapshot, corrupt, or refused (world size or
/// configuration differ, the message names the first differing line).
result<snapshot_meta> check_resume_snapshot(const std::string& path,
                                            std::int64_t expected_world_size,
                                            const std::string& expected_config_text,
                                            const std::vector<std::string>& ignored_keys = {},
                                            std::int64_t global_batch = 0,
                                            const std::string& defaults_text = "");

}  // namespace leadrl::io
