#!/usr/bin/env python3
"""Integration tests for `tdsprobe serve`, the Prometheus exporter (probe/serve/probe_serve.c).

Exposition: scrapes of /probe against fakesql (a good chain, SQL Server's self-signed fallback),
a connection string, a module, every body through `promtool check metrics`; bad requests.
Lifecycle: a scraper that disconnects mid-probe, 503 at --max-concurrency, SIGTERM with a probe
in flight. Hostile clients: 1,030 idle sockets that reconnect when closed while real scrapes go
on, the per-peer connection limit, a request head that never ends (408). --allow-targets: 403
for an address outside the networks, a name no glob matches, a name resolving outside (and
nothing sent to any of them), allowed targets probed, a module's own list. Prometheus: a real Prometheus server scrapes the exporter with the multi-target
relabelling of samples/monitoring/prometheus.yml and its query API returns both targets.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest);
PROMTOOL and PROMETHEUS default to the Debian prometheus package's binaries.
"""
import contextlib
import http.client
import json
import multiprocessing
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from fakesql import FakeSQL

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = os.environ.get("PROMETHEUS") or shutil.which("prometheus") or "/usr/bin/prometheus"

LISTEN_RE = re.compile(r"^tdsprobe serve: listening on http://([0-9.]+):(\d+)/$")
MODULES = """# test modules
[module trusting]
trust_server_certificate = true

[module odbc]
driver = odbc18
handshake = certificate
"""


class Serve:
    """One `tdsprobe serve` process on an ephemeral port."""

    def __init__(self, *args):
        self.tmp = tempfile.mkdtemp(prefix="serve-")
        self.err_path = os.path.join(self.tmp, "stderr")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([TDSPROBE, "serve", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=self._err, text=True)
        line = self.proc.stdout.readline().strip()
        m = LISTEN_RE.match(line)
        if not m:
            self.proc.kill()
            raise RuntimeError("serve did not start: %r %s" % (line, self.stderr()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.base = "http://%s:%d" % (self.host, self.port)

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def get(self, path, timeout=20):
        """(status, content type, body) of GET path."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
                return r.status, r.headers["Content-Type"], r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers["Content-Type"], e.read().decode()

    def probe(self, target, **params):
        return self.get("/probe?" + urllib.parse.urlencode({"target": target, **params}))

    def raw(self, data, timeout=10):
        """Sends raw bytes; returns everything the server answered before closing."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks).decode(errors="replace")

    def stop(self, timeout=20):
        """SIGTERM; returns (exit status, seconds it took)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._err.close()
        return self.proc.returncode, time.monotonic() - t0

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def sample(body, name, **labels):
    """The value of the one sample of name whose labels include labels, else None."""
    for line in body.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all('%s="%s"' % (k, v) in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prometheus(conf, tmp):
    """A Prometheus server on config file conf, its data and log (prometheus.log) in tmp: yields
    (process, port of its web API); SIGTERM on leaving, SIGKILL if it has not gone in 15 s."""
    port = free_port()
    with open(os.path.join(tmp, "prometheus.log"), "wb") as log:
        prom = subprocess.Popen([PROMETHEUS, "--config.file=" + conf,
                                 "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                                 "--web.listen-address=127.0.0.1:%d" % port],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        yield prom, port
    finally:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(15)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()


class ServeCase(unittest.TestCase):
    def assertPromtool(self, body):
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, "promtool: %s%s\n%s" % (p.stdout, p.stderr, body))

    def serve(self, *args):
        """A Serve that is stopped, whatever happens, when the test ends."""
        srv = Serve(*args)

        def stop_if_running():
            if srv.proc.poll() is None:
                srv.stop()
                srv.cleanup()
        self.addCleanup(stop_if_running)
        return srv

    def assertCleanExit(self, srv, max_seconds=None):
        code, took = srv.stop()
        err = srv.stderr()
        srv.cleanup()
        self.assertEqual(code, 0, "serve exit status; stderr:\n" + err)
        self.assertNotIn("Sanitizer", err)
        self.assertNotIn("runtime error:", err)
        if max_seconds is not None:
            self.assertLess(took, max_seconds)


class Exposition(ServeCase):
    """One exporter, two fakesql servers: a good chain and the self-signed fallback."""

    @classmethod
    def setUpClass(cls):
        cls.good = FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        cls.fallback = FakeSQL({}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        cls.tmp = tempfile.mkdtemp(prefix="serve-conf-")
        conf = os.path.join(cls.tmp, "modules.conf")
        with open(conf, "w") as f:
            f.write(MODULES)
        cls.srv = Serve("--ca-file", CA, "--config", conf, "--timeout", "5")

    @classmethod
    def tearDownClass(cls):
        cls.code, _ = cls.srv.stop()
        cls.err = cls.srv.stderr()
        cls.srv.cleanup()
        cls.good.__exit__(None, None, None)
        cls.fallback.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert cls.code == 0 and "Sanitizer" not in cls.err, cls.err

    def target(self, srv):
        return "127.0.0.1,%d" % srv.port

    def test_good_target(self):
        code, ctype, body = self.srv.probe(self.target(self.good))
        self.assertEqual(code, 200, body)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        t = self.target(self.good)
        self.assertEqual(sample(body, "tdsprobe_success", target=t), 1)
        self.assertEqual(sample(body, "tdsprobe_diagnosis_info", target=t, code="ok"), 1)
        self.assertEqual(sample(body, "tdsprobe_tls_version_info", version="TLSv1.2"), 1)
        self.assertEqual(sample(body, "tdsprobe_ssl_chain_length"), 2)
        self.assertGreater(sample(body, "tdsprobe_ssl_earliest_cert_expiry"), time.time())
        took = sample(body, "tdsprobe_probe_duration_seconds")
        self.assertTrue(0 < took < 5, took)
        self.assertPromtool(body)

    def test_untrusted_target(self):
        code, _, body = self.srv.probe(self.target(self.fallback))
        self.assertEqual(code, 200, body)
        self.assertEqual(sample(body, "tdsprobe_success"), 0)
        self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="untrusted_chain"), 1)
        self.assertEqual(sample(body, "tdsprobe_status_info", status="fail"), 1)
        self.assertPromtool(body)

    def test_connection_string_target(self):
        cs = "Server=tcp:127.0.0.1,%d;Encrypt=True;User ID=sa;Password=s3cr+t;" % self.good.port
        code, _, body = self.srv.probe(cs)  # urlencode: spaces as '+', '+' as %2B
        self.assertEqual(code, 200, body)
        self.assertEqual(sample(body, "tdsprobe_success"), 1)
        self.assertNotIn("s3cr", body)  # the target label carries the masked string
        self.assertIn('target="Server=tcp:127.0.0.1,%d;' % self.good.port, body)
        self.assertPromtool(body)

    def test_modules(self):
        t = self.target(self.fallback)
        code, _, body = self.srv.probe(t, module="trusting")
        self.assertEqual(code, 200, body)
        self.assertEqual(sample(body, "tdsprobe_success"), 1)
        code, _, body = self.srv.probe(t, module="odbc")
        self.assertEqual(code, 200, body)
        self.assertEqual(sample(body, "tdsprobe_probe_info", handshake="certificate"), 1)
        self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="untrusted_chain"), 1)
        code, _, body = self.srv.probe(t, module="default")
        self.assertEqual(sample(body, "tdsprobe_success"), 0)
        code, _, body = self.srv.probe(t, module="nosuch")
        self.assertEqual((code, body), (400, "unknown module 'nosuch'\n"))

    def test_bad_targets(self):
        cases = {
            "/probe": "missing target",
            "/probe?target=": "missing target",
            "/probe?module=trusting": "missing target",
            "/probe?target=127.0.0.1:99999": "bad target",
            "/probe?target=a%zz": "bad %-escape",
            "/probe?target=a%0Ab": "control character",
            "/probe?target=a&target=b": "more than once",
            "/probe?" + urllib.parse.urlencode(
                {"target": "Server=127.0.0.1;Encrypt=True;ServerCertificate=/etc/passwd"}):
                "names a file",
            "/probe?target=" + "a" * 1100: "too long",
        }
        for path, words in cases.items():
            with self.subTest(path=path[:60]):
                code, ctype, body = self.srv.get(path)
                self.assertEqual(code, 400, body)
                self.assertIn(words, body)
                self.assertTrue(ctype.startswith("text/plain"))
                self.assertEqual(body.count("\n"), 1, "one line: %r" % body)

    def test_bad_requests(self):
        self.assertEqual(self.srv.get("/nope")[0], 404)
        self.assertEqual(self.srv.get("/probe/x?target=a")[0], 404)
        status = lambda raw: raw.split("\r\n", 1)[0]
        r = self.srv.raw(b"POST /probe?target=a HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status(r), "HTTP/1.1 405 Method Not Allowed")
        self.assertIn("\r\nAllow: GET\r\n", r)
        self.assertIn("\r\nConnection: close\r\n", r)
        for bad in (b"GET /\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n", b"GET x HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nno colon\r\n\r\n", b"GET / HTTP/1.1\r\n folded\r\n\r\n",
                    b"\r\n\r\n", b"GET /\x01 HTTP/1.1\r\n\r\n"):
            with self.subTest(bad=bad):
                self.assertEqual(status(self.srv.raw(bad)), "HTTP/1.1 400 Bad Request")
        big = b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"
        self.assertEqual(status(self.srv.raw(big)), "HTTP/1.1 413 Content Too Large")
        # Bare LF line ends are accepted (RFC 9112 §2.2), as from `printf ... | nc`.
        self.assertEqual(status(self.srv.raw(b"GET /metrics HTTP/1.0\n\n")), "HTTP/1.1 200 OK")

    def test_metrics_and_index(self):
        code, ctype, body = self.srv.get("/")
        self.assertEqual(code, 200)
        self.assertIn("/probe?target=", body)
        self.assertTrue(ctype.startswith("text/html"))
        self.srv.get("/nope")
        code, ctype, body = self.srv.get("/metrics")
        self.assertEqual(code, 200)
        self.assertGreaterEqual(sample(body, "tdsprobe_exporter_requests_total", code="404"), 1)
        self.assertGreaterEqual(sample(body, "tdsprobe_exporter_requests_total", code="200"), 1)
        self.assertEqual(sample(body, "tdsprobe_exporter_probes_in_flight"), 0)
        self.assertGreater(sample(body, "tdsprobe_exporter_uptime_seconds"), 0)
        self.assertPromtool(body)


class Lifecycle(ServeCase):
    """Disconnects, the concurrency limit and shutdown, against a server that never answers (a
    listening socket nobody accepts from: the TCP handshake completes, PRELOGIN goes unread)."""

    def setUp(self):
        self.hole = socket.socket()
        self.hole.bind(("127.0.0.1", 0))
        self.hole.listen(8)
        self.hole_target = "127.0.0.1,%d" % self.hole.getsockname()[1]
        self.good = FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        self.srv = Serve("--ca-file", CA, "--timeout", "2", "--max-concurrency", "1")

    def tearDown(self):
        if self.srv.proc.poll() is None:
            self.srv.stop()
            self.srv.cleanup()
        self.good.__exit__(None, None, None)
        self.hole.close()

    def start_scrape(self, target):
        s = socket.create_connection((self.srv.host, self.srv.port))
        s.sendall(b"GET /probe?target=%s HTTP/1.1\r\nHost: x\r\n\r\n" % target.encode())
        time.sleep(0.3)  # the exporter has read it and queued the probe
        return s

    def metric(self, name):
        return sample(self.srv.get("/metrics")[2], name)

    def test_disconnect_cancels_the_probe(self):
        # issue 11: a scraper that goes away mid-probe must not hold its --max-concurrency slot
        # until --timeout; the exporter cancels the probe (probe_engine_cancel) at once.
        self.start_scrape(self.hole_target).close()
        deadline = time.monotonic() + 1.5  # well inside the probe's 2 s --timeout
        while self.metric("tdsprobe_exporter_probes_abandoned_total") != 1:
            self.assertLess(time.monotonic(), deadline, "the abandoned probe was not cancelled")
            time.sleep(0.05)
        self.assertEqual(self.metric("tdsprobe_exporter_probes_in_flight"), 0)
        code, _, body = self.srv.probe("127.0.0.1,%d" % self.good.port)
        self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1), body)
        self.assertCleanExit(self.srv)

    def test_many_abandoned_scrapes_leave_room(self):
        # 8 scrapes abandoned one after another on the only slot: each is cancelled, so a real
        # scrape right after them gets its answer, not 503.
        for _ in range(8):
            self.start_scrape(self.hole_target).close()
        deadline = time.monotonic() + 1.5
        while self.metric("tdsprobe_exporter_probes_abandoned_total") != 8:
            self.assertLess(time.monotonic(), deadline, "abandoned probes were not cancelled")
            time.sleep(0.05)
        code, _, body = self.srv.probe("127.0.0.1,%d" % self.good.port)
        self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1), body)
        self.assertCleanExit(self.srv)

    def test_timeout_is_an_error_exposition(self):
        code, _, body = self.srv.probe(self.hole_target)
        self.assertEqual(code, 200, body)
        self.assertEqual(sample(body, "tdsprobe_success"), 0)
        self.assertEqual(sample(body, "tdsprobe_status_info", status="error"), 1)
        self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="timeout"), 1)
        self.assertPromtool(body)
        self.assertCleanExit(self.srv)

    def test_sigterm_with_probe_in_flight(self):
        s = self.start_scrape(self.hole_target)
        s.settimeout(10)
        # The scrape is dropped at once; the probe runs out its --timeout (2 s), then exit 0
        # with every handle closed (uv_loop_close == 0, else the status would be 1).
        t0 = time.monotonic()
        self.srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.recv(1024), b"")
        self.assertLess(time.monotonic() - t0, 1.5)
        s.close()
        # Not a second SIGTERM: with the handlers closed, that one ends the process at once.
        self.srv.proc.wait(10)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertCleanExit(self.srv)


class Flood:
    """n idle sockets to (host, port), from the source addresses in turn; each one the server
    closes is opened again at once. What an attacker (or a broken client) does to hold every
    connection slot. It runs in a process of its own, so that it does not starve the test's
    scrapes of the interpreter."""

    def __init__(self, host, port, n, sources=("127.0.0.1",)):
        self.args = ((host, port), n, tuple(sources))
        self.stopping = multiprocessing.Event()
        self.count = multiprocessing.Value("q", 0)
        self.proc = multiprocessing.Process(target=Flood.run, daemon=True,
                                            args=(*self.args, self.stopping, self.count))

    def start(self):
        self.proc.start()

    def stop(self):
        self.stopping.set()
        self.proc.join(20)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()

    @property
    def reconnects(self):
        return self.count.value

    @staticmethod
    def run(addr, n, sources, stopping, count):
        sel = selectors.DefaultSelector()

        def open_one(source):
            s = socket.socket()
            s.setblocking(False)
            s.bind((source, 0))
            s.connect_ex(addr)
            sel.register(s, selectors.EVENT_READ, source)

        for i in range(n):
            open_one(sources[i % len(sources)])
        while not stopping.is_set():
            for key, _ in sel.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if data:
                    continue  # a 408 on its way; the close follows
                sel.unregister(key.fileobj)
                key.fileobj.close()
                with count.get_lock():
                    count.value += 1
                open_one(key.data)
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise AssertionError("this test needs %d file descriptors; the hard limit is %d "
                                 "(ulimit -Hn)" % (need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


class HostileClients(ServeCase):
    """Idle sockets, a flood from one peer, slow heads: real scrapes keep being answered."""

    def setUp(self):
        self.good = FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL).__enter__()

    def tearDown(self):
        self.good.__exit__(None, None, None)

    def metric(self, srv, name, **labels):
        return sample(srv.get("/metrics")[2], name, **labels)

    def scrape(self, srv, path):
        """The status of GET path, or the error that ended it."""
        try:
            code, _, body = srv.get(path, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            return repr(e)
        if path.startswith("/probe") and sample(body, "tdsprobe_success") != 1:
            return body
        return code

    def scrapes_under_flood(self, sources):
        """Scrapes /metrics and a /probe for 8 s (past the 3 s head timeout, more than once)
        while 1,030 reconnecting idle sockets from sources hold the exporter; returns the
        scrapes' results (200, or what went wrong) and the exporter's metrics afterwards."""
        raise_fd_limit(2200)
        srv = self.serve("--ca-file", CA, "--timeout", "5")
        flood = Flood(srv.host, srv.port, 1030, sources)
        flood.start()
        results = []
        try:
            time.sleep(1)  # every socket connected, the exporter over its limits
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                results.append(self.scrape(srv, "/metrics"))
                results.append(self.scrape(srv, "/probe?target=127.0.0.1,%d" % self.good.port))
                time.sleep(0.2)
        finally:
            flood.stop()
        answered = results.count(200)
        print("\n%d scrapes under 1,030 reconnecting idle sockets from %d address(es): %d "
              "answered; the flood reconnected %d times" % (len(results), len(sources),
                                                           answered, flood.reconnects))
        self.assertGreater(flood.reconnects, 0, "the exporter never made room")
        metrics = srv.get("/metrics")[2]
        self.assertGreater(sample(metrics, "tdsprobe_exporter_connections_dropped_total",
                                  reason="evicted"), 0)
        deadline = time.monotonic() + 10  # the flood's sockets are closed: the server's go too
        while self.metric(srv, "tdsprobe_exporter_connections_open") > 1:
            self.assertLess(time.monotonic(), deadline, "connections left open")
            time.sleep(0.2)
        self.assertCleanExit(srv)
        return results

    def test_idle_sockets_do_not_lock_out_scrapes(self):
        # From ten other addresses (103 sockets each, under the per-peer limit, over the total
        # room together): the largest peers lose their idle sockets, the scraper never.
        sources = ["127.0.0.%d" % i for i in range(10, 20)]
        results = self.scrapes_under_flood(sources)
        if os.environ.get("ASAN_OPTIONS"):
            # under ASan on a loaded 2-core machine the scraper itself can stall between its
            # connect and its request (a bare Debian run lost 1 of 28); before the fix every
            # scrape failed
            self.assertGreaterEqual(results.count(200), 0.9 * len(results), results)
        else:
            self.assertEqual(results, [200] * len(results))

    def test_idle_sockets_from_the_scrapers_own_address(self):
        # The same address as the scraper: the flood is held to its per-peer limit and its
        # oldest idle sockets make room. A scrape is lost only when the scraper stalls between
        # its connect and its request for as long as the flood takes to cycle through that
        # limit (milliseconds, on a loaded machine); before, every scrape failed.
        results = self.scrapes_under_flood(["127.0.0.1"])
        self.assertGreaterEqual(results.count(200), 0.9 * len(results), results)

    def test_per_peer_limit(self):
        # --max-concurrency 4: a peer may hold 4 + 64 connections. Past that its oldest idle
        # ones are closed for new ones, once they have had a turn of the loop to be read in;
        # other peers are not touched. (Everything here happens well within the 3 s head
        # timeout.)
        srv = self.serve("--timeout", "5", "--max-concurrency", "4")
        limit = 4 + 64

        def connect(source):
            return socket.create_connection((srv.host, srv.port), source_address=(source, 0))

        others = [connect("127.0.0.3") for _ in range(5)]
        mine = [connect("127.0.0.2") for _ in range(limit + 10)]
        # A scrape from elsewhere turns the loop over: the peer's connections are settled (a
        # connection is not closed for room before the loop has had a whole poll to read it).
        self.assertEqual(srv.get("/metrics")[0], 200)
        mine.append(connect("127.0.0.2"))  # the peer is brought back to its limit
        time.sleep(0.3)
        body = srv.get("/metrics")[2]
        self.assertEqual(sample(body, "tdsprobe_exporter_connections_open"), limit + 5 + 1)
        self.assertEqual(sample(body, "tdsprobe_exporter_connections_dropped_total",
                                reason="evicted"), 11)
        self.assertEqual([i for i, s in enumerate(mine) if self.evicted(s)], list(range(11)),
                         "the peer's 11 oldest, and only them")
        self.assertEqual([s for s in others if self.evicted(s)], [])
        # the peer at its limit still gets its scrape answered: an idle socket makes room
        s = connect("127.0.0.2")
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(10)
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 OK"))
        s.close()
        self.assertEqual(self.metric(srv, "tdsprobe_exporter_connections_dropped_total",
                                     reason="evicted"), 12)
        for s in others + mine:
            s.close()
        self.assertCleanExit(srv)

    def evicted(self, s):
        """Closed by the server without an answer (a 408 would be an answer)."""
        s.setblocking(False)
        try:
            return s.recv(4096) == b""
        except BlockingIOError:
            return False
        except ConnectionResetError:
            return True
        finally:
            s.setblocking(True)

    def test_slow_head_gets_408(self):
        srv = self.serve("--timeout", "5")
        try:
            s = socket.create_connection((srv.host, srv.port))
            s.sendall(b"GET /metrics HTTP/1.1\r\n")  # and nothing more
            s.settimeout(15)
            t0 = time.monotonic()
            answer = s.recv(4096)
            self.assertTrue(answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer)
            self.assertLess(time.monotonic() - t0, 10, "the head timeout is a few seconds")
            s.close()
        finally:
            self.assertCleanExit(srv)


class AllowTargets(ServeCase):
    """--allow-targets and a module's allow_targets: 403 before any packet, or the probe."""

    def setUp(self):
        self.hole = socket.socket()  # a target that counts connection attempts
        self.hole.bind(("127.0.0.1", 0))
        self.hole.listen(16)
        self.hole.setblocking(False)
        self.hole_port = self.hole.getsockname()[1]
        self.good = FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        self.tmp = tempfile.mkdtemp(prefix="serve-allow-")

    def tearDown(self):
        self.good.__exit__(None, None, None)
        self.hole.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def hole_connections(self):
        n = 0
        while True:
            try:
                conn, _ = self.hole.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1

    def assertForbidden(self, srv, target, *words, **params):
        code, ctype, body = srv.probe(target, **params)
        self.assertEqual(code, 403, body)
        self.assertTrue(ctype.startswith("text/plain"))
        for w in words:
            self.assertIn(w, body)
        self.assertEqual(body.count("\n"), 1)
        return body

    def test_refusals_send_nothing(self):
        srv = self.serve("--ca-file", CA, "--allow-targets",
                         "10.0.0.0/8, 2001:db8::/32, *.example.com")
        try:
            hole = "127.0.0.1,%d" % self.hole_port
            self.assertForbidden(srv, hole, "target host 127.0.0.1 is outside --allow-targets")
            self.assertForbidden(srv, "[::1]:%d" % self.hole_port, "::1 is outside")
            # a name no glob matches, resolving outside: 127.1 is 127.0.0.1 to getaddrinfo
            self.assertForbidden(srv, "127.1,%d" % self.hole_port,
                                 "target host 127.1 resolves to 127.0.0.1, outside "
                                 "--allow-targets")
            body = self.assertForbidden(srv, "localhost,%d" % self.hole_port, "localhost")
            self.assertTrue("resolves to" in body or "could not be resolved" in body, body)
            cs = "Server=tcp:127.0.0.1,%d;Encrypt=True;Password=x" % self.hole_port
            self.assertForbidden(srv, cs, "127.0.0.1 is outside")
            self.assertForbidden(srv, "nosuch.invalid,%d" % self.hole_port, "nosuch.invalid")
            time.sleep(0.5)
            self.assertEqual(self.hole_connections(), 0, "a refused target was connected to")
            self.assertEqual(sample(srv.get("/metrics")[2], "tdsprobe_exporter_requests_total",
                                    code="403"), 6)
        finally:
            self.assertCleanExit(srv)

    def test_glob_only_list(self):
        srv = self.serve("--allow-targets", "*.example.com,db?.corp")
        try:
            # no networks: a name no glob matches is refused without a lookup
            self.assertForbidden(srv, "db1.example.org,%d" % self.hole_port,
                                 "db1.example.org is outside --allow-targets")
            self.assertForbidden(srv, "db10.corp", "db10.corp is outside")
            self.assertForbidden(srv, "127.0.0.1,%d" % self.hole_port, "127.0.0.1 is outside")
            self.assertEqual(self.hole_connections(), 0)
        finally:
            self.assertCleanExit(srv)

    def test_allowed_targets_are_probed(self):
        conf = os.path.join(self.tmp, "modules.conf")
        with open(conf, "w") as f:
            f.write("[module lab]\nallow_targets = 127.0.0.0/8\n")
        srv = self.serve("--ca-file", CA, "--allow-targets", "127.0.0.0/8,::1,*.example.com",
                    "--config", conf)
        port = self.good.port
        try:
            code, _, body = srv.probe("127.0.0.1,%d" % port)  # an address inside
            self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1), body)
            # a name no glob matches, every address inside: probed (the name does not match the
            # certificate, which is beside the point)
            code, _, body = srv.probe("127.1,%d" % port)
            self.assertEqual(code, 200, body)
            self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="name_mismatch"), 1)
            self.good.wait_outcome(2)
            code, _, body = srv.probe("127.0.0.1,%d" % port, module="lab")
            self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1), body)
        finally:
            self.assertCleanExit(srv)

    def test_module_list_replaces_the_command_line(self):
        conf = os.path.join(self.tmp, "modules.conf")
        with open(conf, "w") as f:
            f.write("[module lab]\nallow_targets = 127.0.0.0/8\n[module other]\ndriver = jdbc\n")
        srv = self.serve("--ca-file", CA, "--allow-targets", "10.0.0.0/8", "--config", conf)
        target = "127.0.0.1,%d" % self.good.port
        try:
            self.assertForbidden(srv, target, "outside --allow-targets")
            self.assertForbidden(srv, target, "outside allow_targets of module 'other'",
                                 module="other")
            code, _, body = srv.probe(target, module="lab")
            self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1), body)
        finally:
            self.assertCleanExit(srv)

    def test_warns_when_open_to_all(self):
        srv = self.serve("--listen", "0.0.0.0:0")
        time.sleep(0.2)
        self.assertIn("warning: listening on 0.0.0.0:0 with no --allow-targets", srv.stderr())
        self.assertCleanExit(srv)
        srv = self.serve("--listen", "0.0.0.0:0", "--allow-targets", "10.0.0.0/8")
        time.sleep(0.2)
        self.assertNotIn("warning", srv.stderr())
        self.assertCleanExit(srv)
        srv = self.serve()  # loopback: nobody else can reach it
        time.sleep(0.2)
        self.assertNotIn("warning", srv.stderr())
        self.assertCleanExit(srv)

    def test_bad_lists_are_usage_errors(self):
        for bad in ("", "10.0.0.1/8", "10.0.0.0/33", "db 1", "a,,b"):
            with self.subTest(list=bad):
                p = subprocess.run([TDSPROBE, "serve", "--allow-targets", bad],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn("tdsprobe serve: --allow-targets: allow list '%s': " % bad,
                              p.stderr)
        conf = os.path.join(self.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[module m]\nallow_targets = 300.0.0.0/8\n")
        p = subprocess.run([TDSPROBE, "serve", "--config", conf], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("%s:2: allow list '300.0.0.0/8'" % conf, p.stderr)


PROM_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mssql_tls
    metrics_path: /probe
    static_configs:
      - targets: [%(targets)s]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:%(serve_port)d
"""


class RealPrometheus(ServeCase):
    """The multi-target exporter pattern, end to end, with Prometheus itself."""

    def test_prometheus_scrapes_both_targets(self):
        tmp = tempfile.mkdtemp(prefix="serve-prom-")
        with FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL) as good, \
                FakeSQL({}, certs_dir=CERTS, binary=FAKESQL) as fallback:
            srv = Serve("--ca-file", CA, "--timeout", "1")
            want = {"127.0.0.1:%d" % good.port: "1", "127.0.0.1,%d" % fallback.port: "0"}
            try:
                got = self.run_prometheus(tmp, srv.port, want)
            finally:
                metrics = srv.get("/metrics")[2]
                self.assertCleanExit(srv)
                shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(got, want)
        self.assertGreaterEqual(sample(metrics, "tdsprobe_exporter_requests_total", code="200"),
                                2)

    def run_prometheus(self, tmp, serve_port, want):
        """Runs Prometheus until its API returns tdsprobe_success for every target in want (at
        most 30 s); returns {instance: value} as last seen."""
        conf = os.path.join(tmp, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(PROM_CONFIG % {"targets": ", ".join('"%s"' % t for t in want),
                                   "serve_port": serve_port})
        check = subprocess.run([PROMTOOL, "check", "config", conf], capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        with prometheus(conf, tmp) as (prom, port):
            got = self.poll_query(port, want, prom)
        print("\nPrometheus /api/v1/query?query=tdsprobe_success:\n" + self.last_json)
        if got != want:
            with open(os.path.join(tmp, "prometheus.log")) as f:
                print(f.read()[-4000:])
        return got

    def poll_query(self, port, want, prom):
        url = "http://127.0.0.1:%d/api/v1/query?query=tdsprobe_success" % port
        deadline = time.monotonic() + 30
        got, self.last_json = {}, ""
        while time.monotonic() < deadline and got != want and prom.poll() is None:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    self.last_json = r.read().decode()
            except (urllib.error.URLError, ConnectionError):
                continue  # not up yet
            result = json.loads(self.last_json)["data"]["result"]
            got = {x["metric"]["instance"]: x["value"][1] for x in result}
            for x in result:  # relabelled: instance is the target, job the scrape job
                self.assertEqual(x["metric"]["job"], "mssql_tls")
                self.assertEqual(x["metric"]["target"], x["metric"]["instance"])
        return got


if __name__ == "__main__":
    unittest.main()
