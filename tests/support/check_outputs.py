#!/usr/bin/env python3
"""Checks the files `leadrl eval` and `leadrl plot` write (used by the CLI tests).

  check_outputs.py csv FILE ROWS            the eval CSV has the header and ROWS data rows
  check_outputs.py svg FILE POLYLINES TEXT [FILE POLYLINES TEXT ...]
                                            each FILE parses as SVG (XML), has POLYLINES
                                            <polyline> elements and a <text> equal to TEXT
  check_outputs.py colours FILE [FILE ...]  a name in the legends of several FILEs has
                                            the same colour in all of them
  check_outputs.py paper DIR                 the files of the paper-protocol CLI test in DIR:
                                            base.json (the base's own run), vs_base.json,
                                            table.md, table.csv and table1.csv (a second run
                                            of the same model against base.json)
Prints "ok ..." and exits 0 on success; prints the problem and exits 1 otherwise.
"""
import csv
import json
import os
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


PAPER_N = {"math500": 3, "olympiadbench": 3, "aime24": 10, "aime25": 10, "amc23": 10}


def check_paper_json(path, base_source):
    with open(path) as f:
        doc = json.load(f)
    if doc["protocol"] != "paper" or doc["sampling"]["temperature"] != 0.8 \
            or doc["sampling"]["top_p"] != 0.9 or doc["sampling"]["max_new_tokens"] != 16:
        sys.exit(f"{path}: settings {doc['protocol']} {doc['sampling']}")
    got = {b["name"]: b["n"] for b in doc["benchmarks"]}
    if got != PAPER_N or any(b["problems"] != 2 for b in doc["benchmarks"]):
        sys.exit(f"{path}: benchmarks {doc['benchmarks']}")
    if not doc["base"]["source"].endswith(base_source):
        sys.exit(f"{path}: base source {doc['base']['source']}, expected ...{base_source}")
    model = doc["models"][0]
    if list(model["benchmarks"]) != list(PAPER_N) or "average" not in model:
        sys.exit(f"{path}: model entry {list(model)} {list(model['benchmarks'])}")
    for name, r in list(model["benchmarks"].items()) + [("average", model["average"])]:
        if not 0.0 <= r["accuracy"] <= 1.0 or not 1.0 <= r["mean_length"] <= 16.0:
            sys.exit(f"{path}: implausible {name} {r}")
    return doc


def check_paper(folder):
    check_paper_json(os.path.join(folder, "base.json"), "this run")
    doc = check_paper_json(os.path.join(folder, "vs_base.json"), "base.json")
    model = doc["models"][0]
    for name, r in list(model["benchmarks"].items()) + [("average", model["average"])]:
        if r["aes"] != 0.0 or r["acc_delta"] != 0.0 or r["len_delta"] != 0.0:
            sys.exit(f"vs_base.json: {name}: the same model against itself gave {r}")
    with open(os.path.join(folder, "table.md")) as f:
        md = f.read()
    header = "| model | " + " | ".join(f"{d} (n={n}) Acc | Len | AES" for d, n in PAPER_N.items())
    for needle in [header + " | Average Acc | Len | AES |", "\n| tiny (base results) | ",
                   "\n| tiny | ", "\n| tiny | average | 10 | 10 | "]:
        if needle not in md:
            sys.exit(f"table.md: no '{needle.strip()}' in\n{md}")
    with open(os.path.join(folder, "table.csv"), newline="") as f:
        rows = list(csv.reader(f))
    if [r[1] for r in rows[1:]] != list(PAPER_N) + ["average"]:
        sys.exit(f"table.csv: datasets {[r[1] for r in rows[1:]]}")
    with open(os.path.join(folder, "table1.csv"), newline="") as f:
        wide = list(csv.DictReader(f))
    if [w["model"] for w in wide] != ["tiny (base results)", "tiny"] or \
            any(int(wide[1][f"{d}_n"]) != n for d, n in PAPER_N.items()) or \
            float(wide[1]["average_aes"]) != 0.0:
        sys.exit(f"table1.csv: {wide}")
    print(f"ok paper: {len(PAPER_N)} benchmarks with their n, average rows, AES 0 and no "
          "change against the base results")


if __name__ == "__main__":
    if sys.argv[1] == "csv":
        check_csv(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "svg" and len(sys.argv) % 3 == 2:
        for i in range(2, len(sys.argv), 3):
            check_svg(sys.argv[i], int(sys.argv[i + 1]), sys.argv[i + 2])
    elif sys.argv[1] == "colours" and len(sys.argv) > 2:
        check_colours(sys.argv[2:])
    elif sys.argv[1] == "paper" and len(sys.argv) == 3:
        check_paper(sys.argv[2])
    else:
        sys.exit("usage: check_outputs.py csv FILE ROWS | svg (FILE POLYLINES TEXT)... | "
                 "colours FILE... | paper DIR")
