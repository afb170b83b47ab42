#!/usr/bin/env python3
"""Reads a leadrl snapshot with h5py, as a user would, and checks what the C++ test wrote.

Usage: snapshot_h5py_check.py FILE STEP PROMPT_IDS LSTAR_HEX
  PROMPT_IDS  comma-separated integers expected in /controller/length_table/prompt_id
  LSTAR_HEX   comma-separated float.hex() values expected in /controller/length_table/lstar
Exit status 0 when everything matches, 1 otherwise (with the difference on stderr).
"""
import sys

import h5py


def main() -> int:
    path, step, prompt_ids, lstar_hex = sys.argv[1:5]
    expected_ids = [int(x) for x in prompt_ids.split(",")]
    expected_lstar = [float.fromhex(x) for x in lstar_hex.split(",")]
    problems = []
    with h5py.File(path, "r") as f:
        lstar = [float(x) for x in f["/controller/length_table/lstar"][()]]
        ids = [int(x) for x in f["/controller/length_table/prompt_id"][()]]
        if lstar != expected_lstar:
            problems.append(f"lstar {lstar} != expected {expected_lstar}")
        if ids != expected_ids:
            problems.append(f"prompt_id {ids} != expected {expected_ids}")
        stored_step = int(f["/meta/step"][0])
        if stored_step != int(step):
            problems.append(f"/meta/step {stored_step} != expected {step}")
        config = f["/meta/config_text"][0]
        if isinstance(config, bytes):
            config = config.decode("utf-8")
        if "[algorithm]" not in config:
            problems.append(f"/meta/config_text lacks [algorithm]: {config!r}")
        for name, dset in f["/learner/params"].items():
            dtype = dset.attrs["dtype"]
            if isinstance(dtype, bytes):
                dtype = dtype.decode("utf-8")
            if dtype not in ("F32", "F16", "BF16", "F64", "I64", "I32", "U8"):
                problems.append(f"/learner/params/{name}: unexpected dtype {dtype!r}")
            print(f"{name}: {dtype} {dset.shape}")
        print(f"lstar: {lstar}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
