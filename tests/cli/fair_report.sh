#!/bin/bash
# File: tests/cli/fair_report.sh
#
# `leadrl fair-report` on a tiny synthetic experiment, as a user runs it: a base (pass@1 0.5,
# 40 tokens), lead_max_sym seeds 1-3 (pass@1 0.60, 0.62, 0.64, 20 tokens) and grpo seeds 1,
# 2 and 4 (0.5, 40 tokens) with training logs, plus an unknown arm. Checks the warnings, the
# figures results.md and summary.json give (hand-computed below), every SVG parsed as XML,
# and that bad input (a missing base, malformed JSON, a readout without level 5, a
# non-numeric field) exits 2 naming the file.
#   usage: fair_report.sh LEADRL OUT PYTHON CHECK_OUTPUTS
. "$(dirname "$0")/../fault/lib.sh"
leadrl=$1 out=$2 python=$3 check_outputs=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

# level D PASS TOKENS SKIP: one entry of a readout's "levels" (minimal tokens 10).
level() {
  printf '{"level":%s,"answers":1600,"correct":800,"accuracy":%s,"mean_tokens":%s,' "$1" "$2" "$3"
  printf '"minimal_tokens":10.0,"length_ratio":%s,"skip_rate":%s,' "$(awk "BEGIN { print $3 / 10 }")" "$4"
  printf '"full":{"answers":1200,"correct":900,"accuracy":0.75},'
  printf '"fused":{"answers":400,"correct":200,"accuracy":0.5},'
  printf '"dropped":{"answers":0,"correct":0,"accuracy":null},'
  printf '"skipped":{"answers":400,"correct":200,"accuracy":0.5}}'
}

# readout FILE PASS TOKENS SKIP [LEVELS]: a readout.json with the same figures at each level.
readout() {
  local file=$1 levels=${5:-1 2 3 4 5} sep="" d
  mkdir -p "$(dirname "$file")"
  {
    printf '{"model":"m","problems_per_level":200,"samples_per_problem":8,"temperature":0.8,'
    printf '"top_p":0.9,"problem_seed":1,"sample_seed":1,"max_digits":1,"levels":['
    for d in $levels; do
      printf '%s' "$sep"
      level "$d" "$2" "$3" "$4"
      sep=,
    done
    printf '],"gate":{"passed":false,"checks":[]}}\n'
  } >"$file"
}

# train_log FILE SKIP: 12 steps with every level's figures and LEAD's.
train_log() {
  local file=$1 s d line
  for s in $(seq 1 12); do
    line="{\"step\":$s,\"critic/accuracy\":0.5,\"lead/w_corr\":0.8,\"lead/potential_corr\":0.2"
    line+=",\"lead/potential_eff\":0.1,\"lead/cv_corr_norm\":0.5,\"lead/cv_eff_norm\":0.3"
    for d in 1 2 3 4 5; do
      line+=",\"level$d/accuracy\":0.5,\"level$d/skip_rate\":$2,\"level$d/rollouts\":24"
      line+=",\"level$d/lstar_mean\":$((10 * d))"
    done
    echo "$line}"
  done >"$file"
}

exp=$out/experiment
readout "$exp/base/readout.json" 0.5 40 0.25
for s in 1 2 3; do
  readout "$exp/runs/lead_max_sym/seed$s/readout.json" "0.6$(((s - 1) * 2))" 20 0.1
  train_log "$exp/runs/lead_max_sym/seed$s/train.jsonl" 0.1
done
for s in 1 2 4; do
  readout "$exp/runs/grpo/seed$s/readout.json" 0.5 40 0.3
  train_log "$exp/runs/grpo/seed$s/train.jsonl" 0.3
done
readout "$exp/runs/lead_maxsym/seed1/readout.json" 0.5 40 0.3

report=$out/report
"$leadrl" fair-report --dir "$exp" --out-dir "$report" --bootstrap 2000 >"$out/run.log" 2>&1 ||
  die "exit code $?: $(tail -n 5 "$out/run.log")"
grep -qF "runs/lead_maxsym: not an arm of the fair test, ignored" "$out/run.log" ||
  die "no warning about the unknown arm: $(cat "$out/run.log")"
echo "ok warned: $(grep -m1 -F lead_maxsym "$out/run.log")"

md=$report/results.md
# expect TEXT: results.md contains TEXT.
expect() {
  grep -qF -- "$1" "$md" || die "results.md has no '$1':
$(cat "$md")"
}
expect "| base (SFT) | - | 0.500 | 0.500 | 0.500 | 0.500 | 0.500 |"
expect "| lead_max_sym | 3 | 0.620 ± 0.020 |"
expect "| grpo | 3 | 0.500 ± 0.000 |"
# lead_max_sym minus grpo on seeds 1 and 2 only: 0.10 and 0.12.
expect "| grpo | +0.110 [+0.100, +0.120] | 2 | interim: excludes 0 (2 of 8 pairs) |"
# AES per seed 0.5 + 3 * (0.2, 0.24, 0.28) = 1.10, 1.22, 1.34.
expect "| lead_max_sym | 3 | 1.220 ± 0.120 |"
expect "6 comparisons with an interval"
expect "No run found for: arora_0.1,"
echo "ok results.md: per-level means, AES and the paired test"

"$python" - "$report/summary.json" <<'EOF' || die "summary.json"
import json, sys
doc = json.load(open(sys.argv[1]))
arms = {a["arm"]: a for a in doc["arms"]}
assert arms["grpo"]["readout_seeds"] == [1, 2, 4], arms["grpo"]["readout_seeds"]
aes = arms["lead_max_sym"]["scores"]["aes_formula"]
assert abs(aes["mean"] - 1.22) < 1e-9 and aes["n"] == 3, aes
t = [t for t in doc["paired_tests"]["tests"]
     if t["other"] == "grpo" and t["readout"] == "pass_at_1_levels_4_5"][0]
assert t["pairs"] == 2 and abs(t["mean_difference"] - 0.11) < 1e-9, t
print("ok summary.json: seeds, AES and the paired test")
EOF

plots=$report/plots
"$python" "$check_outputs" svg "$plots/skip_rate_level4.svg" 2 grpo \
  "$plots/skip_rate_level1.svg" 2 lead_max_sym "$plots/lstar_per_level.svg" 5 "level 5" \
  "$plots/psi.svg" 5 lead/cv_eff_norm "$plots/accuracy_vs_length.svg" 0 "base (SFT)" ||
  die "charts"
[ ! -e "$plots/curriculum.svg" ] || die "curriculum.svg drawn without curriculum runs"
expect "plots/curriculum.svg: not drawn: no curriculum_lead or curriculum_static_0.5"

# bad CASE EXPECTED_TEXT: fair-report on a copy of the experiment changed by the caller
# must exit 2 naming the input.
bad() {
  local name=$1 expect=$2 code=0
  "$leadrl" fair-report --dir "$out/$name" --out-dir "$out/$name-report" >"$out/$name.log" 2>&1 ||
    code=$?
  [ "$code" -eq 2 ] || die "$name: expected exit code 2, got $code: $(tail -n 3 "$out/$name.log")"
  grep -qF -- "$expect" "$out/$name.log" || die "$name: no '$expect' in: $(cat "$out/$name.log")"
  echo "ok $name: exit code 2: $(grep -m1 -F -- "$expect" "$out/$name.log" | cut -c1-160)"
}
copy() { rm -rf "${out:?}/$1" && cp -r "$exp" "$out/$1"; }

copy no_base && rm "$out/no_base/base/readout.json"
bad no_base "no_base/base/readout.json: cannot open"
copy malformed && head -c 300 "$exp/runs/grpo/seed2/readout.json" >"$out/malformed/runs/grpo/seed2/readout.json"
bad malformed "malformed/runs/grpo/seed2/readout.json (expected a readout written by leadrl step-gate --out-json): not JSON"
copy no_level5 && readout "$out/no_level5/runs/grpo/seed1/readout.json" 0.5 40 0.3 "1 2 3 4"
bad no_level5 "no_level5/runs/grpo/seed1/readout.json (expected a readout written by leadrl step-gate --out-json): key 'levels': expected each of the levels 1..5, level 5 is missing"
copy not_a_number && sed -i 's/"skip_rate":0.3/"skip_rate":"high"/' "$out/not_a_number/runs/grpo/seed4/readout.json"
bad not_a_number "seed4/readout.json (expected a readout written by leadrl step-gate --out-json): key 'levels[0].skip_rate': expected a fraction in [0, 1], got \"high\""
copy bad_log && echo '{"step": 13, "level1/skip_rate": 0.2' >>"$out/bad_log/runs/lead_max_sym/seed3/train.jsonl"
bad bad_log "bad_log/runs/lead_max_sym/seed3/train.jsonl: line 13: not a JSON object"

# A run still training (half-written last line, no readout yet): exit 2 as above, but
# --finished-only leaves it out with a warning and reports the same tables as before.
copy running && mkdir -p "$out/running/runs/grpo/seed5" &&
  { head -n 3 "$exp/runs/grpo/seed1/train.jsonl"; printf '{"step": 4, "level1/ski'; } \
    >"$out/running/runs/grpo/seed5/train.jsonl"
bad running "running/runs/grpo/seed5/train.jsonl: line 4"
"$leadrl" fair-report --dir "$out/running" --out-dir "$out/running-report" --bootstrap 2000 \
  --finished-only >"$out/running.log" 2>&1 || die "--finished-only: exit code $?: $(tail -n 3 "$out/running.log")"
grep -qF "running/runs/grpo/seed5: no readout.json (not finished), ignored" "$out/running.log" ||
  die "--finished-only: no warning: $(cat "$out/running.log")"
md=$out/running-report/results.md
expect "| grpo | +0.110 [+0.100, +0.120] | 2 | interim: excludes 0 (2 of 8 pairs) |"
echo "ok finished-only: the run in progress left out"
# --max-seed 4 reports seeds 1-4 and never reads seed 5; a bad value exits 2 naming it.
"$leadrl" fair-report --dir "$out/running" --out-dir "$out/max-seed-report" --bootstrap 2000 \
  --max-seed 4 >"$out/max_seed.log" 2>&1 || die "--max-seed 4: exit code $?: $(tail -n 3 "$out/max_seed.log")"
if grep -q seed5 "$out/max_seed.log"; then die "--max-seed 4 read seed 5: $(cat "$out/max_seed.log")"; fi
md=$out/max-seed-report/results.md
expect "| grpo | +0.110 [+0.100, +0.120] | 2 | interim: excludes 0 (2 of 8 pairs) |"
code=0
"$leadrl" fair-report --dir "$exp" --out-dir "$out/max-seed-bad" --max-seed -1 \
  >"$out/max_seed_bad.log" 2>&1 || code=$?
[ "$code" -eq 2 ] && grep -qF -- "max-seed" "$out/max_seed_bad.log" ||
  die "--max-seed -1: expected exit 2 naming the option, got $code: $(cat "$out/max_seed_bad.log")"
echo "ok max-seed: seeds above it left out"
echo "fair-report-cli-ok"
