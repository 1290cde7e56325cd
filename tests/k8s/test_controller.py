#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""tests/k8s/test_controller.py - the pure core of contrib/k8s-endpoints/ipvsr-k8s-endpoints:
rendering (the recorded slices in contrib/k8s-endpoints/testdata give their .expected
files), the slice index, the debounce bound, the writer's pacing on a fake clock, the
backoff, and configuration errors (file, line, field).  Ends with "N passed, N failed".
"""
import importlib.machinery
import importlib.util
import json
import os
import random
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROG = os.path.join(TOP, "contrib", "k8s-endpoints", "ipvsr-k8s-endpoints")
DATA = os.path.join(TOP, "contrib", "k8s-endpoints", "testdata")
_loader = importlib.machinery.SourceFileLoader("k8sep", PROG)
_spec = importlib.util.spec_from_loader("k8sep", _loader)
K = importlib.util.module_from_spec(_spec)
_loader.exec_module(K)


def items(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)["items"]


def expected(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


def ep(addr, ready=None, serving=None, terminating=None):
    cond = {k: v for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating)) if v is not None}
    e = {"addresses": [addr]}
    if cond:
        e["conditions"] = cond
    return e


def slice_(name, svc="s", ns="prod", atype="IPv4", ports=None, endpoints=(), labels=None):
    md = {"name": name, "namespace": ns, "labels": dict(labels or {}, **({K.SERVICE_LABEL: svc} if svc else {}))}
    return {"metadata": md, "addressType": atype, "ports": ports, "endpoints": list(endpoints)}


class Render(unittest.TestCase):
    def test_recorded(self):
        cases = [("basic.json", "prod", "api", None, "basic.expected"),
                 ("multi.json", "prod", "web", "http", "multi.expected"),
                 ("multi.json", "prod", "web", "8080", "multi.expected"),
                 ("dualstack.json", "prod", "shop", "https", "dualstack.expected"),
                 ("dualstack.json", "prod", "shop", "8443", "dualstack.expected")]
        for data, ns, name, port, exp in cases:
            with self.subTest(data=data, port=port):
                out = K.Output(ns, name, port, "/x")
                self.assertEqual(K.file_content(out, items(data)), expected(exp))

    def test_ambiguous_port(self):
        with self.assertRaisesRegex(K.RenderError, "slice web-v4 has several ports .metrics, http."):
            K.render(items("multi.json"), None)

    def test_conditions(self):
        s = slice_("a", ports=[{"port": 80}], endpoints=[
            ep("192.0.2.1"),                                        # no conditions: ready
            ep("192.0.2.2", ready=True),
            ep("192.0.2.3", ready=False),                           # serving absent: not ready
            ep("192.0.2.4", ready=False, serving=True, terminating=True),
            ep("192.0.2.5", ready=False, serving=False, terminating=True),
            ep("192.0.2.6", serving=False),                         # ready absent, not serving
            ep("192.0.2.7", serving=True, terminating=False)])
        self.assertEqual(K.render([s], None), ["192.0.2.1:80", "192.0.2.2:80", "192.0.2.4:80 drain",
                                               "192.0.2.7:80"])

    def test_shapes(self):
        fqdn = slice_("f", atype="FQDN", ports=[{"port": 80}], endpoints=[ep("db.example.net")])
        noport = slice_("n", ports=None, endpoints=[ep("192.0.2.9")])
        other = slice_("o", ports=[{"name": "http", "port": 80}], endpoints=[ep("192.0.2.8")])
        v6 = slice_("v6", atype="IPv6", ports=[{"name": "http", "port": 80}], endpoints=[ep("2001:db8::8")])
        self.assertEqual(K.render([fqdn], None), [])
        self.assertEqual(K.render([noport], None), ["192.0.2.9"])
        # the port asked for is not in the slice: the address alone (as the script did)
        self.assertEqual(K.render([other], "https"), ["192.0.2.8"])
        self.assertEqual(K.render([v6, other], "http"), ["192.0.2.8:80", "[2001:db8::8]:80"])
        dup = slice_("d", ports=[{"port": 80}], endpoints=[ep("192.0.2.9"), ep("192.0.2.9")])
        self.assertEqual(K.render([dup, dup], None), ["192.0.2.9:80"])

    def test_empty(self):
        self.assertEqual(K.file_content(K.Output("prod", "api", None, "/x"), []),
                         "# service prod/api, written by ipvsr-k8s-endpoints\n")


class Index(unittest.TestCase):
    def test_events(self):
        ix = K.SliceIndex()
        a1, a2, b1 = slice_("a1", "a"), slice_("a2", "a"), slice_("b1", "b")
        self.assertEqual(ix.replace([a1, b1]), {("prod", "a"), ("prod", "b")})
        self.assertEqual(ix.apply("ADDED", a2), {("prod", "a")})
        self.assertEqual([s["metadata"]["name"] for s in ix.of(("prod", "a"))], ["a1", "a2"])
        moved = slice_("a2", "b")                       # relabelled: both Services change
        self.assertEqual(ix.apply("MODIFIED", moved), {("prod", "a"), ("prod", "b")})
        self.assertEqual([s["metadata"]["name"] for s in ix.of(("prod", "b"))], ["a2", "b1"])
        self.assertEqual(ix.apply("DELETED", moved), {("prod", "b")})
        self.assertEqual(ix.apply("DELETED", slice_("zz", "c")), set())
        self.assertEqual(ix.apply("ADDED", slice_("nolabel", None)), set())
        # a re-list replaces: what is gone is gone, and its Service is reported
        self.assertEqual(ix.replace([b1]), {("prod", "a"), ("prod", "b")})
        self.assertEqual(ix.of(("prod", "a")), [])


class Pacing(unittest.TestCase):
    def test_debounce(self):
        d = K.Debounce(0.010)
        self.assertEqual(d.changed(1.000), 1.000)           # first change: at once
        d.written(1.000)
        self.assertAlmostEqual(d.changed(1.003), 1.010)     # within the window: at its end
        self.assertAlmostEqual(d.changed(1.007), 1.010)     # coalesced
        d.written(1.010)
        self.assertEqual(d.changed(1.050), 1.050)           # quiet again: at once
        d.dropped()
        self.assertEqual(d.changed(1.052), 1.052)           # nothing written: still at once

    def test_debounce_bound(self):
        """Random change times, the writer writing when due: no change waits longer
        than the window, and two writes are at least a window apart."""
        rnd, w = random.Random(7), 0.010
        for _ in range(200):
            d, t, writes, waiting = K.Debounce(w), 0.0, [], []
            for _ in range(60):
                t += rnd.choice([0.0, 0.0005, 0.002, 0.004, 0.011, 0.03])
                if d.due is not None and d.due <= t:      # the writer's turn came first
                    writes.append(d.due)
                    self.assertTrue(all(d.due - c <= w + 1e-9 for c in waiting))
                    waiting = []
                    d.written(d.due)
                waiting.append(t)
                if d.changed(t) <= t:                      # written by the caller, now
                    writes.append(t)
                    waiting = []
                    d.written(t)
            for a, b in zip(writes, writes[1:]):
                self.assertGreaterEqual(b - a, w - 1e-9)
            self.assertLess(len(writes), 60)

    def test_writer(self):
        clock = [100.0]
        with tempfile.TemporaryDirectory() as tmp:
            out = K.Output("prod", "api", None, os.path.join(tmp, "api"))
            wr = K.Writer(0.010, clock=lambda: clock[0])
            wr.update(out, "a\n")
            self.assertEqual(open(out.path).read(), "a\n")
            ino = os.stat(out.path).st_ino
            for i, c in enumerate(["b\n", "c\n", "d\n"]):       # a burst within the window
                clock[0] += 0.002
                wr.update(out, c)
            self.assertEqual(open(out.path).read(), "a\n")
            self.assertAlmostEqual(wr.tick(clock[0]), 100.010)
            clock[0] = 100.010
            self.assertIsNone(wr.tick(clock[0]))
            self.assertEqual(open(out.path).read(), "d\n")
            self.assertEqual(wr.writes, 2)
            self.assertNotEqual(os.stat(out.path).st_ino, ino)
            ino = os.stat(out.path).st_ino
            clock[0] += 1
            wr.update(out, "d\n")                          # same as before: nothing to do
            wr.files[out.path].desired = None              # (as after a restart)
            wr.update(out, "d\n")                          # the file says it already
            self.assertEqual((wr.writes, os.stat(out.path).st_ino), (2, ino))
            self.assertEqual(os.stat(out.path).st_mode & 0o777, 0o644)
            self.assertEqual([f for f in os.listdir(tmp) if f.startswith(".")], [])

    def test_backoff(self):
        b = K.Backoff(0.2, 30.0, rnd=lambda: 0.999)
        got = [b.next() for _ in range(10)]
        want = [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
        for g, w in zip(got, want):
            self.assertGreaterEqual(g, w)
            self.assertLessEqual(g, w * 1.25)
        b.reset()
        self.assertLess(b.next(), 0.26)


class Config(unittest.TestCase):
    def load(self, text):
        return K.load_config("k.conf", text)

    def errors(self, text):
        with self.assertRaises(K.ConfigError) as cm:
            self.load(text)
        return cm.exception.errors

    def test_example(self):
        c = K.load_config(os.path.join(TOP, "contrib", "k8s-endpoints", "k8s-endpoints.conf"))
        self.assertTrue(c.services and c.selectors)

    def test_valid(self):
        c = self.load("kubeconfig: /etc/k\ncontext: c\ndebounce_ms: 5\nservices:\n"
                      "  - {namespace: prod, name: api, port: 8080, file: /var/a}\n"
                      "  - {namespace: prod, name: api, port: metrics, file: /var/b}\n"
                      "selectors:\n  - labels: 'a=b, c in (d,e), !f'\n    directory: /var/d\n")
        self.assertEqual((c.kubeconfig, c.context, c.debounce_ms), ("/etc/k", "c", 5))
        self.assertEqual([(o.name, o.port, o.path) for o in c.services],
                         [("api", "8080", "/var/a"), ("api", "metrics", "/var/b")])
        s = c.selectors[0]
        self.assertEqual((s.namespace, s.port, s.output("ns", "x").path), (None, None, "/var/d/ns.x"))

    def test_errors(self):
        errs = self.errors("services:\n"
                           "  - namespace: Prod\n"          # line 2
                           "    name: api\n"
                           "    port: 70000\n"              # line 4
                           "    file: relative\n"           # line 5
                           "    color: blue\n"              # line 6
                           "  - {namespace: prod, name: web, file: /var/a}\n"
                           "  - {namespace: prod, name: web2, file: /var/a}\n"   # line 8
                           "  - {namespace: prod, file: /var/c}\n"               # line 9
                           "selectors:\n"
                           "  - {labels: 'a in (b', directory: /d}\n"           # line 11
                           "debounce_ms: 2000\n"                                # line 12
                           "colour: red\n")                                     # line 13
        want = ["k.conf:2: services[1].namespace: ", "k.conf:4: services[1].port: ",
                "k.conf:5: services[1].file: ", "k.conf:6: services[1].color: unknown",
                "k.conf:8: services[3].file: already the file of services[2]",
                "k.conf:9: services[4].name: missing", "k.conf:11: selectors[1].labels: ",
                "k.conf:12: debounce_ms: ", "k.conf:13: colour: unknown"]
        self.assertEqual(len(errs), len(want), errs)
        for w in want:
            self.assertTrue(any(e.startswith(w) for e in errs), "%r not in %r" % (w, errs))

    def test_whole_file(self):
        self.assertRegex(self.errors("")[0], r"^k.conf:1: empty")
        self.assertRegex(self.errors("services: [\n")[0], r"^k.conf:2: not valid YAML")
        self.assertRegex(self.errors("- a\n")[0], r"^k.conf:1: : must be a mapping|^k.conf:1: .*mapping")
        self.assertRegex(self.errors("debounce_ms: 5\n")[0], r"^k.conf:1: nothing to follow")
        self.assertRegex(self.errors("context: x\nservices: []\n")[0], r"^k.conf:1: context: only with kubeconfig")
        with self.assertRaises(K.ConfigError) as cm:
            K.load_config("/nonexistent/k.conf")
        self.assertRegex(cm.exception.errors[0], r"^/nonexistent/k.conf: cannot read: No such file")

    def test_selector_syntax(self):
        for good in ["a", "!a", "a=b", "a==b", "a!=b", "a in (b,c)", "a notin (b)", "x.io/k=v,b",
                     "kubernetes.io/service-name in (api, web)", "a="]:
            self.assertTrue(K.valid_selector(good), good)
        for bad in ["", "a in (b", "=b", "a b", "a in b", ",", "a=(b)"]:
            self.assertFalse(K.valid_selector(bad), bad)


if __name__ == "__main__":
    K.log = lambda level, msg: None
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    res = runner.run(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(res.failures) + len(res.errors)
    print("%d passed, %d failed" % (res.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
