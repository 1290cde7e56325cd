# SPDX-License-Identifier: Apache-2.0
"""tests/k8s/k8slab.py - helpers for the Python drivers of the Kubernetes tests and
bench (bench/k8s-endpoints, tests/k8s/e2e-driver): the fake API server as a child
process and its control connection, an inotify watch (ctypes, blocking reads: no
polling), test certificates, kubeconfig files, percentiles.  Standard library only.
"""
import ctypes
import ctypes.util
import json
import math
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
FAKE = os.path.join(TOP, "tests", "k8s", "fake-apiserver")
CONTROLLER = os.path.join(TOP, "contrib", "k8s-endpoints", "ipvsr-k8s-endpoints")
OLD_SCRIPT = os.path.join(TOP, "contrib", "k8s-endpoints", "ipvsr-k8s-endpoints-kubectl")
PYTHON = "/usr/bin/python3"


def certs(directory):
    """Test CA and a server certificate for 127.0.0.1 (tests/backend/mkcerts.sh)."""
    subprocess.run([os.path.join(TOP, "tests", "backend", "mkcerts.sh"), directory, "kube.test", "127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(directory, "ca.crt")


class Fake:
    """tests/k8s/fake-apiserver as a child process, and its control connection."""

    def __init__(self, workdir, token, objects, log, extra=()):
        self.workdir, self.token = workdir, token
        ca = certs(os.path.join(workdir, "certs"))
        self.ca = ca
        ports = os.path.join(workdir, "fake.ports")
        self.proc = subprocess.Popen(
            [PYTHON, FAKE, "--cert", os.path.join(workdir, "certs", "good.crt"),
             "--key", os.path.join(workdir, "certs", "key.pem"), "--token", token,
             "--ports-file", ports] + list(extra) + list(objects),
            stdout=log, stderr=log, start_new_session=True)
        end = time.monotonic() + 60
        while not os.path.exists(ports):
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("the fake API server did not start")
            time.sleep(0.05)
        with open(ports) as f:
            p = dict(line.split() for line in f)
        self.api_port, self.ctl_port = int(p["api"]), int(p["control"])
        self.sock = socket.create_connection(("127.0.0.1", self.ctl_port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, cmd):
        """Send a command (a string, or a dict sent as JSON) without reading the answer."""
        if isinstance(cmd, dict):
            cmd = json.dumps(cmd, separators=(",", ":"))
        self.sock.sendall(cmd.encode() + b"\n")

    def answer(self, timeout=60):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise RuntimeError("the fake API server did not answer")
            data = self.sock.recv(1 << 16)
            if not data:
                raise RuntimeError("the fake API server closed its control connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        ans = json.loads(line)
        if not ans.get("ok"):
            raise RuntimeError("fake API server: %s" % ans)
        return ans

    def cmd(self, cmd, timeout=60):
        self.send(cmd)
        return self.answer(timeout)

    def kubeconfig(self, path, token=None):
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n"
                    "    server: https://127.0.0.1:%d\n    certificate-authority: %s\n"
                    "users:\n- name: tester\n  user:\n    token: %s\n"
                    "contexts:\n- name: fake\n  context: {cluster: fake, user: tester}\n"
                    "current-context: fake\n" % (self.api_port, self.ca, token or self.token))
        return path

    def stop(self):
        try:
            self.proc.terminate()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


IN_MOVED_TO, IN_CLOSE_WRITE, IN_MODIFY, IN_NONBLOCK, IN_CLOEXEC = 0x80, 0x08, 0x02, 0o4000, 0o2000000


class Inotify:
    """inotify on directories; wait() blocks in select/read, never polls."""

    def __init__(self):
        self.libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}
        self.pending = []

    def add(self, path, mask=IN_MOVED_TO):
        wd = self.libc.inotify_add_watch(self.fd, path.encode(), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch %s" % path)
        self.dirs[wd] = path

    def read(self, timeout):
        """Events that arrived within timeout: [(time.monotonic() at wake-up, dir, name, mask)]."""
        if not select.select([self.fd], [], [], max(0.0, timeout))[0]:
            return []
        t = time.monotonic()
        out = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            i = 0
            while i < len(data):
                wd, mask, _, n = struct.unpack_from("iIII", data, i)
                name = data[i + 16:i + 16 + n].rstrip(b"\0").decode()
                out.append((t, self.dirs.get(wd), name, mask))
                i += 16 + n
        return out


def percentile(values, q):
    """Nearest rank; None for no values."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(q * len(v)) - 1)]


def fmt(x):
    return "na" if x is None else "%.2f" % x


def log(msg):
    print(msg, file=sys.stderr, flush=True)
