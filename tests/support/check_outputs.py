#!/usr/bin/env python3
"""Checks the files `leadrl eval` and `leadrl plot` write (used by the CLI tests).

  check_outputs.py csv FILE ROWS            the eval CSV has the header and ROWS data rows
  check_outputs.py svg FILE POLYLINES TEXT [FILE POLYLINES TEXT ...]
                                            each FILE parses as SVG (XML), has POLYLINES
                                            <polyline> elements and a <text> equal to TEXT
  check_outputs.py colours FILE [FILE ...]  a name in the legends of several FILEs has
                                            the same colour in all of them
Prints "ok ..." and exits 0 on success; prints the problem and exits 1 otherwise.
"""
import csv
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def check_csv(path, rows):
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    header = ["model", "dataset", "n", "problems", "pass_at_1", "mean_length", "aes",
              "acc_delta", "len_delta"]
    if table[0] != header:
        sys.exit(f"{path}: header {table[0]}")
    if len(table) - 1 != rows:
        sys.exit(f"{path}: {len(table) - 1} rows, expected {rows}")
    for r in table[1:]:
        if not 0.0 <= float(r[4]) <= 1.0 or float(r[5]) < 1.0:
            sys.exit(f"{path}: implausible row {r}")
    print(f"ok {path}: {rows} rows")


def check_svg(path, polylines, text):
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg":
        sys.exit(f"{path}: root element {root.tag}")
    n = len(root.findall(f".//{SVG}polyline"))
    if n != polylines:
        sys.exit(f"{path}: {n} polylines, expected {polylines}")
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    if text not in texts:
        sys.exit(f"{path}: no text '{text}' among {texts}")
    print(f"ok {path}: {n} polylines, '{text}'")


def legend_colours(path):
    """Legend name -> colour of one SVG chart: each mark (line or circle) and its text."""
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "legend":
            continue
        colour = None
        for e in g:
            if e.tag in (SVG + "line", SVG + "circle"):
                colour = e.get("stroke") or e.get("fill")
            elif e.tag == SVG + "text" and colour:
                out["".join(e.itertext()).removesuffix(" (no data)")] = colour
    return out


def check_colours(paths):
    seen = {}  # name -> (colour, first file)
    for path in paths:
        for name, colour in legend_colours(path).items():
            first = seen.setdefault(name, (colour, path))
            if first[0] != colour:
                sys.exit(f"'{name}' is {first[0]} in {first[1]} but {colour} in {path}")
    print(f"ok colours: {len(seen)} names, one colour each in {len(paths)} files")


if __name__ == "__main__":
    if sys.argv[1] == "csv":
        check_csv(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "svg" and len(sys.argv) % 3 == 2:
        for i in range(2, len(sys.argv), 3):
            check_svg(sys.argv[i], int(sys.argv[i + 1]), sys.argv[i + 2])
    elif sys.argv[1] == "colours" and len(sys.argv) > 2:
        check_colours(sys.argv[2:])
    else:
        sys.exit("usage: check_outputs.py csv FILE ROWS | svg (FILE POLYLINES TEXT)... | "
                 "colours FILE...")
