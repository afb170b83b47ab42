#!/bin/bash
# File: tests/fault/overlap_resume.sh
#
# Overlapped steps (rollout.staleness = k >= 1) at 2 ranks: the run is deterministic, its
# steps log the staleness the pipeline allows (0 at the first step and after each
# snapshot, k in between), a snapshot is a consistent cut (a run stopped there and resumed
# ends with the same parameters and metrics as the uninterrupted one), and a rank
# SIGKILLed mid-run under leadrl launch recovers to the same end.
#   usage: overlap_resume.sh LEADRL CONFIG OUT
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

opts="rollout.staleness=2 trainer.save_freq=4 trainer.keep_last=3 trainer.progress=true
  runtime.collective_timeout_s=60 runtime.step_timeout_s=120"

# train NAME STEPS [ARGS...]: a 2-rank run whose files are OUT/NAME.{log,jsonl}, OUT/NAME_snap.
train() {
  local name=$1 steps=$2
  shift 2
  mpi 2 "$leadrl" train "$config" $opts trainer.total_steps="$steps" \
    trainer.snapshot_dir="$out/${name}_snap" trainer.log_jsonl="$out/$name.jsonl" "$@" \
    >"$out/$name.out" 2>"$out/$name.log" ||
    die "$name: exit $? $(tail -n 5 "$out/$name.log")"
  [ -n "$(final_checksum "$out/$name.log")" ] || die "$name: no final checksum"
}

# same_end A B: equal final checksums and metrics logs (timings aside).
same_end() {
  [ "$(final_checksum "$out/$1.log")" = "$(final_checksum "$out/$2.log")" ] ||
    die "$1 and $2 end with different checksums: $(final_checksum "$out/$1.log") vs $(final_checksum "$out/$2.log")"
  diff <(metrics_without_timing "$out/$1.jsonl") <(metrics_without_timing "$out/$2.jsonl") \
    >"$out/$1_$2.diff" || die "$1 and $2 logged different metrics: $(head -c 600 "$out/$1_$2.diff")"
}

train full 10
train again 10
same_end full again
staleness=$(python3 -c '
import json, sys
print(",".join(str(int(json.loads(l)["rollout/staleness"])) for l in open(sys.argv[1])))' "$out/full.jsonl")
echo "staleness per step: $staleness"
[ "$staleness" = "0,1,2,2,0,1,2,2,0,1" ] || die "staleness per step $staleness, expected 0,1,2,2,0,1,2,2,0,1"
sync=$(mpi 2 "$leadrl" train "$config" trainer.total_steps=10 trainer.progress=false \
  trainer.log_jsonl= 2>&1 | sed -n 's/.*final parameter checksum \([0-9a-f]*\).*/\1/p')
[ -n "$sync" ] && [ "$sync" != "$(final_checksum "$out/full.log")" ] ||
  die "the synchronous run ($sync) ends where the overlapped one does"

# Stopped after the step-4 snapshot, then resumed to step 10.
train part 4
train part 10 --resume auto
grep -q "resuming from .*step_000004.h5 (step 4)" "$out/part.log" || die "part did not resume from step 4"
same_end full part

# SIGKILL of rank 1 once 6 steps are logged (two steps in flight), under leadrl launch.
"$leadrl" launch --max-restarts 2 --restart-delay 0 --log "$out/launch.log" -- \
  mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
  --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 -np 2 \
  "$leadrl" train "$config" $opts trainer.total_steps=10 trainer.snapshot_dir="$out/killed_snap" \
  trainer.log_jsonl="$out/killed.jsonl" >"$out/killed.out" 2>"$out/killed.log" &
launcher=$!
wait_until 60 has_lines "$out/killed.jsonl" 6 || { kill "$launcher"; die "run did not reach step 6"; }
pid=$(rank_pid 1 "$out/killed_snap")
[ -n "$pid" ] || { kill "$launcher"; die "no process for rank 1"; }
kill -KILL "$pid"
wait "$launcher" || die "leadrl launch exited with $?: $(tail -n 8 "$out/killed.log")"
grep -q "attempt 2 succeeded" "$out/launch.log" || die "no successful restart: $(cat "$out/launch.log")"
same_end full killed
echo "PASS: staleness 2 deterministic, resumed and killed+restarted runs equal the uninterrupted one"
