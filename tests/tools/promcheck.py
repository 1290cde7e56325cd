#!/usr/bin/python3

# SPDX-License-Identifier: Apache-2.0
"""promcheck.py [FILE|-] - validate Prometheus text exposition format 0.0.4
(what `promtool check metrics` checks for format; promtool is not in Debian 12).

Checks: HELP/TYPE lines well formed, at most one of each per family and before
its samples; metric and label names legal; label values correctly escaped;
values parse as floats (+Inf/-Inf/NaN allowed); samples of one family are
contiguous; no duplicate series; counters not negative and named *_total
(warning only); histograms have _bucket series with le labels that are
cumulative and end in +Inf equal to _count, and a _sum.
Exit 0 valid, 1 invalid (each problem printed as LINE: message)."""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$")


def parse_labels(s, lineno, errs):
    labels, i = [], 0
    while i < len(s):
        m = re.match(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"", s[i:])
        if not m:
            errs.append(f"{lineno}: bad label syntax near {s[i:]!r}")
            return None
        key, i, val = m.group(1), i + m.end(), ""
        while True:
            if i >= len(s):
                errs.append(f"{lineno}: unterminated label value")
                return None
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    errs.append(f"{lineno}: bad escape in label value")
                    return None
                val += {"n": "\n"}.get(s[i + 1], s[i + 1]); i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                errs.append(f"{lineno}: newline in label value"); return None
            else:
                val += c; i += 1
        labels.append((key, val))
        m = re.match(r"\s*,?", s[i:])
        i += m.end()
    keys = [k for k, _ in labels]
    if len(keys) != len(set(keys)):
        errs.append(f"{lineno}: duplicate label name")
    return labels


def family_of(name, types):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name


def check(text):
    errs, types, helps, seen_series = [], {}, set(), set()
    done_families, current = set(), None
    hist = {}  # family -> {labels-without-le: {"buckets": [(le, v)], "count": v, "sum": v}}
    if text and not text.endswith("\n"):
        errs.append("end: the exposition must end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME.match(parts[2]):
                    errs.append(f"{lineno}: bad {parts[1]} line"); continue
                name = parts[2]
                if name in done_families:
                    errs.append(f"{lineno}: {parts[1]} for {name} after its samples")
                if parts[1] == "TYPE":
                    t = parts[3].strip() if len(parts) > 3 else ""
                    if t not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        errs.append(f"{lineno}: unknown type {t!r}")
                    if name in types:
                        errs.append(f"{lineno}: second TYPE for {name}")
                    types[name] = t
                else:
                    if name in helps:
                        errs.append(f"{lineno}: second HELP for {name}")
                    helps.add(name)
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append(f"{lineno}: not a sample line: {line!r}"); continue
        name, labels_s, value = m.group(1), m.group(3) or "", m.group(4)
        labels = parse_labels(labels_s, lineno, errs) if labels_s else []
        if labels is None:
            continue
        try:
            v = float(value)
        except ValueError:
            errs.append(f"{lineno}: value {value!r} is not a number"); continue
        fam = family_of(name, types)
        if fam != current:
            if fam in done_families:
                errs.append(f"{lineno}: samples of {fam} are not contiguous")
            if current is not None:
                done_families.add(current)
            current = fam
        key = (name, tuple(sorted(labels)))
        if key in seen_series:
            errs.append(f"{lineno}: duplicate series {name}{dict(labels)}")
        seen_series.add(key)
        t = types.get(fam, "untyped")
        if t == "counter" and (v < 0 or math.isnan(v)):
            errs.append(f"{lineno}: counter {name} is {v}")
        if t == "histogram":
            base = tuple(sorted((k, x) for k, x in labels if k != "le"))
            h = hist.setdefault(fam, {}).setdefault(base, {"buckets": [], "count": None, "sum": None})
            if name == fam + "_bucket":
                le = dict(labels).get("le")
                if le is None:
                    errs.append(f"{lineno}: bucket without le"); continue
                h["buckets"].append((float(le), v, lineno))
            elif name == fam + "_count":
                h["count"] = v
            elif name == fam + "_sum":
                h["sum"] = v
            else:
                errs.append(f"{lineno}: histogram {fam} has a plain sample {name}")
    for fam, series in hist.items():
        for base, h in series.items():
            b = h["buckets"]
            if not b or b[-1][0] != math.inf:
                errs.append(f"histogram {fam}{dict(base)}: no +Inf bucket last"); continue
            for (le1, v1, _), (le2, v2, ln) in zip(b, b[1:]):
                if le2 <= le1:
                    errs.append(f"{ln}: histogram {fam}: le not increasing")
                if v2 < v1:
                    errs.append(f"{ln}: histogram {fam}: buckets not cumulative")
            if h["count"] is None or h["sum"] is None:
                errs.append(f"histogram {fam}{dict(base)}: missing _count or _sum")
            elif h["count"] != b[-1][1]:
                errs.append(f"histogram {fam}{dict(base)}: +Inf bucket {b[-1][1]} != _count {h['count']}")
    for name, t in types.items():
        if t == "counter" and not name.endswith("_total"):
            print(f"warning: counter {name} does not end in _total", file=sys.stderr)
    return errs


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    errs = check(text)
    for e in errs:
        print(e)
    if not errs:
        n = sum(1 for l in text.splitlines() if l and not l.startswith("#"))
        print(f"ok: {n} samples")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
