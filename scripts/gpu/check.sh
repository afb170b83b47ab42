#!/usr/bin/env bash
# The one device check of issue 14: probe, carried build, the unit tests that touch the
# device, a short `leadrl train` on the device, `leadrl export` of its snapshot and the
# log-prob agreement of the export with transformers. Writes a markdown report and prints
# it; every step records pass/fail/skip and its wall time, and a failed step does not stop
# the later steps that do not need its result. Meant to end within 9 minutes on one H100.
#
# On the GPU machine (device tool): run(carry: [".gpu_carry"],
#   command: "bash scripts/gpu/check.sh", timeout_s: 600)
# CPU rehearsal: LEADRL_CHECK_DEVICE=cpu bash scripts/gpu/check.sh
#
# Environment (all optional):
#   LEADRL_CHECK_DEVICE    cuda, cuda:N or cpu (default: cuda where nvidia-smi exists)
#   LEADRL_GPU_BUILD       build folder (default: build-gpu), as for build.sh
#   LEADRL_CHECK_TARGETS   what build.sh builds (default: leadrl leadrl_model_tests
#                          leadrl_mpi_tests bench_device bench_checksum);
#                          LEADRL_CHECK_SKIP_BUILD=1 uses
#                          the folder as is
#   LEADRL_CHECK_MODEL_FILTER, LEADRL_CHECK_MPI_FILTER  --gtest_filter of the two suites
#   LEADRL_CHECK_BUILD_TIMEOUT  seconds the build may take (default 420), so that the
#                          report is still written inside the device tool's 600 s
#   OUT                    the report goes to $OUT/gpu_check.md (else BUILD/gpu_check.md),
#                          with the step logs as gpu_check_logs.tar.gz beside it (the
#                          device tool returns at most 8 files); logs in BUILD/check_logs
# Exit status: 0 no step failed (skipped and not-built steps allowed), 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/scripts/gpu
build=${LEADRL_GPU_BUILD:-$root/build-gpu}
export LEADRL_GPU_BUILD=$build
device=${LEADRL_CHECK_DEVICE:-$(command -v nvidia-smi >/dev/null && echo cuda || echo cpu)}
targets=${LEADRL_CHECK_TARGETS:-leadrl leadrl_model_tests leadrl_mpi_tests bench_device bench_checksum}
# Scoring.RowsAre... needs the 11 MB R1 tokenizer, which is not carried.
model_filter=${LEADRL_CHECK_MODEL_FILTER:-decoder.*:kv_cache.*:sampler.*:generation.*:LearnerStep.*:PolicyLoss.*:PolicyOptimizer.*:GradClip.*:Scoring.*:*Device*:*Cuda*:*Gpu*-Scoring.RowsAreCheckedAndPromptResponseIdsSplitAtThePrompt}
# (the late-peer deadline test needs two ranks; the check runs one, one rank per GPU)
mpi_filter=${LEADRL_CHECK_MPI_FILTER:-MpiCollectives.*:NcclCollectives.*:GradientSync.*:MpiWorld.*-MpiCollectives.ALatePeerTurnsIntoADeadlineErrorInsteadOfAHang}
report_dir=${OUT:-$build}
mkdir -p "$report_dir" "$build"
report=$report_dir/gpu_check.md
logs=$build/check_logs
run=$build/check_run
rm -rf "$logs" "$run"
mkdir -p "$logs" "$run"
# The python that holds torch must not see the carried libraries; leadrl's programs do.
carried() { (source "$build/carry-env.sh" && "$@"); }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
# Tests read shared data from $LEADRL_SHARED, else ../shared, which does not travel to the
# GPU machine: gather.sh carries the one model the model tests load.
if [ -z "${LEADRL_SHARED:-}" ] && [ ! -d "$root/../shared" ] && [ -d "$root/.gpu_carry/shared" ]; then
  export LEADRL_SHARED=$root/.gpu_carry/shared
fi

rows=()
failed=0
# step NAME COMMAND...: runs COMMAND with its output in $logs/NAME.log; exit 0 pass,
# 77 skip (the log's last line says why), anything else fail.
step() {
  local name=$1 t0 rc status note
  shift
  echo "== $name"
  t0=$(date +%s.%N)
  "$@" >"$logs/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=pass ;;
    77) status=skip ;;
    *) status="FAIL (exit $rc)"; failed=1 ;;
  esac
  note=$(grep -Ev '^\s*$|^-+$' "$logs/$name.log" | tail -1 | cut -c1-150 | tr '|' '/')
  rows+=("| $name | $status | $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') | $note |")
  echo "   $status: $note"
  return $rc
}
# skip_step NAME REASON: a step that cannot run (no binary, or not built yet).
skip_step() {
  rows+=("| $1 | $2 | 0 | $3 |")
  echo "== $1"$'\n'"   $2: $3"
}

# --- 1. probe ----------------------------------------------------------------------------
probe() {
  echo "device: $device"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || return 1
  elif [ "$device" != cpu ]; then
    echo "no nvidia-smi, but LEADRL_CHECK_DEVICE=$device"; return 1
  fi
  echo "$(g++ --version | head -1); $(cmake --version | head -1); $(env -u OMP_NUM_THREADS nproc) cores"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
    torch.cuda.is_available(), "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)' 2>/dev/null ||
    echo "python3: no torch"
  python3 -c 'import transformers; print("transformers", transformers.__version__)' 2>/dev/null ||
    echo "python3: no transformers"
  local n
  n=$(ls "$root"/.gpu_carry/debs/*.deb 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] || { echo "no .gpu_carry/debs: run gather.sh here and carry .gpu_carry"; return 1; }
  echo "carry: $n packages, $(du -sh "$root/.gpu_carry" | cut -f1)"
}
step probe probe

# --- 2. build ----------------------------------------------------------------------------
if [ "${LEADRL_CHECK_SKIP_BUILD:-0}" = 1 ]; then
  skip_step build skip "LEADRL_CHECK_SKIP_BUILD=1: using $build as it is"
else
  # shellcheck disable=SC2086  # targets is a list
  step build timeout "${LEADRL_CHECK_BUILD_TIMEOUT:-420}" bash "$here/build.sh" $targets
fi
leadrl=$build/leadrl
have() { [ -x "$build/$1" ] || [ -x "$build/tests/$1" ]; }
bin() { if [ -x "$build/$1" ]; then echo "$build/$1"; else echo "$build/tests/$1"; fi; }

# A carried Open MPI moved out of /usr: a one-rank MPI program through the moved mpicc and
# mpirun (OPAL_PREFIX, PMIx plugins, orted), independent of leadrl's build.
mpi_hello() {
  printf '#include <mpi.h>\n#include <stdio.h>\nint main(int c,char**v){int r,n;MPI_Init(&c,&v);MPI_Comm_rank(MPI_COMM_WORLD,&r);MPI_Comm_size(MPI_COMM_WORLD,&n);printf("rank %%d of %%d\\n",r,n);MPI_Finalize();return 0;}\n' >"$run/hello.c"
  carried mpicc.openmpi "$run/hello.c" -o "$run/hello" &&
    carried "$run/hello" && carried mpirun.openmpi -np 2 --oversubscribe "$run/hello"
}
if [ -f "$build/carry-env.sh" ]; then
  step mpi_carry mpi_hello
else
  skip_step mpi_carry "FAIL" "no $build/carry-env.sh (build.sh did not get to unpack)"; failed=1
fi

# --- 3. unit tests that touch the device -------------------------------------------------
if have leadrl_model_tests; then
  step model_tests carried "$(bin leadrl_model_tests)" --gtest_filter="$model_filter" --gtest_brief=1
else
  skip_step model_tests "not built" "no leadrl_model_tests in $build"
fi
if have leadrl_mpi_tests; then
  step collective_tests carried mpirun.openmpi -np 1 "$(bin leadrl_mpi_tests)" \
    --gtest_filter="$mpi_filter" --gtest_brief=1
else
  skip_step collective_tests "not built" "no leadrl_mpi_tests in $build"
fi

# --- 4. benchmarks (issue 14 steps 3 and 4) ----------------------------------------------
# Decode tokens/s of a random R1-Distill-Qwen-1.5B-shaped Qwen2 in bfloat16 at 64 and 256
# sequences, against transformers' generate on the same weights and prompts, with the
# share of the HBM roofline; learner tokens/s and MFU on the same shape. The CPU rehearsal
# runs the same steps on a tiny shape. HBM bandwidth and bf16 dense peak by GPU name.
if [ "$device" = cpu ]; then
  bench_shape=(--hidden-size 64 --layers 2 --heads 4 --kv-heads 2 --intermediate-size 128
    --vocab-size 512)
  bench_batches=4,8 bench_prompt=16 bench_new=16 learn_batch=2 learn_seq=64 machine=()
else
  bench_shape=(--like R1-Distill-Qwen-1.5B)
  bench_batches=64,256 bench_prompt=128 bench_new=256 learn_batch=4 learn_seq=1024
  gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  case $gpu_name in
    *H200*) machine=(4800 989) ;;
    *H100*PCIe*) machine=(2000 756) ;;
    *H100*) machine=(3350 989) ;;
    *) machine=() ;;
  esac
fi
bench_model=$run/bench_model
if [ -x "$leadrl" ] && have bench_device; then
  step bench_model carried "$leadrl" init-model --output "$bench_model" "${bench_shape[@]}" \
    --dtype bfloat16 --seed 1
  decode_args=(--model "$bench_model" --device "$device" --dtype bfloat16 --batch "$bench_batches"
    --prompt "$bench_prompt" --new "$bench_new")
  step decode_bench carried "$(bin bench_device)" decode "${decode_args[@]}" \
    ${machine[0]:+--hbm-gbps ${machine[0]}}
  step hf_generate python3 "$here/bench_hf.py" "${decode_args[@]}"
  step learner_bench carried "$(bin bench_device)" learn --model "$bench_model" --device "$device" \
    --dtype bfloat16 --batch "$learn_batch" --seq "$learn_seq" --steps 3 \
    ${machine[1]:+--peak-tflops ${machine[1]}}
else
  skip_step decode_bench "FAIL" "no leadrl or bench_device in $build"; failed=1
fi
# The parameter checksum on the device against the FNV-1a form it replaced (host copy),
# over the benchmark model's parameters.
if have bench_checksum && [ -d "$bench_model" ]; then
  step checksum_bench carried "$(bin bench_checksum)" --model "$bench_model" --device "$device" \
    --dtype bfloat16 --repeats 3
else
  skip_step checksum_bench "not built" "no bench_checksum in $build, or no $bench_model"
fi

# --- 5. one short training run on the device ---------------------------------------------
# bfloat16 compute with float32 masters on the device (the CPU rehearsal runs the same).
device_keys=(model.device="$device" model.dtype=bfloat16)
snapshot=$run/snapshots/step_000002.h5
if [ -x "$leadrl" ]; then
  step train carried "$leadrl" train "$root/configs/arith_tiny_lead.ini" trainer.total_steps=2 \
    trainer.save_freq=2 trainer.snapshot_dir="$run/snapshots" trainer.log_jsonl="$run/train.jsonl" \
    trainer.progress=false "${device_keys[@]}"
else
  skip_step train "FAIL" "no leadrl binary in $build"; failed=1
fi

# --- 6. export and log-prob agreement with transformers ----------------------------------
hf=$run/hf
if [ -x "$leadrl" ] && [ -f "$snapshot" ]; then
  step export carried "$leadrl" export "$snapshot" --hf "$hf" --dtype float32
else
  skip_step export skip "no snapshot $snapshot (train did not write it)"
fi
if [ -f "$hf/config.json" ]; then
  score_device=(--device "$device")
  score() {
    echo "leadrl score on $device"
    python3 "$here/compare_logprobs.py" ids --model "$hf" --out "$run/ids.jsonl" &&
      carried "$leadrl" score --model "$hf" --input "$run/ids.jsonl" --dtype float32 \
        --output "$run/leadrl_float32.jsonl" "${score_device[@]}" &&
      carried "$leadrl" score --model "$hf" --input "$run/ids.jsonl" --dtype bfloat16 \
        --output "$run/leadrl_bfloat16.jsonl" "${score_device[@]}"
  }
  step score score
  if [ -s "$run/leadrl_bfloat16.jsonl" ]; then
    step logprob_agreement python3 "$here/compare_logprobs.py" compare --model "$hf" \
      --ids "$run/ids.jsonl" --leadrl float32="$run/leadrl_float32.jsonl" \
      --leadrl bfloat16="$run/leadrl_bfloat16.jsonl" --device "$device"
  else
    skip_step logprob_agreement skip "no leadrl score output"
  fi
else
  skip_step score skip "no exported model in $hf"
  skip_step logprob_agreement skip "no exported model in $hf"
fi

# --- report ------------------------------------------------------------------------------
{
  echo "# leadrl device check ($(date -u +%Y-%m-%dT%H:%MZ), device $device)"
  echo
  echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
       "on $(hostname); $(head -5 "$logs/probe.log" | paste -sd';' - | sed 's/;/; /g' | tr '|' '/')"
  echo
  echo "| step | result | seconds | last line of its log |"
  echo "| --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  if [ -s "$logs/decode_bench.log" ]; then
    echo; echo "Benchmarks (bfloat16; leadrl bench_device against transformers generate):"; echo
    python3 - "$logs/decode_bench.log" "$logs/hf_generate.log" "$logs/learner_bench.log" <<'PY'
import json, sys
def lines(path):
    try:
        return [json.loads(l) for l in open(path) if l.startswith("{")]
    except OSError:
        return []
ours, theirs, learn = (lines(p) for p in sys.argv[1:4])
hf = {r["batch"]: r["tokens_per_s"] for r in theirs}
print("| sequences | leadrl tok/s | transformers tok/s | ratio | HBM roofline share |")
print("| --- | --- | --- | --- | --- |")
for r in ours:
    t = hf.get(r["batch"])
    share = r.get("roofline_share")
    print(f"| {r['batch']} | {r['tokens_per_s']:.0f} | {t:.0f} | {r['tokens_per_s'] / t:.2f}x | "
          f"{share:.1%} |" if t and share is not None else
          f"| {r['batch']} | {r['tokens_per_s']:.0f} | {t or '-'} | - | {share or '-'} |")
if ours:
    print(f"\nleadrl attention path: {ours[0].get('attention', 'not reported')}")
for r in learn:
    mfu = f", MFU {r['mfu']:.1%}" if "mfu" in r else ""
    print(f"\nLearner: {r['batch']} x {r['seq']} tokens, {r['tokens_per_s']:.0f} tok/s, "
          f"{r['tflops']:.1f} TFLOP/s{mfu} ({r['params'] / 1e9:.2f}B parameters, "
          f"attention {r.get('attention', 'not reported')})")
PY
  fi
  if grep -q '^|' "$logs/logprob_agreement.log" 2>/dev/null; then
    echo; echo "Log-prob agreement (leadrl score vs transformers):"; echo
    grep '^|' "$logs/logprob_agreement.log"
  fi
  for log in "$logs"/*.log; do
    name=$(basename "$log" .log)
    printf '%s\n' "${rows[@]}" | grep -q "^| $name | FAIL" || continue
    echo; echo "### $name: last lines of its log"; echo; echo '```'; tail -15 "$log"; echo '```'
  done
  echo
  echo "Logs: $logs."
} >"$report"
[ -z "${OUT:-}" ] || tar -C "$build" -czf "$OUT/gpu_check_logs.tar.gz" check_logs
echo
cat "$report"
exit $failed
