#!/usr/bin/env bash
# mpirun with the flags this machine needs, then the arguments as given:
#   --allow-run-as-root  when run as root (Open MPI refuses root otherwise), and
#   --oversubscribe      when -np/-n asks for more ranks than this machine has cores, and
#   --bind-to none       unless a --bind-to is given (see below).
# Usage: bash scripts/mpirun.sh -np 2 build/leadrl train configs/arith_tiny_lead.ini
# Any other mpirun option passes through (e.g. --hostfile on a cluster).
set -euo pipefail
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
ranks=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -np|-n|--np|-c) ranks=${args[i+1]:-1} ;;
  esac
done
if ! [[ "$ranks" =~ ^[0-9]+$ ]] || [ "$ranks" -lt 1 ]; then
  echo "mpirun.sh: -np: expected a number of ranks >= 1, got '$ranks'" >&2
  exit 2
fi
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
[ "$ranks" -gt "$cores" ] && extra+=(--oversubscribe)
# Open MPI binds each rank to one core when there are at most 2 ranks; a rank's generator
# and learner threads (rollout.staleness >= 1) would then share that core, so ranks are
# left unbound unless the caller chose a binding.
case " $* " in *" --bind-to "*) ;; *) extra+=(--bind-to none) ;; esac
# A multi-rank run on a few cores: one OpenMP thread per rank unless the caller chose.
if [ "$ranks" -gt 1 ]; then export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}; fi
exec mpirun "${extra[@]}" "$@"
