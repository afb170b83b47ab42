#!/bin/bash
# File: tests/cli/sft_ranks.sh
#
# `leadrl sft` over 2 MPI ranks trains the model 1 rank trains: a few steps of a tiny
# configuration whose batch of 5 sequences splits 3 + 2 (uneven, so the token weighting
# matters). Checked from the progress lines, printed at every step:
# - the loss of every step agrees within 2e-4 (it is printed to 1e-4; the two runs differ
#   only in the order of float sums, ~1e-7 relative in a step, which a handful of AdamW
#   steps at lr 3e-3 do not grow to 1e-4 on a loss of ~3);
# - continuing from the 1-rank checkpoint for 2 steps, the held-out evaluation after step
#   1, whose learning rate is 0 (warmup), so that both runs evaluate that same checkpoint
#   (a trained one: not every answer runs to the limit), is printed identically: the
#   sharded evaluation gives the 1-rank figures;
# - the 1-rank command on the 2-rank output directory finds its checkpoint (the rank count
#   is not part of the configuration).
#   usage: sft_ranks.sh LEADRL CONFIG OUT
. "$(dirname "$0")/../fault/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
small=(model.hidden_size=32 model.num_layers=1 data.max_response_length=48
  sft.batch_size=5 sft.warmup=1 sft.eval_every=1 sft.eval_problems=6)

# run NAME RANKS OVERRIDES...: `leadrl sft` at RANKS ranks into $out/NAME, log $out/NAME.log.
run() {
  local name=$1 ranks=$2
  shift 2
  local launch=()
  [ "$ranks" -gt 1 ] && launch=(mpirun "${mpi_options[@]}" -np "$ranks")
  timeout 120 "${launch[@]}" "$leadrl" sft "$config" "${small[@]}" sft.output_dir="$out/$name" \
    "$@" >"$out/$name.log" 2>&1 || die "$name: exit $?: $(tail -n 3 "$out/$name.log")"
}
run np1 1 sft.steps=4
run np2 2 sft.steps=4
grep -q "on 2 ranks" "$out/np2.log" || die "2 ranks: no 'on 2 ranks' in $out/np2.log"
[ "$(grep -c '^sft step' "$out/np2.log")" -eq 4 ] ||
  die "2 ranks: expected 4 progress lines (rank 0 alone prints): $(grep '^sft step' "$out/np2.log")"

losses() { sed -n 's/^sft step \([0-9]*\)\/.*| loss \([0-9.]*\) .*/\1 \2/p' "$1"; }
paste -d' ' <(losses "$out/np1.log") <(losses "$out/np2.log") | awk '
  { n++; d = $2 - $4; if (d < 0) d = -d; if (d > worst) worst = d
    if ($1 != $3 || d > 2e-4) { print "step " $1 ": loss " $2 " at 1 rank, " $4 " at 2"; bad = 1 } }
  END { if (n != 4) { print n " loss lines, expected 4"; bad = 1 }
        printf "losses of 4 steps agree within %.1e\n", worst; exit bad }' ||
  die "the loss curves differ"
run again_np1 1 model.path="$out/np1" sft.steps=2
run again_np2 2 model.path="$out/np1" sft.steps=2
eval_at_1() { sed -n 's/^sft step 1\/.*\(held-out.*\)/\1/p' "$1"; }
[ -n "$(eval_at_1 "$out/again_np1.log")" ] || die "no evaluation after step 1"
[ "$(eval_at_1 "$out/again_np1.log")" = "$(eval_at_1 "$out/again_np2.log")" ] ||
  die "evaluation of the same model: '$(eval_at_1 "$out/again_np1.log")' at 1 rank, '$(eval_at_1 "$out/again_np2.log")' at 2"
echo "evaluation of the same model identical: $(eval_at_1 "$out/again_np2.log")"

"$leadrl" sft "$config" "${small[@]}" sft.steps=4 sft.output_dir="$out/np2" >"$out/cached.log" 2>&1 ||
  die "1 rank on the 2-rank checkpoint: exit $?"
grep -q "already holds a checkpoint" "$out/cached.log" ||
  die "1 rank did not reuse the 2-rank checkpoint: $(tail -n 3 "$out/cached.log")"
echo "PASS: 2-rank sft matches 1 rank; its checkpoint serves the 1-rank command"
