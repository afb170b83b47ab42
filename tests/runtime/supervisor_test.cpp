// Tests of the `leadrl launch` supervisor (runtime/supervisor.hpp) with small shell
// commands: argument parsing, --resume insertion, restart counting, cause reporting
// (exit code, signal, stderr tail), exit codes, exec failure and the log file.
#include "runtime/supervisor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using leadrl::runtime::launch_options;
using leadrl::runtime::parse_launch_args;
using leadrl::runtime::resume_command;
using leadrl::runtime::supervise;
using strings = std::vector<std::string>;

std::string read_text(const std::filesystem::path& p) {
  return leadrl::test::read_file_bytes(p.string());
}

// True while `pid` exists and is not a zombie (a container's init may not reap orphans).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

launch_options sh(const std::string& script, int max_restarts) {
  launch_options o;
  o.max_restarts = max_restarts;
  o.restart_delay_s = 0.0;
  o.command = {"sh", "-c", script};
  return o;
}

TEST(LaunchArgs, ParsesOptionsAndCommand) {
  auto o = parse_launch_args({"--max-restarts", "5", "--restart-delay=0.5", "--log", "x.log", "--",
                              "mpirun", "-np", "2", "leadrl", "train", "a.ini"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->max_restarts, 5);
  EXPECT_DOUBLE_EQ(o->restart_delay_s, 0.5);
  EXPECT_EQ(o->log_path, "x.log");
  EXPECT_EQ(o->command, (strings{"mpirun", "-np", "2", "leadrl", "train", "a.ini"}));
  auto d = parse_launch_args({"--", "true"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->max_restarts, 3);
  EXPECT_FALSE(d->help);
  auto h = parse_launch_args({"--help"});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->help);
  // Options after `--` belong to the command.
  auto c = parse_launch_args({"--", "cmd", "--max-restarts", "x"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->command, (strings{"cmd", "--max-restarts", "x"}));
}

TEST(LaunchArgs, RejectsBadUsageNamingTheArgument) {
  struct bad_case {
    strings args;
    std::string expect;
  };
  const std::vector<bad_case> cases = {
      {{"true"}, "--"},
      {{"--max-restarts", "2", "true"},
       "expected '--' before the COMMAND to supervise, got 'true'"},
      {{"--retries", "2", "--", "true"}, "unknown option '--retries'"},
      {{"--max-restarts", "two", "--", "true"}, "--max-restarts"},
      {{"--max-restarts", "-1", "--", "true"}, "--max-restarts"},
      {{"--max-restarts", "3.5", "--", "true"}, "--max-restarts"},
      {{"--restart-delay", "soon", "--", "true"}, "--restart-delay"},
      {{"--restart-delay", "-2", "--", "true"}, "--restart-delay"},
      {{"--restart-delay", "nan", "--", "true"}, "--restart-delay"},
      {{"--log", "--", "true"}, "--log"},
      {{"--restarts=2", "--", "true"}, "--restarts"},
      {{"--"}, "no COMMAND"},
      {{"--ranks", "4,2", "--", "mpirun", "-np", "4", "x"}, "COMMAND has no {ranks}"},
      {{"--", "mpirun", "-np", "{ranks}", "x"}, "no --ranks was given"},
      {{"--ranks", "2,4", "--", "x", "{ranks}"}, "decreasing order"},
      {{"--ranks", "4,4", "--", "x", "{ranks}"}, "decreasing order"},
      {{"--ranks", "4,0", "--", "x", "{ranks}"}, "--ranks"},
      {{"--ranks", "4,", "--", "x", "{ranks}"}, "--ranks"},
      {{"--ranks", "--", "x", "{ranks}"}, "--ranks"},
      {{"--ranks=4,2", "--shrink-after", "0", "--", "x", "{ranks}"}, "--shrink-after"},
  };
  for (const auto& c : cases) {
    auto o = parse_launch_args(c.args);
    ASSERT_FALSE(o) << c.expect;
    EXPECT_NE(o.error().message().find(c.expect), std::string::npos) << o.error().message();
  }
}

TEST(LaunchArgs, ParsesARankListAndFillsInThePlaceholder) {
  auto o = parse_launch_args({"--ranks", "4,2,1", "--shrink-after=3", "--", "mpirun", "-np",
                              "{ranks}", "x={ranks}{ranks}"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->ranks, (std::vector<int>{4, 2, 1}));
  EXPECT_EQ(o->shrink_after, 3);
  EXPECT_EQ(leadrl::runtime::command_for_ranks(o->command, 12),
            (strings{"mpirun", "-np", "12", "x=1212"}));
  auto d = parse_launch_args({"--ranks", "8", "--", "{ranks}"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->shrink_after, 2);
}

TEST(Supervise, ShrinksTheWorldSizeAfterRepeatedFailures) {
  const leadrl::test::temp_dir scratch("supervisor_ranks");
  const auto args_file = (scratch.path() / "args").string();
  launch_options o;
  o.max_restarts = 5;
  o.restart_delay_s = 0.0;
  o.ranks = {4, 2, 1};
  o.shrink_after = 2;
  // Fails at any size but 1; `sh -c SCRIPT leadrl train a.ini -np N`.
  o.command = {"sh",     "-c",     "echo \"$*\" >> '" + args_file + "'; test \"$4\" = 1",
               "leadrl", "train",  "a.ini",
               "-np",    "{ranks}"};
  std::ostringstream log;
  auto out = supervise(o, log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->attempts, 5);
  EXPECT_EQ(read_text(args_file),
            "train a.ini -np 4\n"
            "train a.ini -np 4 --resume auto\n"
            "train a.ini -np 2 --resume auto\n"
            "train a.ini -np 2 --resume auto\n"
            "train a.ini -np 1 --resume auto\n");
  EXPECT_NE(log.str().find("2 failed attempt(s) in a row at 4 ranks: the next attempt runs on 2"),
            std::string::npos)
      << log.str();
}

TEST(ResumeCommand, AppendsResumeAutoToATrainCommandOnly) {
  EXPECT_EQ(resume_command({"mpirun", "-np", "3", "/x/build/leadrl", "train", "a.ini", "k=v"}),
            (strings{"mpirun", "-np", "3", "/x/build/leadrl", "train", "a.ini", "k=v", "--resume",
                     "auto"}));
  EXPECT_EQ(resume_command({"leadrl", "train", "a.ini"}),
            (strings{"leadrl", "train", "a.ini", "--resume", "auto"}));
  // Already resuming: left alone.
  const strings explicit_path{"leadrl", "train", "a.ini", "--resume", "snap/step_000004.h5"};
  EXPECT_EQ(resume_command(explicit_path), explicit_path);
  const strings with_eq{"leadrl", "train", "a.ini", "--resume=auto"};
  EXPECT_EQ(resume_command(with_eq), with_eq);
  // Not a train command.
  const strings grade{"leadrl", "grade", "-i", "x"};
  EXPECT_EQ(resume_command(grade), grade);
  const strings other{"sh", "-c", "leadrl train a.ini"};
  EXPECT_EQ(resume_command(other), other);
  const strings lookalike{"notleadrl", "train"};
  EXPECT_EQ(resume_command(lookalike), lookalike);
}

TEST(Supervise, SuccessRunsOnce) {
  std::ostringstream log;
  auto out = supervise(sh("exit 0", 3), log);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->attempts, 1);
  EXPECT_FALSE(out->exhausted);
  EXPECT_NE(log.str().find("attempt 1 succeeded"), std::string::npos) << log.str();
}

TEST(Supervise, ExhaustsRestartsAndReturnsTheLastExitCode) {
  std::ostringstream log;
  auto out = supervise(sh("echo first >&2; echo 'the cause' >&2; exit 3", 2), log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->attempts, 3);
  EXPECT_TRUE(out->exhausted);
  EXPECT_EQ(out->exit_code, 3);
  ASSERT_EQ(out->history.size(), 3u);
  for (const auto& a : out->history) {
    EXPECT_FALSE(a.end.signaled);
    EXPECT_EQ(a.end.code, 3);
    EXPECT_EQ(a.stderr_tail, (strings{"first", "the cause"}));
    EXPECT_GE(a.duration_s, 0.0);
  }
  const std::string text = log.str();
  EXPECT_NE(text.find("attempt 3 failed after"), std::string::npos) << text;
  EXPECT_NE(text.find("exit code 3; last stderr line(s):\n    | first\n    | the cause"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("2 restart(s) exhausted; exit code 3"), std::string::npos) << text;
  EXPECT_EQ(text.find("attempt 4"), std::string::npos) << text;
}

TEST(Supervise, ExitCodeTwoIsAConfigurationErrorAndNotRestarted) {
  std::ostringstream log;
  auto out = supervise(sh("echo 'bad key' >&2; exit 2", 3), log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->attempts, 1);
  EXPECT_EQ(out->exit_code, 2);
  EXPECT_FALSE(out->exhausted);
  EXPECT_NE(log.str().find("not restarting"), std::string::npos) << log.str();
}

TEST(Supervise, ZeroRestartsMeansOneAttempt) {
  std::ostringstream log;
  auto out = supervise(sh("exit 9", 0), log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->attempts, 1);
  EXPECT_TRUE(out->exhausted);
  EXPECT_EQ(out->exit_code, 9);
}

TEST(Supervise, RestartsUntilSuccessWithACounterFile) {
  const leadrl::test::temp_dir scratch("supervisor_counter");
  const auto& dir = scratch.path();
  const auto counter = (dir / "n").string();
  // Fails on the first two runs, succeeds on the third.
  const std::string script = "n=$(cat '" + counter +
                             "' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '" + counter +
                             "'; test $n -ge 3 || exit 1";
  std::ostringstream log;
  auto out = supervise(sh(script, 5), log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->attempts, 3);
  EXPECT_FALSE(out->exhausted);
  EXPECT_EQ(read_text(counter), "3\n");
  EXPECT_NE(log.str().find("restart 2 of 5"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("attempt 3 succeeded"), std::string::npos) << log.str();
}

TEST(Supervise, ReportsDeathBySignal) {
  std::ostringstream log;
  auto out = supervise(sh("echo dying >&2; kill -9 $$", 1), log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->attempts, 2);
  ASSERT_EQ(out->history.size(), 2u);
  EXPECT_TRUE(out->history[0].end.signaled);
  EXPECT_EQ(out->history[0].end.code, 9);
  EXPECT_EQ(out->exit_code, 128 + 9);
  EXPECT_NE(log.str().find("killed by signal 9 (Killed)"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("    | dying"), std::string::npos) << log.str();
}

TEST(Supervise, KeepsOnlyTheLastStderrLines) {
  auto o = sh(
      "for i in 1 2 3 4 5 6 7 8; do echo line$i >&2; done; printf tail-no-newline >&2; exit 1", 0);
  o.stderr_tail_lines = 3;
  std::ostringstream log;
  auto out = supervise(o, log);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->history.size(), 1u);
  EXPECT_EQ(out->history[0].stderr_tail, (strings{"line7", "line8", "tail-no-newline"}));
}

TEST(Supervise, RestartsOfATrainCommandResume) {
  const leadrl::test::temp_dir scratch("supervisor_resume");
  const auto& dir = scratch.path();
  const auto args_file = (dir / "args").string();
  launch_options o;
  o.max_restarts = 2;
  o.restart_delay_s = 0.0;
  // `sh -c SCRIPT leadrl train a.ini`: $0 is "leadrl", "$@" the train arguments.
  o.command = {"sh",     "-c",    "echo \"$*\" >> '" + args_file + "'; exit 1",
               "leadrl", "train", "a.ini"};
  std::ostringstream log;
  auto out = supervise(o, log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->attempts, 3);
  EXPECT_EQ(read_text(args_file),
            "train a.ini\ntrain a.ini --resume auto\ntrain a.ini --resume auto\n");
  EXPECT_EQ(out->history[1].command.back(), "auto");
}

TEST(Supervise, ACommandThatCannotStartIsNotRestarted) {
  launch_options o;
  o.command = {"/nonexistent/leadrl-no-such-program"};
  std::ostringstream log;
  auto out = supervise(o, log);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->exit_code, 127);
  EXPECT_EQ(out->attempts, 1);
  EXPECT_NE(log.str().find("cannot run '/nonexistent/leadrl-no-such-program'"), std::string::npos)
      << log.str();
}

TEST(Supervise, AppendsToTheLogFile) {
  const leadrl::test::temp_dir scratch("supervisor_logfile");
  const auto& dir = scratch.path();
  auto o = sh("exit 4", 1);
  o.log_path = (dir / "launch.log").string();
  std::ofstream(o.log_path) << "earlier run\n";
  std::ostringstream log;
  auto out = supervise(o, log);
  ASSERT_TRUE(out);
  const std::string text = read_text(o.log_path);
  EXPECT_EQ(text.rfind("earlier run\n", 0), 0u) << text;
  EXPECT_NE(text.find("attempt 2 failed after"), std::string::npos) << text;
  EXPECT_NE(text.find("leadrl launch: giving up"), std::string::npos) << text;

  o.log_path = (dir / "no-such-dir" / "launch.log").string();
  auto bad = supervise(o, log);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("no-such-dir"), std::string::npos);
}

TEST(Supervise, KillsStragglersLeftInTheGroup) {
  const leadrl::test::temp_dir scratch("supervisor_straggler");
  const auto& dir = scratch.path();
  const auto pid_file = (dir / "pid").string();
  // The command exits at once, leaving a background child that holds no pipe open.
  std::ostringstream log;
  auto out =
      supervise(sh("sleep 30 >/dev/null 2>&1 & echo $! > '" + pid_file + "'; exit 0", 0), log);
  ASSERT_TRUE(out);
  const pid_t straggler = static_cast<pid_t>(std::stol(read_text(pid_file)));
  // Killed (and reaped by init once the shell is gone): give it a moment to disappear.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !running(straggler);
    if (!gone) ::usleep(20000);
  }
  EXPECT_TRUE(gone) << "pid " << straggler << " survived its attempt";
}

TEST(Supervise, ForwardsSigtermAndDoesNotRestart) {
  const leadrl::test::temp_dir scratch("supervisor_sigterm");
  const auto& dir = scratch.path();
  const auto started = dir / "started";
  // The test sends SIGTERM to itself once the command runs; the supervisor's handler
  // forwards it to the command's group and stops.
  std::thread sender([&] {
    for (int i = 0; i < 500 && !std::filesystem::exists(started); ++i) ::usleep(10000);
    ::kill(::getpid(), SIGTERM);
  });
  std::ostringstream log;
  auto out = supervise(sh("touch '" + started.string() + "'; sleep 30; exit 0", 3), log);
  sender.join();
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->interrupted);
  EXPECT_EQ(out->attempts, 1);
  ASSERT_EQ(out->history.size(), 1u);
  EXPECT_EQ(out->exit_code, 128 + SIGTERM);  // the shell died of the forwarded signal
  EXPECT_NE(log.str().find("not restarting"), std::string::npos) << log.str();
}

}  // namespace
