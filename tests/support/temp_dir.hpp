// File: tests/support/temp_dir.hpp
//
// The scratch directory of a test: a fresh directory under the system temp dir
// (std::filesystem::temp_directory_path(), i.e. $TMPDIR or /tmp), unique per instance
// (mkdtemp), removed with everything in it when the object goes out of scope. A gtest
// fixture holding one as a member gets a new directory for every test. Also: reading and
// writing a whole file as bytes.
//
//   test::temp_dir dir("hdf5");
//   auto f = io::hdf5_file::create(dir.file("a.h5"));
#pragma once

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

namespace leadrl::test {

/// The whole content of the file `path`, byte for byte ("" when it cannot be read).
inline std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Replaces the file `path` with `bytes`.
inline void write_file_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A directory that exists for the lifetime of the object; not copyable.
class temp_dir {
 public:
  /// Creates <temp>/leadrl_`tag`_XXXXXX. Throws std::runtime_error when it cannot.
  explicit temp_dir(const std::string& tag = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("leadrl_" + tag + "_XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("temp_dir: cannot create " + pattern);
    }
    path_ = pattern;
  }
  /// Removes the directory and its contents; errors are ignored.
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  const std::filesystem::path& path() const { return path_; }
  /// The directory as a string.
  std::string str() const { return path_.string(); }
  /// The path of `name` inside the directory (not created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to the file `name` inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = file(name);
    write_file_bytes(p, content);
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace leadrl::test
