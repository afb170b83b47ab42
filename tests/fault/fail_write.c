// File: tests/fault/fail_write.c
//
// Test-only LD_PRELOAD shim that makes writes into chosen snapshot files fail as a full
// disk (or an I/O error) would, to check that a failed snapshot write costs no older
// snapshot and does not end training. HDF5's sec2 driver writes with pwrite() and
// write() (nm -D libhdf5_serial.so); this shim wraps those (and pwrite64) and, when the
// file behind the descriptor (/proc/self/fd/N) ends in ".tmp" and contains
// LEADRL_FAULT_WRITE_MATCH, fails the call with LEADRL_FAULT_WRITE_ERRNO (ENOSPC by
// default, or EIO) after letting the first LEADRL_FAULT_WRITE_AFTER such calls (default
// 0) through, so that a partial file is left behind. A full disk before the write is
// shown by statvfs(): with LEADRL_FAULT_FULL_CALLS="3,5" the 3rd and 5th statvfs calls
// on a path containing LEADRL_FAULT_FULL_MATCH (the snapshot folder; leadrl's snapshot
// store makes one call per snapshot, other libraries make their own) report no space.
// Nothing in leadrl reads these variables; without LD_PRELOAD the shim is not loaded.
//
//   LD_PRELOAD=libleadrl_fault_fail_write.so LEADRL_FAULT_WRITE_MATCH=step_000003.h5
//     LEADRL_FAULT_WRITE_AFTER=5 leadrl train ...     (one command line)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);

static long passed = 0;      // matching calls let through so far
static int owns_marker = 0;  // this process created LEADRL_FAULT_WRITE_ONCE

// Whether this write to `fd` is to fail (sets errno when it is).
static int should_fail(int fd) {
  const char* match = getenv("LEADRL_FAULT_WRITE_MATCH");
  if (match == NULL || fd < 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 4) return 0;
  path[n] = '\0';
  if (strcmp(path + n - 4, ".tmp") != 0 || strstr(path, match) == NULL) return 0;
  const char* after = getenv("LEADRL_FAULT_WRITE_AFTER");
  if (after != NULL && passed < atol(after)) {
    ++passed;
    return 0;
  }
  // With LEADRL_FAULT_WRITE_ONCE (a marker path) only the process that creates the
  // marker fails writes: a restarted job with the same environment writes through.
  const char* once = getenv("LEADRL_FAULT_WRITE_ONCE");
  if (once != NULL && *once != '\0' && !owns_marker) {
    if (access(once, F_OK) == 0) return 0;
    FILE* f = fopen(once, "w");
    if (f != NULL) fclose(f);
    owns_marker = 1;
  }
  const char* code = getenv("LEADRL_FAULT_WRITE_ERRNO");
  errno = code != NULL && strcmp(code, "EIO") == 0 ? EIO : ENOSPC;
  return 1;
}

ssize_t write(int fd, const void* buf, size_t count) {
  write_fn real = (write_fn)dlsym(RTLD_NEXT, "write");
  if (should_fail(fd)) return -1;
  return real(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  pwrite_fn real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  if (should_fail(fd)) return -1;
  return real(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  pwrite_fn real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
  if (should_fail(fd)) return -1;
  return real(fd, buf, count, offset);
}

typedef int (*statvfs_fn)(const char*, struct statvfs*);
static long statvfs_calls = 0;

// Whether call number `n` (1-based) is listed in LEADRL_FAULT_FULL_CALLS.
static int full_at(long n) {
  const char* list = getenv("LEADRL_FAULT_FULL_CALLS");
  while (list != NULL && *list != '\0') {
    char* end = NULL;
    const long k = strtol(list, &end, 10);
    if (end == list) return 0;
    if (k == n) return 1;
    list = *end == ',' ? end + 1 : end;
  }
  return 0;
}

int statvfs(const char* path, struct statvfs* buf) {
  statvfs_fn real = (statvfs_fn)dlsym(RTLD_NEXT, "statvfs");
  const int rc = real(path, buf);
  const char* match = getenv("LEADRL_FAULT_FULL_MATCH");
  if (match != NULL && strstr(path, match) == NULL) return rc;
  if (rc == 0 && full_at(++statvfs_calls)) {
    buf->f_bavail = 0;
    buf->f_bfree = 0;
  }
  return rc;
}
