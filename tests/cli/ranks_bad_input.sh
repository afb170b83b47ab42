#!/bin/bash
# File: tests/cli/ranks_bad_input.sh
#
# Bad input to `leadrl sft` and `leadrl eval` under 2 MPI ranks ends the job with exit
# code 2 and a message naming the input, without a hang: found before MPI starts (a bad
# value), by every rank after it started (a missing model folder), or by rank 0 alone
# (an output directory that cannot be made). Each run has 60 s.
#   usage: ranks_bad_input.sh LEADRL CONFIG OUT
. "$(dirname "$0")/../fault/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
touch "$out/a_file"

# case_of NAME EXPECTED_TEXT COMMAND...: 2 ranks of COMMAND must exit 2 naming the input.
case_of() {
  local name=$1 expect=$2
  shift 2
  timeout 60 mpirun "${mpi_options[@]}" -np 2 "$leadrl" "$@" >"$out/$name.log" 2>&1
  local code=$?
  [ "$code" -ne 124 ] || die "$name: hung (killed after 60 s): $(tail -n 3 "$out/$name.log")"
  [ "$code" -eq 2 ] || die "$name: expected exit code 2, got $code: $(tail -n 3 "$out/$name.log")"
  grep -qF -- "$expect" "$out/$name.log" || die "$name: no '$expect' in: $(tail -n 3 "$out/$name.log")"
  echo "$name: exit code 2: $(grep -m1 -F -- "$expect" "$out/$name.log" | cut -c1-150)"
}

tiny=(model.hidden_size=32 model.num_layers=1 sft.steps=2 sft.eval_problems=2)
case_of sft_bad_value "sft.verbosity" sft "$config" "${tiny[@]}" sft.verbosity=2 \
  sft.output_dir="$out/m1"
case_of sft_batch_below_ranks "sft.batch_size: expected at least one sequence per rank" \
  sft "$config" "${tiny[@]}" sft.batch_size=1 sft.output_dir="$out/m2"
case_of sft_missing_model "model.path" sft "$config" "${tiny[@]}" model.path="$out/none" \
  sft.output_dir="$out/m3"
case_of sft_output_dir_is_a_file "sft.output_dir: cannot create" sft "$config" "${tiny[@]}" \
  sft.output_dir="$out/a_file/m4"
case_of eval_missing_model "--model a=$out/none" eval --model a="$out/none" --task arith \
  --arith-count 2 -n 1 --max-new-tokens 4
echo "PASS: bad input under 2 ranks exits 2 naming the input"
