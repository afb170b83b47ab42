#!/bin/bash
# File: tests/fault/resize_resume.sh
#
# Resuming on another number of ranks (ARCHITECTURE.md §5). A run at N ranks writes
# snapshots; its step-2 snapshot is resumed at M ranks. The continuation must equal a
# same-size resume at M from the very same state (the snapshot relabelled as written by
# M ranks, tests/support/relabel_snapshot.cpp): same final checksum, same metrics log
# (timings aside). Shown for 4 -> 2, 2 -> 3 and 1 -> 2. (Runs of different sizes are not
# bit-identical to each other in general: the gradient sums group differently.)
# A size the global batch does not divide over is refused with exit code 2.
#   usage: resize_resume.sh LEADRL CONFIG OUT RELABEL
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 relabel=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

# 12 prompts per step divide over 1, 2, 3 and 4 ranks, not over 5.
opts="data.train_batch_size=12 trainer.total_steps=4 trainer.save_freq=2 trainer.keep_last=3
  trainer.progress=false runtime.collective_timeout_s=60 runtime.step_timeout_s=120"

# train NP NAME [ARGS...]: a run whose files are OUT/NAME.{log,jsonl} and OUT/NAME_snap.
train() {
  local np=$1 name=$2
  shift 2
  mpi "$np" "$leadrl" train "$config" $opts trainer.snapshot_dir="$out/${name}_snap" \
    trainer.log_jsonl="$out/$name.jsonl" "$@" >"$out/$name.out" 2>"$out/$name.log" ||
    die "$name: exit $? $(tail -n 5 "$out/$name.log")"
  [ -n "$(final_checksum "$out/$name.log")" ] || die "$name: no final checksum"
}

# same_continuation A B: equal final checksums and metrics logs (timings aside).
same_continuation() {
  [ "$(final_checksum "$out/$1.log")" = "$(final_checksum "$out/$2.log")" ] ||
    die "$1 and $2 end with different checksums: $(final_checksum "$out/$1.log") vs $(final_checksum "$out/$2.log")"
  diff <(metrics_without_timing "$out/$1.jsonl") <(metrics_without_timing "$out/$2.jsonl") >/dev/null ||
    die "$1 and $2 logged different metrics"
}

# resize FROM TO: resume FROM's step-2 snapshot at TO ranks, and the relabelled copy.
resize() {
  local from=$1 to=$2 snap="$out/np$1_snap/step_000002.h5"
  local name="resize_$1_to_$2" ref="relabel_$1_to_$2"
  [ -f "$snap" ] || die "no step-2 snapshot of the $from-rank run"
  cp "$out/np$from.jsonl" "$out/$name.jsonl" && cp "$out/np$from.jsonl" "$out/$ref.jsonl"
  train "$to" "$name" --resume "$snap"
  grep -q "written by $from rank(s), continued on $to" "$out/$name.log" ||
    die "$name: the resize is not reported: $(head -n 3 "$out/$name.log")"
  mkdir -p "$out/${ref}_in"
  "$relabel" "$snap" "$out/${ref}_in/step_000002.h5" "$to" || die "relabel failed"
  train "$to" "$ref" --resume "$out/${ref}_in/step_000002.h5"
  grep -q "continued on" "$out/$ref.log" && die "$ref: a same-size resume reported a resize"
  same_continuation "$name" "$ref"
  echo "$from -> $to ranks: final checksum $(final_checksum "$out/$name.log"), as a same-size resume from that state"
}

train 1 np1
train 2 np2
train 4 np4
resize 4 2
resize 2 3
resize 1 2

# 12 prompts do not divide over 5 ranks: refused before any work, exit 2, with the reason.
mpi 5 "$leadrl" train "$config" $opts trainer.snapshot_dir="$out/np4_snap" \
  trainer.log_jsonl= --resume auto >"$out/uneven.out" 2>"$out/uneven.log"
code=$?
[ "$code" -eq 2 ] || die "resume at 5 ranks: expected exit code 2, got $code"
grep -q "divides evenly over the new ranks" "$out/uneven.log" ||
  die "resume at 5 ranks: no reason given: $(tail -n 3 "$out/uneven.log")"
echo "PASS: resized resumes continue as same-size resumes from the same state"
