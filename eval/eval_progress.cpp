#include "eval/eval_progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace leadrl::eval {

double eta_seconds(const eval_progress& p) {
  double eta = -1.0;
  if (p.samples_done > 0) {
    const auto left = std::max<std::int64_t>(p.samples_total - p.samples_done, 0);
    eta = p.seconds * static_cast<double>(left) / static_cast<double>(p.samples_done);
  }
  if (p.token_budget > 0 && p.generated_tokens > 0 && p.seconds > 0) {
    const auto left = std::max<std::int64_t>(p.token_budget - p.generated_tokens, 0);
    const double bound =
        p.seconds * static_cast<double>(left) / static_cast<double>(p.generated_tokens);
    eta = eta < 0 ? bound : std::min(eta, bound);
  }
  return eta;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[48];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

std::string progress_line(const std::string& label, const eval_progress& p, int width) {
  std::string line = label;
  if (width > 0) {
    const double frac = p.samples_total > 0 ? static_cast<double>(p.samples_done) /
                                                  static_cast<double>(p.samples_total)
                                            : 0.0;
    const int full = std::clamp(static_cast<int>(frac * width), 0, width);
    line += " [" + std::string(static_cast<std::size_t>(full), '#') +
            std::string(static_cast<std::size_t>(width - full), '-') + "]";
  }
  const double rate = p.seconds > 0 ? static_cast<double>(p.generated_tokens) / p.seconds : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, " %lld/%lld samples | %.0f tok/s | %s elapsed | ETA %s",
                static_cast<long long>(p.samples_done), static_cast<long long>(p.samples_total),
                rate, format_duration(p.seconds).c_str(), format_duration(eta_seconds(p)).c_str());
  return line + buf;
}

progress_printer::progress_printer(std::ostream& out, bool terminal, double plain_every_s,
                                   double redraw_s)
    : out_(out), terminal_(terminal), plain_every_s_(plain_every_s), redraw_s_(redraw_s) {}

void progress_printer::update(const std::string& label, const eval_progress& p) {
  if (label != label_) {
    clear();
    label_ = label;
    last_print_s_ = 0;
  }
  const bool last = p.samples_done >= p.samples_total;
  if (terminal_) {
    if (drawn_ && !last && p.seconds - last_print_s_ < redraw_s_) return;
    // \r and erase-to-end-of-line: the bar replaces itself.
    out_ << '\r' << progress_line(label, p, 24) << "\x1b[K" << std::flush;
    drawn_ = true;
  } else {
    if (p.seconds - last_print_s_ < plain_every_s_) return;
    out_ << progress_line(label, p, 0) << '\n' << std::flush;
  }
  last_print_s_ = p.seconds;
}

void progress_printer::clear() {
  if (terminal_ && drawn_) out_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

}  // namespace leadrl::eval
