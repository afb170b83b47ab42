#!/bin/bash
# File: tests/fault/input_error_after_start.sh
#
# Input errors that the ranks find after the job started (the model, tokenizer or dataset
# is read by every rank) are still input errors: the job ends with exit code 2 and a
# message naming the file, and `leadrl launch` does not restart it (it would fail the
# same way). Three cases at 2 ranks: a truncated model.safetensors, a tokenizer.json that
# is not JSON, a JSONL dataset with a malformed line.
#   usage: input_error_after_start.sh LEADRL CONFIG OUT MODEL_DIR
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 model=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

mkdir -p "$out/truncated" "$out/bad_tokenizer"
cp "$model"/* "$out/truncated/" && cp "$model"/* "$out/bad_tokenizer/" && chmod -R u+w "$out" ||
  die "cannot copy $model"
head -c 5000 "$model/model.safetensors" >"$out/truncated/model.safetensors"
echo '{"model": {"type": "BPE", "vocab": {' >"$out/bad_tokenizer/tokenizer.json"
printf '{"problem": "1+1", "answer": "2"}\n{"problem": "2+2", "answer": \n' >"$out/bad.jsonl"

# case NAME EXPECTED_TEXT OVERRIDES...: a supervised 2-rank run that must end after one
# attempt with exit code 2 and EXPECTED_TEXT in its messages.
case_of() {
  local name=$1 expect=$2
  shift 2
  "$leadrl" launch --max-restarts 3 --restart-delay 0 -- \
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 -np 2 \
    "$leadrl" train "$config" trainer.progress=false trainer.log_jsonl= "$@" \
    >"$out/$name.out" 2>"$out/$name.log"
  local code=$?
  [ "$code" -eq 2 ] || die "$name: expected exit code 2, got $code: $(tail -n 5 "$out/$name.log")"
  grep -qF -- "$expect" "$out/$name.log" || die "$name: no '$expect' in: $(tail -n 5 "$out/$name.log")"
  grep -q "attempt 2/" "$out/$name.log" && die "$name: restarted"
  echo "$name: exit code 2 after one attempt: $(grep -m1 -F -- "$expect" "$out/$name.log" | cut -c1-160)"
}

case_of truncated_model "$out/truncated/model.safetensors" model.path="$out/truncated"
case_of bad_tokenizer "$out/bad_tokenizer/tokenizer.json: not valid JSON" \
  model.path="$out/bad_tokenizer"
case_of bad_dataset "$out/bad.jsonl line 2" data.task=jsonl data.train_files="$out/bad.jsonl"
echo "PASS: input errors found by the ranks end the job with exit code 2, not restarted"
