#!/usr/bin/env python3

# SPDX-License-Identifier: Apache-2.0
"""tests/config/mutate.py - mutation test of the configuration checker.

Starts from the fullest valid configurations (tests/config/valid-full.conf and
every conf/*.conf, conf/demo/*.conf) and, for every setting and list element
they contain, writes variants of the file: the setting removed, duplicated,
given the wrong type (a string for a number, a list for a group, ...), and for
numbers min-1, max+1 (the loader's own table), 2^31, 2^32+80, 2^32-1 and -1;
for strings "", a 4 KiB string and a number.  Each variant goes through
`ipvs-router -t --config-only`, and must either be

  accepted -- and then a number we wrote must come back from --dump-config
              with the same value (a wrapped 4294967376 that dumps as 80 is a
              "silent accept"), and a value outside the loader's own range
              must not be accepted at all; or
  rejected -- exit 1 with at least one "FILE:LINE: PATH: message" line whose
              PATH is the mutated setting's path (or, for a removal, its
              parent's path naming the removed key).

It must never exit >= 128 (a crash), hang (10 s), exit with another status,
or print nothing.  Ends with "N variants, C crashes, S silent accepts of
out-of-range values" and "N passed, N failed"; exit 1 on any failure.

Each (setting shape, mutation) is tried once per file.  With --unique, once in all:
the files after the first add only the shapes it lacks (2,235 variants become 780).
tools/sanitize and the package build use it (they repeat the full run of `make check`
on the same sources: what they add is the sanitizer or the flags, which see every
code path either way).

  tests/config/mutate.py [--bin PATH] [--verbose] [--max N] [--unique] [FILE...]
Environment: top_srcdir, top_builddir (as in make check); IPVSR_MUTATE_BIN;
IPVSR_MUTATE_MAX (default of --max); IPVSR_MUTATE_UNIQUE=1 (--unique).
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

# ------------------------------------------------------------------ parser
# A libconfig parser that keeps positions: enough of the grammar for our files
# (groups, lists, arrays, scalars, comments, adjacent strings, @include).


class Node:
    def __init__(self, kind, start, end, **kw):
        self.kind = kind          # group list array int float bool str
        self.start, self.end = start, end
        self.members = kw.get("members", [])   # group: [(name, set_start, set_end, node)]
        self.items = kw.get("items", [])       # list/array: [node]
        self.text = kw.get("text", "")


class ParseError(Exception):
    pass


class Parser:
    def __init__(self, s):
        self.s, self.i = s, 0

    def ws(self):
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#" or s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = len(s) if j < 0 else j + 1
            elif s.startswith("/*", self.i):
                j = s.find("*/", self.i + 2)
                if j < 0:
                    raise ParseError("unterminated comment")
                self.i = j + 2
            else:
                break

    def settings(self, closer):
        members = []
        while True:
            self.ws()
            if self.i >= len(self.s) or (closer and self.s[self.i] == closer):
                return members
            if self.s.startswith("@include", self.i):
                j = self.s.find("\n", self.i)
                self.i = len(self.s) if j < 0 else j
                continue
            m = re.compile(r"[A-Za-z*][-A-Za-z0-9_*]*").match(self.s, self.i)
            if not m:
                raise ParseError("setting name expected at %d" % self.i)
            start, name = self.i, m.group(0)
            self.i = m.end()
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] not in "=:":
                raise ParseError("= expected at %d" % self.i)
            self.i += 1
            node = self.value()
            self.ws()
            if self.i < len(self.s) and self.s[self.i] in ";,":
                self.i += 1
            members.append((name, start, self.i, node))

    def value(self):
        self.ws()
        s, st = self.s, self.i
        c = s[st]
        if c == "{":
            self.i += 1
            mem = self.settings("}")
            self.i += 1
            return Node("group", st, self.i, members=mem)
        if c in "([":
            close = ")" if c == "(" else "]"
            self.i += 1
            items = []
            while True:
                self.ws()
                if s[self.i] == close:
                    self.i += 1
                    break
                items.append(self.value())
                self.ws()
                if s[self.i] == ",":
                    self.i += 1
            return Node("list" if c == "(" else "array", st, self.i, items=items)
        if c == '"':
            while True:
                self.i += 1
                while s[self.i] != '"':
                    self.i += 2 if s[self.i] == "\\" else 1
                self.i += 1
                save = self.i
                self.ws()
                if self.i < len(s) and s[self.i] == '"':
                    continue
                self.i = save
                break
            return Node("str", st, self.i, text=s[st:self.i])
        m = re.compile(r"(?i)true|false").match(s, st)
        if m:
            self.i = m.end()
            return Node("bool", st, self.i, text=m.group(0))
        m = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|[0-9]+)(L{0,2})(?![.eE0-9])").match(s, st)
        if m:
            self.i = m.end()
            return Node("int", st, self.i, text=m.group(0))
        m = re.compile(r"[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?").match(s, st)
        if m:
            self.i = m.end()
            return Node("float", st, self.i, text=m.group(0))
        raise ParseError("value expected at %d: %r" % (st, s[st:st + 20]))


def parse(text):
    p = Parser(text)
    return Node("group", 0, len(text), members=p.settings(None))


# ------------------------------------------------------------------ ranges
# The loader's own table: FLD(struct, "key", F_INT, field, min, max, flags)
# inside "static const struct field NAME_fields[]"; mapped onto paths below.

def loader_ranges(srcdir):
    ranges = {}
    consts = {"MS_MAX": None}
    for f in sorted(glob.glob(os.path.join(srcdir, "daemon", "config", "*.[ch]"))):
        text = open(f, encoding="utf-8").read()
        for m in re.finditer(r"#define\s+(\w+)\s+\(?([0-9]+)[LU]*\)?", text):
            consts[m.group(1)] = int(m.group(2))
        table = None
        for line in text.splitlines():
            m = re.search(r"struct field (\w+)_fields\[\]", line)
            if m:
                table = m.group(1)
                continue
            m = re.search(r'FLD\(\s*\w+,\s*"([\w]+)",\s*F_INT\w*,\s*\w+,\s*([-\w]+),\s*([-\w]+)', line)
            if m and table:
                lo, hi = (int(v) if re.fullmatch(r"-?\d+", v) else consts.get(v)
                          for v in (m.group(2), m.group(3)))
                if lo is not None and hi is not None:
                    ranges[(table, m.group(1))] = (lo, hi)
    return ranges


# which loader table a group at a path uses (paths without [i])
TABLE_OF = [
    (r"^pools\.check$|^pools\.servers\.check$|^pools\.servers\.checks$", "check"),
    (r"^pools\.servers$", "server"),
    (r"^pools$", "pool"),
    (r"^vips\.services\.tunnel$", "tunnel"),
    (r"^vips\.services$", "service"),
    (r"^vips\.eip$", "eip"),
    (r"^vips\.garp$", "garp"),
    (r"^vips$", "vip"),
]


def table_for(parent_shape, top_name):
    for rx, t in TABLE_OF:
        if re.search(rx, parent_shape):
            return t
    return top_name  # top-level sections: "router", "election", "ipvs", ...


# ------------------------------------------------------------------ variants

def path_join(base, name):
    return name if not base else base + "." + name


def walk(node, path, shape, out):
    """(path, shape, kind, name, start, end, value node, parent node) per setting/element."""
    if node.kind == "group":
        for name, st, en, val in node.members:
            p = path_join(path, name)
            sh = path_join(shape, name)
            out.append(("setting", p, sh, name, st, en, val, node))
            walk(val, p, sh, out)
    elif node.kind == "list":
        for i, it in enumerate(node.items):
            p = "%s[%d]" % (path, i)
            out.append(("element", p, shape, None, it.start, it.end, it, node))
            walk(it, p, shape, out)


BIG = ["2147483648", "4294967376", "4294967295", "-1"]


def variants(text, ranges):
    root = parse(text)
    nodes = []
    walk(root, "", "", nodes)
    for kind, path, shape, name, st, en, val, parent in nodes:
        line = text.count("\n", 0, st) + 1
        # a parser error about the mutation points within it, or within its copy
        endline = line + 2 * text.count("\n", st, en) + 1
        removed = text[st:en]
        if kind == "setting":
            yield (path, shape, line, endline, "removed", text[:st] + text[en:], None, removed)
            yield (path, shape, line, endline, "duplicated",
                   text[:en] + " " + text[st:en] + text[en:], None, None)
        else:
            # removing an element: the list shrinks (a valid edit, or a clear error)
            end = en
            m = re.compile(r"\s*,").match(text, end)
            if m:
                end = m.end()
            yield (path, shape, line, endline, "element removed", text[:st] + text[end:], None,
                   removed)

        def repl(v, what, number=None):
            return (path, shape, line, endline, what, text[:val.start] + v + text[val.end:],
                    number, None)

        if val.kind == "int":
            yield repl('"x"', "a string for a number")
            yield repl("( 1 )", "a list for a number")
            for b in BIG:
                yield repl(b, "number " + b, int(b))
            parent_shape = shape.rsplit(".", 1)[0] if "." in shape else ""
            top = shape.split(".")[0]
            tbl = table_for(parent_shape, top)
            if name and (tbl, name) in ranges:
                lo, hi = ranges[(tbl, name)]
                yield repl(str(lo - 1), "min-1 (%d..%d)" % (lo, hi), lo - 1)
                yield repl(str(hi + 1), "max+1 (%d..%d)" % (lo, hi), hi + 1)
        elif val.kind == "str":
            yield repl("42", "a number for a string")
            yield repl('""', "an empty string")
            yield repl('"' + "a" * 4096 + '"', "a 4 KiB string")
            yield repl("{ }", "a group for a string")
        elif val.kind == "bool":
            yield repl('"yes"', "a string for a boolean")
            yield repl("2", "a number for a boolean")
        elif val.kind == "group":
            yield repl("( )", "a list for a group")
            yield repl("42", "a number for a group")
            # emptying a group removes what it held, like a removal
            yield (path, shape, line, endline, "an empty group",
                   text[:val.start] + "{ }" + text[val.end:], None, text[val.start:val.end])
        elif val.kind in ("list", "array"):
            yield repl("{ }", "a group for a list")
            yield repl('"x"', "a string for a list")
            # emptying a list removes what it defined, like a removal
            empty = "( )" if val.kind == "list" else "[ ]"
            yield (path, shape, line, endline, "an empty list",
                   text[:val.start] + empty + text[val.end:], None, text[val.start:val.end])


# ------------------------------------------------------------------ oracle

ERR_RE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<path>[^\s:]+)[:\s]")


SYNTAX_RE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (syntax error|duplicate setting)")


def names_path(out, vfile, path, line, endline, removed):
    """Does some error name the mutated setting?  Its path (or a path inside
    it); for a removal, a message naming the removed setting (its path, or
    its key under the same parent: "set router.interface", "needs a port (or
    a fwmark)"), the list it was an element of, or a name the removed text
    defined (a reference left dangling); for an error the parser raises (no
    path exists yet), a line within the mutated text."""
    key = None
    parent = None
    if removed is not None:
        m = re.search(r"(?:^|\.)([^.\[]+)$", path)
        key = m.group(1) if m else None
        if "." in path or "[" in path:
            parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
    defined = set(re.findall(r'name\s*[=:]\s*"([^"]+)"', removed or ""))
    base = os.path.basename(vfile)
    for ln in out.splitlines():
        m = SYNTAX_RE.match(ln)
        if m and os.path.basename(m.group("file")) == base and line <= int(m.group("line")) <= endline:
            return True
        m = ERR_RE.match(ln)
        if not m or os.path.basename(m.group("file")) != base:
            continue
        p = m.group("path")
        msg = ln[m.end():]
        if p == path or p.startswith(path + ".") or p.startswith(path + "["):
            return True
        if removed is None:
            continue
        if re.search(r"(?<![\w.])%s\b" % re.escape(re.sub(r"\[\d+\]", "", path)), msg):
            return True
        if parent is not None and key is None and (p == parent or p.startswith(parent + ".")
                                                   or p.startswith(parent + "[")):
            return True  # an element removed: the list it was in
        if key is not None and re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(key), msg):
            return True  # what the removal left inconsistent, naming the key
        if any('"%s"' % d in ln for d in defined):
            return True
    return False


def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return None, "(hung for 10 s)"


def main():
    ap = argparse.ArgumentParser(description="mutation test of ipvs-router -t")
    ap.add_argument("--bin")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--max", type=int, default=int(os.environ.get("IPVSR_MUTATE_MAX") or 0),
                    help="stop after N variants (debugging; tools/package-check's short distcheck)")
    ap.add_argument("--unique", action="store_true",
                    default=os.environ.get("IPVSR_MUTATE_UNIQUE", "") not in ("", "0"),
                    help="each (shape, mutation) once across all files, not once per file")
    ap.add_argument("--jobs", type=int, default=4, help="variants checked at once")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    src = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.realpath(__file__))))
    bld = os.environ.get("top_builddir") or src
    binp = a.bin or os.environ.get("IPVSR_MUTATE_BIN") or os.path.join(bld, "ipvs-router")
    files = a.files or ([os.path.join(src, "tests/config/valid-full.conf")]
                        + sorted(glob.glob(os.path.join(src, "conf/*.conf")))
                        + sorted(glob.glob(os.path.join(src, "conf/demo/*.conf"))))
    ranges = loader_ranges(src)
    tmp = tempfile.mkdtemp(prefix="mutate-")
    total = 0
    counts = {}
    failures = []
    seen_all = set()
    for f in files:
        base = open(f, encoding="utf-8").read()
        rc, out = run([binp, "-t", "--config-only", "-f", f])
        if rc != 0:
            failures.append("%s: the starting file itself is refused:\n%s" % (f, out))
            continue
        seen = seen_all if a.unique else set()
        jobs = []
        for v in variants(base, ranges):
            path, shape, line, endline, what, text, number, removed = v
            if (shape, what) in seen:      # one of each mutation per shape (and file)
                continue
            seen.add((shape, what))
            jobs.append(v)
        if a.max:
            jobs = jobs[:max(0, a.max - total)]

        def one(k_v):
            k, (path, shape, line, endline, what, text, number, removed) = k_v
            vfile = os.path.join(tmp, "%d-%s" % (k, os.path.basename(f)))
            with open(vfile, "w", encoding="utf-8") as w:
                w.write(text)
            rc, out = run([binp, "-t", "--config-only", "-f", vfile])
            bad = None
            kind = None
            if rc is None:
                kind, bad = "hang", "hung"
            elif rc >= 128 or rc < 0:
                kind, bad = "crash", "crashed (exit %d)" % rc
            elif rc == 0:
                if number is not None:
                    lo_hi = re.search(r"\((-?\d+)\.\.(-?\d+)\)", what)
                    if lo_hi and not (int(lo_hi.group(1)) <= number <= int(lo_hi.group(2))):
                        kind, bad = "silent", "accepted a value outside the loader's range"
                    else:
                        drc, dump = run([binp, "--dump-config", "-f", vfile])
                        if drc != 0 or not re.search(r"(?<![\d-])%sL{0,2}\b" % re.escape(str(number)),
                                                     dump):
                            kind, bad = "silent", "accepted, but --dump-config does not give the value back"
            elif rc == 1:
                if not out.strip():
                    kind, bad = "mute", "refused without a word"
                elif not names_path(out, vfile, path, line, endline, removed):
                    kind, bad = "unnamed", "refused without naming %s" % path
            else:
                kind, bad = "other", "exit %d" % rc
            os.unlink(vfile)
            tag = "%s %s: %s" % (os.path.relpath(f, src), path, what)
            return tag, kind, bad, out, rc

        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
            for tag, kind, bad, out, rc in ex.map(one, enumerate(jobs)):
                total += 1
                counts[kind] = counts.get(kind, 0) + 1
                if bad:
                    failures.append("%s: %s\n%s" % (tag, bad, "\n".join(
                        "    " + (l if len(l) < 240 else l[:200] + "...(%d chars)" % len(l))
                        for l in out.strip().splitlines()[:6])))
                elif a.verbose:
                    print("ok: %s (exit %s)" % (tag, rc))
    for fl in failures:
        print("FAIL: " + fl)
    nfail = len(failures)
    c = lambda k: counts.get(k, 0)
    print("%d variants, %d crashes, %d silent accepts of out-of-range values, %d hangs, "
          "%d refused without naming the setting, %d refused silently, %d other exits"
          % (total, c("crash"), c("silent"), c("hang"), c("unnamed"), c("mute"), c("other")))
    print("%d passed, %d failed" % (total - nfail if total >= nfail else 0, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
