#include "io/snapshot_store.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>

#include "io/config.hpp"

namespace leadrl::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_tmp_suffix = ".tmp";

std::string errno_text(int e) {
  return std::string(std::strerror(e));
}

// fsync of a file or directory by path: the data (or the directory entry of a rename)
// is on disk when it returns.
status fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return fail(path + ": open for fsync failed: " + errno_text(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return fail(path + ": fsync failed: " + errno_text(e));
  return status::success();
}

// Parses "step_<digits>.h5" or "step_<digits>.h5.tmp".
std::optional<snapshot_file> parse_snapshot_name(const fs::path& p) {
  std::string name = p.filename().string();
  snapshot_file f;
  f.path = p.string();
  const std::string tmp = std::string(".h5") + k_tmp_suffix;
  if (name.size() > tmp.size() && name.compare(name.size() - tmp.size(), tmp.size(), tmp) == 0) {
    f.torn = true;
    name.resize(name.size() - std::strlen(k_tmp_suffix));
  }
  const std::string prefix = "step_";
  if (name.size() <= prefix.size() + 3 || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - 3, 3, ".h5") != 0) {
    return std::nullopt;
  }
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 3);
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  f.step = std::stoll(digits);
  return f;
}

// First line where two config texts differ, for a message a person can act on.
std::string first_difference(const std::string& snapshot_text, const std::string& run_text) {
  std::istringstream a(snapshot_text), b(run_text);
  std::string la, lb, section;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "they differ only in line endings";
    if (!more_a) la = "<end of text>";
    if (!more_b) lb = "<end of text>";
    if (!more_a || !more_b || la != lb) {
      return "first difference at line " + std::to_string(line) +
             (section.empty() ? "" : " in " + section) + ": snapshot has '" + la +
             "', this run has '" + lb + "'";
    }
    if (!la.empty() && la.front() == '[') section = la;
  }
}

}  // namespace

result<snapshot_store> snapshot_store::open(std::string dir, int keep_last) {
  if (keep_last < 1) {
    return fail("snapshot keep count: expected >= 1, got " + std::to_string(keep_last));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir + ": cannot create the snapshot directory: " + ec.message());
  if (!fs::is_directory(dir, ec)) return fail(dir + ": expected a directory");
  return snapshot_store(std::move(dir), keep_last);
}

std::string snapshot_store::path_for_step(std::int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "step_%06lld.h5", static_cast<long long>(step));
  return (fs::path(dir_) / name).string();
}

result<std::string> snapshot_store::write(const snapshot& s,
                                          const hdf5_write_options& options) const {
  if (s.meta.step < 0) {
    return fail("snapshot meta.step: expected >= 0, got " + std::to_string(s.meta.step));
  }
  const std::string final_path = path_for_step(s.meta.step);
  const std::string tmp_path = final_path + k_tmp_suffix;
  // A partial file must not look like a crash leftover, nor hold the space a retry needs.
  auto drop_tmp = [&tmp_path] {
    std::error_code ec;
    fs::remove(tmp_path, ec);
  };
  // A full disk is found before HDF5 writes anything (HDF5 does not survive a failed
  // write: io::hdf5_writes_unusable).
  if (struct statvfs fs_info{}; ::statvfs(dir_.c_str(), &fs_info) == 0) {
    const double free_bytes =
        static_cast<double>(fs_info.f_bavail) * static_cast<double>(fs_info.f_frsize);
    const double need = static_cast<double>(snapshot_bytes_estimate(s));
    if (free_bytes < need) {
      char text[160];
      std::snprintf(text, sizeof text,
                    ": not enough free space: the snapshot needs about %.1f MB, %.1f MB are free",
                    need / 1e6, free_bytes / 1e6);
      return fail(dir_ + text, errc::io_failure);
    }
  }
  if (auto st = write_snapshot(tmp_path, s, options); !st) {
    drop_tmp();
    return st.error();
  }
  if (auto st = fsync_path(tmp_path, false); !st) {
    drop_tmp();
    return st.error();
  }
  if (std::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const int e = errno;
    drop_tmp();
    return fail(tmp_path + ": rename to " + final_path + " failed: " + errno_text(e));
  }
  if (auto st = fsync_path(dir_, true); !st) return st.error();

  // Rotation happens only now that the new snapshot is durable under its final name.
  auto files = list_snapshot_files(dir_);
  if (files) {
    int kept = 0;
    for (const snapshot_file& f : *files) {
      bool remove = false;
      if (f.torn) {
        remove = f.step < s.meta.step;
      } else {
        remove = ++kept > keep_last_;
      }
      if (remove) {
        std::error_code ec;
        fs::remove(f.path, ec);  // best effort: an undeleted old file is harmless
      }
    }
  }
  return final_path;
}

result<std::vector<snapshot_file>> list_snapshot_files(const std::string& dir) {
  std::vector<snapshot_file> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  fs::directory_iterator it(dir, ec);
  if (ec) return fail(dir + ": cannot list the snapshot directory: " + ec.message());
  for (const fs::directory_entry& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    if (auto f = parse_snapshot_name(entry.path())) out.push_back(*f);
  }
  std::sort(out.begin(), out.end(), [](const snapshot_file& a, const snapshot_file& b) {
    if (a.step != b.step) return a.step > b.step;
    if (a.torn != b.torn) return !a.torn;
    return a.path < b.path;
  });
  return out;
}

status validate_snapshot(const std::string& path) {
  auto file = hdf5_file::open(path);
  if (!file) return file.error();
  if (auto s = file->verify_all_datasets(); !s) return s;
  auto meta = read_snapshot_meta(*file);
  if (!meta) return meta.error().with_context("incomplete /meta");
  if (auto named = parse_snapshot_name(fs::path(path)); named && named->step != meta->step) {
    return fail(path + ": /meta/step is " + std::to_string(meta->step) +
                " but the file name says step " + std::to_string(named->step));
  }
  if (meta->world_size < 1) {
    return fail(path + ": /meta/world_size is " + std::to_string(meta->world_size) +
                ", expected >= 1");
  }
  return file->close();
}

namespace {

// Why a valid snapshot with `meta` cannot continue this run, or nothing when it can.
std::optional<std::string> resume_refusal(const std::string& path, const snapshot_meta& meta,
                                          std::int64_t expected_world_size,
                                          const std::string& expected_config_text,
                                          const std::vector<std::string>& ignored_keys,
                                          std::int64_t global_batch,
                                          const std::string& defaults_text) {
  if (meta.world_size != expected_world_size) {
    const std::string sizes = path + " was written by a run with world size " +
                              std::to_string(meta.world_size) + ", this run has world size " +
                              std::to_string(expected_world_size);
    if (global_batch <= 0) return sizes;
    if (expected_world_size < 1 || global_batch % expected_world_size != 0) {
      return sizes + "; a snapshot resumes at another world size only when the global batch (" +
             std::to_string(global_batch) + " prompts) divides evenly over the new ranks";
    }
  }
  std::vector<std::string> ignored = ignored_keys;
  if (!defaults_text.empty()) {
    for (auto& k : keys_added_at_default(meta.config_text, expected_config_text, defaults_text)) {
      ignored.push_back(std::move(k));
    }
  }
  const std::string stored = config_text_without(meta.config_text, ignored);
  const std::string expected = config_text_without(expected_config_text, ignored);
  if (stored != expected) {
    return path + " was written with a different configuration (" +
           first_difference(stored, expected) + ")";
  }
  return std::nullopt;
}

}  // namespace

result<resume_plan> find_resume(const std::string& dir, std::int64_t expected_world_size,
                                const std::string& expected_config_text,
                                const std::vector<std::string>& ignored_keys,
                                std::int64_t global_batch, const std::string& defaults_text) {
  auto files = list_snapshot_files(dir);
  if (!files) return files.error();
  resume_plan plan;
  for (const snapshot_file& f : *files) {
    if (f.torn) {
      plan.skipped.push_back(
          {f.path, "torn: a .tmp file left by an interrupted snapshot write (never renamed)"});
      continue;
    }
    if (auto s = validate_snapshot(f.path); !s) {
      plan.skipped.push_back({f.path, "invalid: " + s.error().message()});
      continue;
    }
    auto file = hdf5_file::open(f.path);
    if (!file) {
      plan.skipped.push_back({f.path, "invalid: " + file.error().message()});
      continue;
    }
    auto meta = read_snapshot_meta(*file);
    if (!meta) {
      plan.skipped.push_back({f.path, "invalid: " + meta.error().message()});
      continue;
    }
    plan.meta = *meta;
    plan.refusal = resume_refusal(f.path, *meta, expected_world_size, expected_config_text,
                                  ignored_keys, global_batch, defaults_text);
    if (!plan.refusal) {
      plan.path = f.path;
      plan.step = meta->step;
    }
    return plan;
  }
  return plan;
}

result<snapshot_meta> check_resume_snapshot(const std::string& path,
                                            std::int64_t expected_world_size,
                                            const std::string& expected_config_text,
                                            const std::vector<std::string>& ignored_keys,
                                            std::int64_t global_batch,
                                            const std::string& defaults_text) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return fail(path + ": no such snapshot file");
  if (auto s = validate_snapshot(path); !s) {
    return fail("not a valid leadrl snapshot: " + s.error().message());
  }
  auto file = hdf5_file::open(path);
  if (!file) return file.error();
  auto meta = read_snapshot_meta(*file);
  if (!meta) return meta.error();
  if (auto why = resume_refusal(path, *meta, expected_world_size, expected_config_text,
                                ignored_keys, global_batch, defaults_text)) {
    return fail(*why);
  }
  return *meta;
}

}  // namespace leadrl::io
