#!/usr/bin/env python3
"""Reads a leadrl snapshot with h5py, as a user would, and checks what the C++ test wrote.

Usage: snapshot_h5py_check.py FILE STEP PROMPT_IDS LSTAR_HEX [N_CORRECT LAST_STEP]
  PROMPT_IDS  comma-separated integers expected in /controller/length_table/prompt_id
  LSTAR_HEX   comma-separated float.hex() values expected in /controller/length_table/lstar
  N_CORRECT, LAST_STEP  comma-separated integers expected in those columns
Every column of the table must hold a whole number of values per row (rows x k).
Exit status 0 when everything matches, 1 otherwise (with the difference on stderr).
"""
import sys

import h5py


def main() -> int:
    path, step, prompt_ids, lstar_hex = sys.argv[1:5]
    expected_ids = [int(x) for x in prompt_ids.split(",")]
    expected_lstar = [float.fromhex(x) for x in lstar_hex.split(",")]
    expected_ints = {}
    if len(sys.argv) >= 7:
        expected_ints["n_correct"] = [int(x) for x in sys.argv[5].split(",")]
        expected_ints["last_step"] = [int(x) for x in sys.argv[6].split(",")]
    problems = []
    with h5py.File(path, "r") as f:
        table = f["/controller/length_table"]
        rows = table["prompt_id"].shape[0]
        for name, column in table.items():
            if len(column.shape) != 1 or (rows and column.shape[0] % rows):
                problems.append(f"length_table/{name}: shape {column.shape}, "
                                f"expected a multiple of {rows} rows")
            print(f"length_table/{name}: {column.shape[0]} values")
        for name, expected in expected_ints.items():
            got = [int(x) for x in table[name][()]]
            if got != expected:
                problems.append(f"{name} {got} != expected {expected}")
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
