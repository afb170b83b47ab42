#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the demo (scripts/demo.sh) on
# the built-in arithmetic task: SFT of a tiny character-level decoder on a verbose
# step-by-step corpus (cached in out/demo/sft_model), RL from it with LEAD, GRPO,
# Arora-Zanette and LEAD with static weights (same seed and steps), export of each
# run's last snapshot, a held-out evaluation of the base and the four policies
# (pass@1, mean length, AES) and plots. It prints each stage with its time, then the
# results table; outputs go to out/demo (results.md, results.csv, plots/, runs/, logs/).
# Arguments go to scripts/demo.sh: --smoke (a reduced run), --force-sft (retrain SFT).
# The single LEAD run across 2 MPI ranks that this script used to run is:
#   bash scripts/mpirun.sh -np 2 build/leadrl train configs/arith_tiny_lead.ini
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec bash "$root/scripts/demo.sh" "$@"
