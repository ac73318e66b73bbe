#!/usr/bin/env python3
"""Soak: the exporter and the CLI under a mix of hostile load for a bounded time; afterwards the
exporter's open file descriptors are back to their baseline, its resident memory close to it,
and every request that waited for an answer got one. No assertion on speed: leaks and lost
answers are what this catches.

Targets: fakesql servers with a good chain, SQL Server's self-signed fallback, a stall in the
handshake, a reset after PRELOGIN, a non-TDS reply, a malformed PRELOGIN; a port nobody accepts
on; addresses outside --allow-targets.
Load on the exporter (tdsprobe serve --allow-targets 127.0.0.0/8): scrapes of every target and
of /metrics, scrapes abandoned mid-probe, malformed and oversized requests, heads that never
end, idle sockets from one address that reconnect whenever they are closed, targets refused
with 403. Alongside, tdsprobe runs over a file of every target with --threads 2, each run
checked for one JSON line per target and for a bounded number of descriptors while it runs.

Phases: a warm-up round of the same load (caches, the thread pool, malloc's arenas), then the
baseline (descriptors and VmRSS from /proc/PID, the exporter idle), then the load for
SOAK_SECONDS (default 35), then the same measures once the exporter is idle again.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest);
SOAK_SECONDS.
"""
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from fakesql import FakeSQL

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
SECONDS = float(os.environ.get("SOAK_SECONDS", "35"))
TIMEOUT = 2  # the probes' --timeout
# VmRSS may end this far above its baseline: allocator high-water marks, not leaks (a leak grows
# with the load: one of 1 KB per request is about 10 MB over the default run)
RSS_SLACK_KB = 2 * 1024
RSS_SLACK_SHARE = 0.05
# Under ASan (scripts/test.sh sets ASAN_OPTIONS for that run) the allocator's own high-water
# marks grow further even with a small quarantine (a bare Debian run: 30,156 -> 33,988 kB);
# there LeakSanitizer at the exporter's clean exit is what catches leaks.
if os.environ.get("ASAN_OPTIONS"):
    RSS_SLACK_KB = 8 * 1024
    RSS_SLACK_SHARE = 0.10
LISTEN_RE = re.compile(r"^tdsprobe serve: listening on http://([0-9.]+):(\d+)/$")
# VERSION claims 2 bytes: every parser must refuse it (tests/integration/test_probe.py)
BAD_PRELOGIN = "04 01 00 1a 00 00 01 00 00 00 0b 00 02 01 00 0d 00 01 ff 0a 00 00 ff ff ff 00"

SERVERS = {
    "good": {"cert": "good"},
    "fallback": {},
    "stall": {"cert": "good", "stall": "handshake"},
    "reset": {"resetafterprelogin": 1},
    "nontds": {"nontdsreply": 1},
    "badprelogin": {"preloginhex": BAD_PRELOGIN.replace(" ", "")},
}


class Failures:
    """Every broken promise, from any thread; the soak fails if there is one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, what):
        with self.lock:
            if len(self.items) < 50:
                self.items.append(what)


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def http(host, port, raw, timeout=TIMEOUT + 15):
    """Sends raw, returns the answer's status code (or raises)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    head = data.split(b"\r\n", 1)[0].decode(errors="replace")
    if not head.startswith("HTTP/1.1 "):
        raise RuntimeError("no HTTP answer: %r" % data[:80])
    return int(head.split()[1])


def get(path):
    return b"GET %s HTTP/1.1\r\nHost: soak\r\n\r\n" % path.encode()


class Exporter:
    def __init__(self, tmp):
        self.err_path = os.path.join(tmp, "serve.stderr")
        self._err = open(self.err_path, "wb")
        # In an ASan build freed memory waits in a quarantine (256 MB by default) that would
        # read as growth; a small one keeps VmRSS meaningful. Other builds ignore the variable.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                     "quarantine_size_mb=1"]))
        self.proc = subprocess.Popen(
            [TDSPROBE, "serve", "--listen", "127.0.0.1:0", "--ca-file", CA, "--timeout",
             str(TIMEOUT), "--max-concurrency", "32", "--allow-targets", "127.0.0.0/8"],
            stdout=subprocess.PIPE, stderr=self._err, text=True, env=env)
        m = LISTEN_RE.match(self.proc.stdout.readline().strip())
        if not m:
            self.proc.kill()
            raise RuntimeError("serve did not start: " + self.stderr())
        self.host, self.port = m.group(1), int(m.group(2))

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def metric(self, name):
        with socket.create_connection((self.host, self.port), timeout=10) as s:
            s.sendall(get("/metrics"))
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        for line in data.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise RuntimeError("no %s in /metrics" % name)

    def wait_idle(self, limit=60):
        """Until no probe is in flight and no connection is open but the one asking."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if (self.metric("tdsprobe_exporter_probes_in_flight") == 0 and
                    self.metric("tdsprobe_exporter_connections_open") <= 1):
                time.sleep(0.5)  # the last connection's close and the loop's own work
                return
            time.sleep(0.25)
        raise AssertionError("the exporter did not become idle within %d s" % limit)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(TIMEOUT + 20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._err.close()
        return self.proc.returncode


class Load:
    """The exporter's load: workers that run until stop is set."""

    def __init__(self, srv, targets, failures):
        self.srv, self.targets, self.failures = srv, targets, failures
        self.stop = threading.Event()
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def expect(self, what, raw, codes):
        """One request whose answer must come, with a status in codes."""
        try:
            code = http(self.srv.host, self.srv.port, raw)
        except (OSError, RuntimeError) as e:
            self.failures.add("%s: no answer (%r)" % (what, e))
            return
        if code not in codes:
            self.failures.add("%s: %d, not one of %s" % (what, code, codes))
        self.count(what)

    def scraper(self, seed):
        rnd = random.Random(seed)
        names = sorted(self.targets)
        while not self.stop.is_set():
            name = rnd.choice(names)
            path = "/probe?" + urllib.parse.urlencode({"target": self.targets[name]})
            self.expect("probe " + name, get(path), (200, 503))
            self.expect("metrics", get("/metrics"), (200,))
            time.sleep(rnd.uniform(0, 0.05))

    def hostile_requests(self):
        cases = [
            ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 40 + b"\r\n\r\n",
             (400,)),
            ("oversized head", b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", (413,)),
            ("post", b"POST /probe?target=x HTTP/1.1\r\n\r\n", (405,)),
            ("refused target", get("/probe?target=192.0.2.1,1433"), (403,)),
            ("refused name", get("/probe?target=3221225985,1433"), (403,)),  # 192.0.2.1
            ("bad target", get("/probe?target=%00"), (400,)),
        ]
        while not self.stop.is_set():
            for what, raw, codes in cases:
                self.expect(what, raw, codes)
            time.sleep(0.05)

    def abandoner(self):
        raw = get("/probe?" + urllib.parse.urlencode({"target": self.targets["stall"]}))
        while not self.stop.is_set():
            try:
                with socket.create_connection((self.srv.host, self.srv.port), timeout=5) as s:
                    s.sendall(raw)
                    time.sleep(0.05)  # the probe has started; the scraper goes away
                self.count("abandoned")
            except OSError as e:
                self.failures.add("abandoner could not connect: %r" % e)
            time.sleep(0.1)

    def slow_heads(self):
        while not self.stop.is_set():
            try:
                self.expect_408()
            except OSError as e:
                self.failures.add("slow head: %r" % e)

    def expect_408(self):
        with socket.create_connection((self.srv.host, self.srv.port), timeout=15) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: so")  # and no more
            data = s.recv(4096)
        if data.startswith(b"HTTP/1.1 408 "):
            self.count("slow head")
        elif data:  # b"" is an eviction to make room (the flood's doing): no answer promised
            self.failures.add("slow head got %r" % data[:40])

    def flood(self, n=300, source="127.0.0.2"):
        """n idle sockets from one address, each reopened when the exporter closes it (at most
        about 500 a second, to leave the machine to the other tests)."""
        sel = selectors.DefaultSelector()

        def open_one():
            s = socket.socket()
            s.setblocking(False)
            s.bind((source, 0))
            s.connect_ex((self.srv.host, self.srv.port))
            sel.register(s, selectors.EVENT_READ)

        for _ in range(n):
            open_one()
        while not self.stop.is_set():
            for key, _ in sel.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if data:
                    continue
                sel.unregister(key.fileobj)
                key.fileobj.close()
                self.count("flood reconnect")
                time.sleep(0.002)
                open_one()
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()

    def run(self, seconds, with_cli=None):
        workers = [threading.Thread(target=self.scraper, args=(i,)) for i in range(4)]
        workers += [threading.Thread(target=f) for f in
                    (self.hostile_requests, self.abandoner, self.slow_heads, self.flood)]
        if with_cli:
            workers.append(threading.Thread(target=with_cli, args=(self.stop,)))
        for w in workers:
            w.start()
        time.sleep(seconds)
        self.stop.set()
        for w in workers:
            w.join(TIMEOUT + 30)
            if w.is_alive():
                self.failures.add("a load worker did not stop")


class CliRuns:
    """tdsprobe --threads 2 over a file of every target, again and again."""

    def __init__(self, targets, tmp, failures):
        self.failures = failures
        self.path = os.path.join(tmp, "fleet.txt")
        self.lines = []
        for i in range(8):  # distinct texts, so none is dropped as a duplicate
            for name, target in sorted(targets.items()):
                host, port = target.split(",")
                self.lines.append("Server=tcp:%s,%s;Encrypt=True;Application Name=soak%d"
                                  % (host, port, i))
        with open(self.path, "w") as f:
            f.write("# soak fleet\n" + "\n".join(self.lines) + "\n")
        self.runs = 0
        self.max_fds = 0

    def run_once(self):
        p = subprocess.Popen([TDSPROBE, "--json", "--threads", "2", "--timeout", str(TIMEOUT),
                              "--ca-file", CA, "-f", self.path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        reader = threading.Thread(target=lambda: setattr(self, "_out", p.communicate()))
        reader.start()
        while p.poll() is None:
            try:
                self.max_fds = max(self.max_fds, proc_fds(p.pid))
            except OSError:
                pass  # it just ended
            time.sleep(0.05)
        reader.join()
        out, err = self._out
        objs = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(objs) != len(self.lines) or p.returncode not in (1, 2):
            self.failures.add("tdsprobe -f: %d answers for %d targets, exit %s: %s"
                              % (len(objs), len(self.lines), p.returncode, err[-500:]))
        if "Sanitizer" in err or "runtime error:" in err:
            self.failures.add("tdsprobe -f: " + err[-2000:])
        # every target in flight at once: a socket each, and the loops' own descriptors
        if self.max_fds > len(self.lines) + 64:
            self.failures.add("tdsprobe held %d descriptors for %d targets"
                              % (self.max_fds, len(self.lines)))
        self.runs += 1

    def loop(self, stop):
        while not stop.is_set():
            self.run_once()


def measure(srv):
    srv.wait_idle()
    return proc_fds(srv.proc.pid), proc_rss_kb(srv.proc.pid)


def soak(targets, tmp):
    failures = Failures()
    srv = Exporter(tmp)
    cli = CliRuns(targets, tmp, failures)
    try:
        Load(srv, targets, failures).run(min(10.0, SECONDS / 3), with_cli=cli.loop)  # warm-up
        fds0, rss0 = measure(srv)
        load = Load(srv, targets, failures)
        load.run(SECONDS, with_cli=cli.loop)
        fds1, rss1 = measure(srv)
    finally:
        code = srv.stop()
    err = srv.stderr()
    print("soak: %.0f s of load: %s" % (SECONDS, json.dumps(load.counts, sort_keys=True)))
    print("soak: tdsprobe -f ran %d times, at most %d descriptors for %d targets"
          % (cli.runs, cli.max_fds, len(cli.lines)))
    print("soak: exporter descriptors %d -> %d, VmRSS %d kB -> %d kB"
          % (fds0, fds1, rss0, rss1))
    if fds1 != fds0:
        failures.add("the exporter's descriptors went from %d to %d" % (fds0, fds1))
    if rss1 > rss0 * (1 + RSS_SLACK_SHARE) + RSS_SLACK_KB:
        failures.add("the exporter's VmRSS grew from %d kB to %d kB" % (rss0, rss1))
    if code != 0 or "Sanitizer" in err or "runtime error:" in err:
        failures.add("the exporter exited %s:\n%s" % (code, err[-3000:]))
    for what in ("probe good", "metrics", "abandoned", "slow head", "refused target",
                 "flood reconnect"):
        if load.counts.get(what, 0) == 0:
            failures.add("no '%s' happened: the soak did not do what it says" % what)
    if cli.runs == 0:
        failures.add("tdsprobe -f never ran")
    return failures.items


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 and (hard == resource.RLIM_INFINITY or hard >= 4096):
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    servers = {}
    hole = socket.socket()  # a port that accepts nothing: the probe times out in connect/TDS
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    try:
        for name, conf in SERVERS.items():
            servers[name] = FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL, check_exit=False)
            servers[name].__enter__()
        targets = {name: "127.0.0.1,%d" % s.port for name, s in servers.items()}
        targets["hole"] = "127.0.0.1,%d" % hole.getsockname()[1]
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            problems = soak(targets, tmp)
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)
        hole.close()
    for p in problems:
        print("soak: FAIL: " + p)
    print("soak: %s" % ("ok" if not problems else "%d problem(s)" % len(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
