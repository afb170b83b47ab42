#!/bin/bash
# File: tests/fault/kill_rank.sh
#
# Fault test: SIGKILL a non-zero rank of a supervised 3-rank run at a random step after
# the first snapshot. Open MPI ends the job, `leadrl launch` restarts it with
# `--resume auto`, and the run completes with the same final parameters (checksum) and
# the same metrics log (timings aside) as the uninterrupted reference run.
#   usage: kill_rank.sh LEADRL CONFIG OUT REF_DIR
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 ref=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
[ -n "$(final_checksum "$ref/ref.log")" ] || die "no reference checksum in $ref/ref.log (fixture fault.reference)"

victim=$((1 + RANDOM % 2))                         # rank 1 or 2
kill_after=$((3 + RANDOM % (FAULT_TOTAL_STEPS - 4))) # steps 3..6 logged (first snapshot: 2)
echo "killing rank $victim once $kill_after steps are logged"

start_supervised_run "$leadrl" "$config" "$out"

wait_until 60 has_lines "$out/run.jsonl" "$kill_after" ||
  { kill "$launcher"; die "run did not reach step $kill_after"; }
pid=$(rank_pid "$victim" "$out/snap")
[ -n "$pid" ] || { kill "$launcher"; die "no process for rank $victim"; }
kill -KILL "$pid"
echo "killed rank $victim (pid $pid) at $(date -u +%H:%M:%S.%N)"

check_recovered "$out" "$ref"
echo "PASS: rank $victim killed after step $kill_after; resumed run equals the uninterrupted one"
