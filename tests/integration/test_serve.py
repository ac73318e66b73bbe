#!/usr/bin/env python3
"""Integration tests for `tdsprobe serve`, the Prometheus exporter (probe/serve/probe_serve.c).

Exposition: scrapes of /probe against fakesql (a good chain, SQL Server's self-signed fallback),
a connection string, a module, every body through `promtool check metrics`; bad requests.
Lifecycle: a scraper that disconnects mid-probe, 503 at --max-concurrency, SIGTERM with a probe
in flight. Prometheus: a real Prometheus server scrapes the exporter with the multi-target
relabelling of samples/monitoring/prometheus.yml and its query API returns both targets.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest);
PROMTOOL and PROMETHEUS default to the Debian prometheus package's binaries.
"""
import contextlib
import json
import os
import re
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

    def test_disconnect_busy_then_recover(self):
        self.start_scrape(self.hole_target).close()  # the scraper goes away mid-probe
        self.assertEqual(self.metric("tdsprobe_exporter_probes_in_flight"), 1)
        code, _, body = self.srv.probe("127.0.0.1,%d" % self.good.port)
        self.assertEqual(code, 503, body)  # the abandoned probe still holds the only slot
        self.assertIn("--max-concurrency", body)
        deadline = time.monotonic() + 6
        while self.metric("tdsprobe_exporter_probes_abandoned_total") != 1:
            self.assertLess(time.monotonic(), deadline, "the abandoned result never came")
            time.sleep(0.2)
        self.assertEqual(self.metric("tdsprobe_exporter_probes_in_flight"), 0)
        code, _, body = self.srv.probe("127.0.0.1,%d" % self.good.port)
        self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 1))
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
