#!/bin/bash
# File: tests/fault/resume_bad_snapshot.sh
#
# Fault test, end to end through the CLI: `leadrl train --resume` on damaged snapshots
# and snapshots of another run shape. A 2-rank run writes step 2 and 4; then
#   truncated step 4          -> named as skipped, resumes from step 2, completes
#   a byte flipped inside a dataset of step 4 -> the same (checksum failure)
#   every snapshot damaged    -> "no valid snapshot", starts fresh
#   --resume PATH of a damaged file           -> exit 2 naming the file
# (Another world size or configuration is refused with exit 2: the cli.train.resume_*
# tests cover those.)
#   usage: resume_bad_snapshot.sh LEADRL CONFIG OUT
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
opts="trainer.save_freq=2 trainer.keep_last=3 trainer.progress=false"
opts="$opts runtime.collective_timeout_s=30 runtime.step_timeout_s=60"

# train NP DIR LOG [ARGS...]: a run over snapshot dir DIR (4 steps unless ARGS set
# trainer.total_steps); prints its exit code.
train() {
  local np=$1 dir=$2 log=$3 steps=trainer.total_steps=4
  shift 3
  case " $* " in *" trainer.total_steps="*) steps= ;; esac
  mpi "$np" "$leadrl" train "$config" $opts $steps trainer.snapshot_dir="$dir" \
    trainer.log_jsonl="$dir.jsonl" "$@" >/dev/null 2>"$log"
  echo $?
}
expect() {  # expect LOG PATTERN WHAT
  grep -q -- "$2" "$1" || die "$3: expected /$2/ in $1: $(grep 'leadrl train' "$1" | tail -n 4)"
}

rc=$(train 2 "$out/pristine" "$out/pristine.log")
[ "$rc" -eq 0 ] || die "the run writing snapshots failed: $(tail -n 5 "$out/pristine.log")"
for s in 2 4; do
  [ -f "$out/pristine/step_00000$s.h5" ] || die "no snapshot of step $s"
done
fresh() {  # fresh NAME: a copy of the pristine snapshots
  rm -rf "$out/$1" && cp -r "$out/pristine" "$out/$1"
}

# 1. Truncated newest snapshot.
fresh truncated
f="$out/truncated/step_000004.h5"
truncate -s $(($(stat -c %s "$f") / 2)) "$f"
rc=$(train 2 "$out/truncated" "$out/truncated.log" --resume auto)
[ "$rc" -eq 0 ] || die "resume past a truncated snapshot failed ($rc): $(tail -n 5 "$out/truncated.log")"
expect "$out/truncated.log" "skipped $f: invalid" "truncated"
expect "$out/truncated.log" "resuming from $out/truncated/step_000002.h5 (step 2)" "truncated"
echo "ok: truncated snapshot skipped, resumed from step 2"

# 2. One byte flipped inside a parameter dataset's stored data (found by its bytes,
# dumped with h5dump; datasets are stored unfiltered apart from the Fletcher32 checksum).
fresh flipped
f="$out/flipped/step_000004.h5"
dset=$(h5ls -r "$f" | awk '$2 == "Dataset" && $1 ~ /^\/learner\/params\// {print $1}' | head -n 1)
[ -n "$dset" ] || die "no /learner/params dataset in $f"
h5dump -d "$dset" -b LE -o "$out/dset.bin" "$f" >/dev/null || die "h5dump of $dset failed"
python3 - "$f" "$out/dset.bin" <<'EOF' || die "could not flip a byte of $dset"
import sys
path, raw = sys.argv[1], open(sys.argv[2], "rb").read()
data = bytearray(open(path, "rb").read())
probe = raw[len(raw) // 2: len(raw) // 2 + 32]
at = data.find(probe)
assert len(probe) == 32 and at >= 0 and data.find(probe, at + 1) < 0, "dataset bytes not found once"
data[at + 5] ^= 0x40
open(path, "wb").write(data)
print("flipped byte", at + 5, "of", path)
EOF
mkdir -p "$out/damaged" && cp "$f" "$out/damaged/"  # the resumed run below rewrites step 4
rc=$(train 2 "$out/flipped" "$out/flipped.log" --resume auto)
[ "$rc" -eq 0 ] || die "resume past a flipped byte failed ($rc): $(tail -n 5 "$out/flipped.log")"
expect "$out/flipped.log" "skipped $f: invalid" "flipped"
expect "$out/flipped.log" "resuming from $out/flipped/step_000002.h5 (step 2)" "flipped"
echo "ok: flipped byte in $dset detected, resumed from step 2"

# 3. --resume PATH of that damaged file: refused with exit code 2, naming it.
f="$out/damaged/step_000004.h5"
rc=$(train 2 "$out/damaged" "$out/damaged.log" --resume "$f")
[ "$rc" -eq 2 ] || die "--resume of a damaged file: expected exit code 2, got $rc"
expect "$out/damaged.log" "leadrl train: --resume.*$f: .*Fletcher32" "--resume PATH"
grep "leadrl train: --resume" "$out/damaged.log"
echo "ok: --resume PATH of the damaged file exits 2"

# 4. Every snapshot damaged: starts fresh (one step, to stay short).
fresh none_valid
for f in "$out"/none_valid/step_*.h5; do truncate -s 100 "$f"; done
rc=$(train 2 "$out/none_valid" "$out/none_valid.log" --resume auto trainer.total_steps=1)
[ "$rc" -eq 0 ] || die "fresh start after damaged snapshots failed ($rc)"
expect "$out/none_valid.log" "no valid snapshot in '$out/none_valid'; starting fresh" "none valid"
echo "ok: no valid snapshot, started fresh"

echo "PASS"
