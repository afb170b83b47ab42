#!/usr/bin/env bash
# ctest demo.smoke: runs scripts/demo.sh --smoke (every stage at tiny size) into OUT and
# checks that each stage finished, whatever order the side-by-side RL runs finish in,
# and that the outputs are well-formed: the printed table and results.csv have a row per
# model, every method left an exported policy, every plot is an SVG file. No assertion on
# the results or the time. Prints "demo-smoke-ok" last on success.
#
# usage: demo_smoke.sh SOURCE_DIR BUILD_DIR OUT
set -uo pipefail
src=$1
build=$2
out=$3
methods=(lead grpo arora lead_static)
log=$(LEADRL_SKIP_BUILD=1 LEADRL_BUILD_DIR="$build" LEADRL_DEMO_OUT="$out" \
  bash "$src/scripts/demo.sh" --smoke --force-sft 2>&1)
rc=$?
echo "$log"
bad=0
missing() {
  echo "demo_smoke: $1" >&2
  bad=1
}
[ "$rc" -eq 0 ] || missing "demo.sh exited with $rc"
stages=(sft eval plot)
for m in "${methods[@]}"; do stages+=("rl_$m" "export_$m"); done
for s in "${stages[@]}"; do
  grep -Eq "\] $s +done in" <<<"$log" || missing "no 'done' line for stage $s"
done
grep -q '^demo: finished' <<<"$log" || missing "no 'demo: finished' line"
[ "$(sed -n '1p' "$out/results.csv" 2>/dev/null)" = \
  "model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta" ] ||
  missing "$out/results.csv: missing or not the expected header"
for m in base "${methods[@]}"; do
  grep -Eq "^\| $m \| arith \|" <<<"$log" || missing "the printed table has no row for $m"
  grep -q "^$m,arith," "$out/results.csv" 2>/dev/null || missing "results.csv has no row for $m"
done
for m in "${methods[@]}"; do
  for f in config.json model.safetensors tokenizer.json; do
    [ -s "$out/runs/$m/final/$f" ] || missing "$out/runs/$m/final/$f is missing or empty"
  done
done
for p in accuracy response_length w_corr w_eff lstar accuracy_vs_length; do
  head -c 200 "$out/plots/$p.svg" 2>/dev/null | grep -q '<svg' ||
    missing "$out/plots/$p.svg is missing or not an SVG file"
done
[ "$bad" -eq 0 ] && echo "demo-smoke-ok"
exit "$bad"
