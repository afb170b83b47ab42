// File: tests/fault/stop_before_rename.c
//
// Test-only LD_PRELOAD shim that holds a process inside the snapshot write window, so a
// fault test can SIGKILL it there reliably instead of racing a few milliseconds.
// Snapshots are written as NAME.tmp, fsynced, then renamed to NAME (io/snapshot_store);
// this shim intercepts rename(): when the source ends in ".tmp" and contains
// LEADRL_FAULT_STOP_MATCH (when set), this process is the rank named by
// LEADRL_FAULT_STOP_RANK (OMPI_COMM_WORLD_RANK), and the file named by
// LEADRL_FAULT_STOP_MARKER does not exist yet, it creates that file (holding the .tmp
// path) and stops itself (SIGSTOP) before the rename. The marker makes it fire once per
// test, so the restarted job (same environment) writes through. Nothing in leadrl reads
// these variables; without LD_PRELOAD the shim is not loaded at all.
//
//   mpirun -x LD_PRELOAD=libleadrl_fault_stop_before_rename.so -x LEADRL_FAULT_STOP_RANK=0
//          -x LEADRL_FAULT_STOP_MARKER=/tmp/m -x LEADRL_FAULT_STOP_MATCH=step_000004
//          ... leadrl train ...        (one command line)
//   # wait for /tmp/m, then kill -KILL the stopped rank: its snapshot stays a torn .tmp
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*rename_fn)(const char*, const char*);

static int ends_with_tmp(const char* path) {
  const size_t n = strlen(path);
  return n >= 4 && strcmp(path + n - 4, ".tmp") == 0;
}

static int is_target_rank(void) {
  const char* want = getenv("LEADRL_FAULT_STOP_RANK");
  const char* mine = getenv("OMPI_COMM_WORLD_RANK");
  return want != NULL && mine != NULL && strcmp(want, mine) == 0;
}

static int matches(const char* path) {
  const char* match = getenv("LEADRL_FAULT_STOP_MATCH");
  return ends_with_tmp(path) && (match == NULL || strstr(path, match) != NULL);
}

int rename(const char* oldpath, const char* newpath) {
  rename_fn real = (rename_fn)dlsym(RTLD_NEXT, "rename");
  const char* marker = getenv("LEADRL_FAULT_STOP_MARKER");
  if (marker != NULL && matches(oldpath) && is_target_rank()) {
    const int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {  /* first time in this test: stop here */
      const ssize_t w = write(fd, oldpath, strlen(oldpath));
      (void)w;
      close(fd);
      raise(SIGSTOP);
    }
  }
  return real(oldpath, newpath);
}
