// File: runtime/supervisor.cpp
//
// fork/exec supervision for `leadrl launch` (see supervisor.hpp). The child gets its own
// process group, so forwarded signals and the post-attempt cleanup reach mpirun and
// everything it started locally; a close-on-exec pipe reports an exec failure.
#include "runtime/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

namespace leadrl::runtime {

namespace {

// leadrl exits with 2 for bad usage or configuration, before doing any work.
constexpr int k_usage_exit_code = 2;
// The placeholder in COMMAND that --ranks fills in.
constexpr const char* k_ranks = "{ranks}";

// ---- argument parsing ---------------------------------------------------------------

result<long> parse_int(const std::string& name, const std::string& text, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || v < lo || v > hi) {
    return fail(name + ": expected an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got '" + text + "'");
  }
  return v;
}

result<double> parse_seconds(const std::string& name, const std::string& text, double hi) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != '\0' || !std::isfinite(v) || v < 0 || v > hi) {
    std::ostringstream msg;
    msg << name << ": expected a number of seconds in [0, " << hi << "], got '" << text << "'";
    return fail(msg.str());
  }
  return v;
}

// "4,2" -> {4, 2}: world sizes, strictly decreasing.
result<std::vector<int>> parse_rank_list(const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto n = parse_int("--ranks", item, 1, 100000);
    if (!n) return fail(n.error().message() + " in '" + text + "'");
    if (!out.empty() && *n >= out.back()) {
      return fail("--ranks: expected world sizes in decreasing order (e.g. 4,2), got '" + text +
                  "'");
    }
    out.push_back(static_cast<int>(*n));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// ---- logging --------------------------------------------------------------------------

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s += ' ';
    const bool plain = !w.empty() && w.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    s += plain ? w : "'" + w + "'";
  }
  return s;
}

class launch_log {
 public:
  launch_log(std::ostream& out, std::ofstream* file) : out_(out), file_(file) {}
  void line(const std::string& text) {
    const std::string l = utc_now() + " leadrl launch: " + text + "\n";
    out_ << l << std::flush;
    if (file_ && file_->is_open()) *file_ << l << std::flush;
  }

 private:
  std::ostream& out_;
  std::ofstream* file_;
};

// ---- signals --------------------------------------------------------------------------

volatile sig_atomic_t g_stop_signal = 0;
volatile pid_t g_child_group = 0;

extern "C" void forward_signal(int sig) {
  g_stop_signal = sig;
  const pid_t group = g_child_group;
  if (group > 0) ::kill(-group, sig);
}

class signal_forwarding {
 public:
  signal_forwarding() {
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() and sleeps wake up on a signal
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe_);  // a closed stderr must not kill the supervisor
  }
  ~signal_forwarding() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_child_group = 0;
    g_stop_signal = 0;
  }
  signal_forwarding(const signal_forwarding&) = delete;
  signal_forwarding& operator=(const signal_forwarding&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_pipe_ {};
};

// ---- one attempt ----------------------------------------------------------------------

struct attempt_run {
  bool started = false;
  std::string start_error;  ///< why exec failed, when !started
  attempt_end end;
  std::deque<std::string> tail;
};

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // our stderr is gone: keep supervising regardless
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

class tail_buffer {
 public:
  explicit tail_buffer(std::size_t keep) : keep_(keep) {}
  void add(const char* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (data[i] == '\n') {
        push(std::move(partial_));
        partial_.clear();
      } else if (partial_.size() < 4096) {
        partial_ += data[i];
      }
    }
  }
  std::deque<std::string> finish() {
    if (!partial_.empty()) push(std::move(partial_));
    partial_.clear();
    return std::move(lines_);
  }

 private:
  void push(std::string line) {
    if (keep_ == 0) return;
    lines_.push_back(std::move(line));
    while (lines_.size() > keep_) lines_.pop_front();
  }
  std::size_t keep_;
  std::string partial_;
  std::deque<std::string> lines_;
};

attempt_run run_once(const std::vector<std::string>& command, std::size_t tail_lines) {
  attempt_run out;
  int err_pipe[2];
  int exec_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    out.start_error = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    out.start_error = std::string("pipe: ") + std::strerror(errno);
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return out;
  }
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // Block the forwarded signals around fork so the handler never sees a half-set group.
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old_mask);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the job does not outlive its supervisor
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::dup2(err_pipe[1], STDERR_FILENO);  // dup2 clears close-on-exec on fd 2
    ::execvp(argv[0], argv.data());
    const int e = errno;
    write_all(exec_pipe[1], reinterpret_cast<const char*>(&e), sizeof e);
    ::_exit(127);
  }
  if (pid < 0) {
    out.start_error = std::string("fork: ") + std::strerror(errno);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    for (int fd : {err_pipe[0], err_pipe[1], exec_pipe[0], exec_pipe[1]}) ::close(fd);
    return out;
  }
  ::setpgid(pid, pid);  // also here, so the group exists before any signal is forwarded
  g_child_group = pid;
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);

  int exec_errno = 0;
  const bool exec_failed = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno) ==
                           static_cast<ssize_t>(sizeof exec_errno);
  ::close(exec_pipe[0]);

  tail_buffer tail(tail_lines);
  char buf[4096];
  bool pipe_open = true;
  bool exited = false;
  int wstatus = 0;
  using clock = std::chrono::steady_clock;
  clock::time_point exited_at{};
  // Copy stderr until the command has exited and its pipe is drained (EOF, or quiet for
  // a second when something it started still holds the pipe open).
  while (pipe_open) {
    pollfd p{err_pipe[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready > 0) {
      const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
      if (n > 0) {
        write_all(STDERR_FILENO, buf, static_cast<std::size_t>(n));
        tail.add(buf, static_cast<std::size_t>(n));
        if (exited) exited_at = clock::now();
        continue;
      }
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) pipe_open = false;
    }
    if (!exited) {
      const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) {
        exited = true;
        exited_at = clock::now();
      }
    } else if (clock::now() - exited_at > std::chrono::seconds(1)) {
      break;
    }
  }
  ::close(err_pipe[0]);
  while (!exited) {
    const pid_t w = ::waitpid(pid, &wstatus, 0);
    if (w == pid || (w < 0 && errno != EINTR)) exited = true;
  }
  // Stragglers of this attempt (e.g. ranks whose mpirun is gone) must not overlap the next.
  ::kill(-pid, SIGKILL);
  g_child_group = 0;

  if (exec_failed) {
    out.start_error =
        std::string("cannot run '") + command.front() + "': " + std::strerror(exec_errno);
    return out;
  }
  out.started = true;
  if (WIFSIGNALED(wstatus)) {
    out.end.signaled = true;
    out.end.code = WTERMSIG(wstatus);
  } else {
    out.end.code = WEXITSTATUS(wstatus);
  }
  out.tail = tail.finish();
  return out;
}

bool sleep_unless_stopped(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (g_stop_signal != 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return g_stop_signal == 0;
}

}  // namespace

result<launch_options> parse_launch_args(const std::vector<std::string>& args) {
  launch_options o;
  std::size_t i = 0;
  bool saw_separator = false;
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      saw_separator = true;
      ++i;
      break;
    }
    if (a == "--help" || a == "-h") {
      o.help = true;
      return o;
    }
    if (a.rfind("-", 0) != 0) {
      return fail("expected '--' before the COMMAND to supervise, got '" + a + "'");
    }
    std::string value;
    bool has_value = false;
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    if (a != "--max-restarts" && a != "--restart-delay" && a != "--log" && a != "--ranks" &&
        a != "--shrink-after") {
      return fail("unknown option '" + args[i] +
                  "' (expected --max-restarts N, --restart-delay S, --log FILE, --ranks R1,R2,..., "
                  "--shrink-after K, then -- COMMAND)");
    }
    if (!has_value) {
      if (i + 1 >= args.size() || args[i + 1] == "--") return fail(a + ": a value is required");
      value = args[++i];
    }
    if (a == "--max-restarts") {
      auto n = parse_int(a, value, 0, 1000);
      if (!n) return n.error();
      o.max_restarts = static_cast<int>(*n);
    } else if (a == "--restart-delay") {
      auto s = parse_seconds(a, value, 3600.0);
      if (!s) return s.error();
      o.restart_delay_s = *s;
    } else if (a == "--ranks") {
      auto r = parse_rank_list(value);
      if (!r) return r.error();
      o.ranks = std::move(*r);
    } else if (a == "--shrink-after") {
      auto k = parse_int(a, value, 1, 1000);
      if (!k) return k.error();
      o.shrink_after = static_cast<int>(*k);
    } else {
      if (value.empty()) return fail("--log: a file name is required");
      o.log_path = value;
    }
  }
  if (!saw_separator) return fail("expected '--' before the COMMAND to supervise");
  o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (o.command.empty()) return fail("no COMMAND after '--'");
  bool placeholder = false;
  for (const auto& c : o.command) placeholder = placeholder || c.find(k_ranks) != std::string::npos;
  if (!o.ranks.empty() && !placeholder) {
    return fail("--ranks: COMMAND has no " + std::string(k_ranks) +
                " to fill in (e.g. mpirun -np {ranks} leadrl train ...)");
  }
  if (o.ranks.empty() && placeholder) {
    return fail(std::string("COMMAND contains ") + k_ranks + " but no --ranks was given");
  }
  return o;
}

std::vector<std::string> command_for_ranks(const std::vector<std::string>& command, int ranks) {
  std::vector<std::string> out = command;
  const std::string n = std::to_string(ranks);
  const std::string key = k_ranks;
  for (auto& arg : out) {
    for (auto at = arg.find(key); at != std::string::npos; at = arg.find(key, at + n.size())) {
      arg.replace(at, key.size(), n);
    }
  }
  return out;
}

std::vector<std::string> resume_command(const std::vector<std::string>& command) {
  bool runs_train = false;
  for (std::size_t i = 0; i + 1 < command.size(); ++i) {
    const auto& a = command[i];
    const auto slash = a.find_last_of('/');
    const std::string base = slash == std::string::npos ? a : a.substr(slash + 1);
    if (base == "leadrl" && command[i + 1] == "train") runs_train = true;
  }
  if (!runs_train) return command;
  for (const auto& a : command) {
    if (a == "--resume" || a.rfind("--resume=", 0) == 0) return command;
  }
  auto out = command;
  out.emplace_back("--resume");
  out.emplace_back("auto");
  return out;
}

std::string describe(const attempt_end& end) {
  if (!end.signaled) return "exit code " + std::to_string(end.code);
  const char* name = ::strsignal(end.code);
  return "killed by signal " + std::to_string(end.code) +
         (name ? std::string(" (") + name + ")" : "");
}

result<launch_outcome> supervise(const launch_options& options, std::ostream& log_stream) {
  if (options.command.empty()) return fail("no command to supervise");
  std::ofstream file;
  if (!options.log_path.empty()) {
    file.open(options.log_path, std::ios::app);
    if (!file) return fail("--log: cannot append to '" + options.log_path + "'");
  }
  launch_log log(log_stream, &file);
  signal_forwarding forwarding;
  launch_outcome outcome;
  const int max_attempts = options.max_restarts + 1;
  std::size_t size_index = 0;  // into options.ranks
  int failures_at_size = 0;    // consecutive failed attempts at options.ranks[size_index]
  for (int attempt = 1;; ++attempt) {
    auto command = attempt == 1 ? options.command : resume_command(options.command);
    if (!options.ranks.empty()) command = command_for_ranks(command, options.ranks[size_index]);
    log.line("attempt " + std::to_string(attempt) + "/" + std::to_string(max_attempts) +
             " starting: " + join(command));
    const auto t0 = std::chrono::steady_clock::now();
    auto run = run_once(command, options.stderr_tail_lines);
    const double duration =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    outcome.attempts = attempt;
    if (!run.started) {
      log.line("attempt " + std::to_string(attempt) + " could not start: " + run.start_error +
               "; not restarting");
      outcome.exit_code = 127;
      return outcome;
    }
    attempt_record rec{attempt, command, run.end, duration, {run.tail.begin(), run.tail.end()}};
    outcome.history.push_back(rec);
    outcome.exit_code = run.end.exit_code();
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.1f", duration);
    if (!run.end.failed()) {
      log.line("attempt " + std::to_string(attempt) + " succeeded after " + dur + " s");
      return outcome;
    }
    std::string msg =
        "attempt " + std::to_string(attempt) + " failed after " + dur + " s: " + describe(run.end);
    if (!rec.stderr_tail.empty()) {
      msg += "; last stderr line(s):";
      for (const auto& l : rec.stderr_tail) msg += "\n    | " + l;
    }
    log.line(msg);
    if (g_stop_signal != 0) {
      outcome.interrupted = true;
      log.line(std::string("stopped by ") + ::strsignal(g_stop_signal) +
               " (forwarded to the command); not restarting; exit code " +
               std::to_string(outcome.exit_code));
      return outcome;
    }
    if (!run.end.signaled && run.end.code == k_usage_exit_code) {
      log.line(
          "exit code 2 means bad usage or configuration (leadrl's convention): "
          "restarting cannot help; not restarting");
      return outcome;
    }
    if (attempt >= max_attempts) {
      outcome.exhausted = true;
      log.line("giving up: " + std::to_string(options.max_restarts) +
               " restart(s) exhausted; exit code " + std::to_string(outcome.exit_code) +
               " (that of the last attempt)");
      return outcome;
    }
    if (!options.ranks.empty() && ++failures_at_size >= options.shrink_after &&
        size_index + 1 < options.ranks.size()) {
      log.line(std::to_string(failures_at_size) + " failed attempt(s) in a row at " +
               std::to_string(options.ranks[size_index]) + " ranks: the next attempt runs on " +
               std::to_string(options.ranks[size_index + 1]));
      ++size_index;
      failures_at_size = 0;
    }
    char delay[32];
    std::snprintf(delay, sizeof delay, "%g", options.restart_delay_s);
    log.line("restart " + std::to_string(attempt) + " of " + std::to_string(options.max_restarts) +
             " in " + delay + " s");
    if (!sleep_unless_stopped(options.restart_delay_s)) {
      outcome.interrupted = true;
      log.line(std::string("stopped by ") + ::strsignal(g_stop_signal) +
               " before restarting; exit code " + std::to_string(outcome.exit_code));
      return outcome;
    }
  }
}

}  // namespace leadrl::runtime
