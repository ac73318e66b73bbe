#!/usr/bin/env python3
"""`tdsprobe serve` as blackbox_exporter users expect it (issue 12 §2), against fakesql.

ScrapeTimeout: a target that goes silent after the connect, scraped with
X-Prometheus-Scrape-Timeout-Seconds: 2 by an exporter whose --timeout is 10, answers 200 with
tdsprobe_success 0 (diagnosis timeout) inside the 2 s; an unparsable header is 500 with the
reason; a real Prometheus with scrape_timeout 2s sees up 1 and tdsprobe_success 0.
Debug: debug=true is text/plain with the text report, the metrics (promtool-clean) and the module.
BuildInfo: tdsprobe_build_info on /metrics (promtool check metrics), `serve --version`.
Reload: SIGHUP and POST /-/reload with a good file (a new module works) and a bad one (the
running modules stay, stderr and the 500 say why, tdsprobe_exporter_config_last_reload_successful
0); a probe in flight keeps its module across a reload that removes it.
ModuleKeys: each run key changes what the probe does - timeout, protocols, ciphers,
require_tls12_only, ignore, warn_days, crit_days - beside a client key from the option table.

Environment as test_serve.py (TDSPROBE, FAKESQL, TDSPROBE_CERTS, PROMTOOL, PROMETHEUS).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from fakesql import FakeSQL
from test_serve import (CA, CERTS, FAKESQL, PROMTOOL, TDSPROBE, ServeCase, prometheus,
                        sample)

HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
SLOW = {"cert": "good", "stall": "prelogin"}      # answers nothing after the connect
OLD_TLS = {"cert": "good", "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}


def get(srv, path, headers=None, method="GET", timeout=30):
    """(status, content type, body, seconds) of one request."""
    req = urllib.request.Request(srv.base + path, headers=headers or {}, method=method)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers["Content-Type"], r.read().decode(), time.monotonic() - t0
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode(), time.monotonic() - t0


def probe_path(target, **params):
    return "/probe?" + urllib.parse.urlencode({"target": target, **params})


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class ScrapeTimeout(ServeCase):
    def test_slow_target_is_success_0_within_the_scrape_timeout(self):
        with FakeSQL(SLOW, certs_dir=CERTS, binary=FAKESQL) as slow:
            srv = self.serve("--ca-file", CA, "--timeout", "10")
            code, ctype, body, took = get(srv, probe_path("127.0.0.1,%d" % slow.port),
                                          {HEADER: "2"})
            self.assertEqual(code, 200, body)
            self.assertLess(took, 2.0, "answered after the scraper gave up")
            self.assertGreater(took, 1.2, "the probe did not use the time it had")
            self.assertEqual(sample(body, "tdsprobe_success"), 0)
            self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="timeout"), 1)
            self.assertPromtool(body)
            # A longer scrape timeout than the module's: the module's (here 1 s) holds.
            srv2 = self.serve("--ca-file", CA, "--timeout", "1")
            code, _, body, took = get(srv2, probe_path("127.0.0.1,%d" % slow.port),
                                      {HEADER: "30"})
            self.assertEqual((code, sample(body, "tdsprobe_success")), (200, 0), body)
            self.assertLess(took, 2.0)
            self.assertCleanExit(srv2)
            self.assertCleanExit(srv)

    def test_unparsable_header_is_500_with_the_reason(self):
        srv = self.serve("--ca-file", CA)
        for bad in ("abc", "-1", "1e3", "nan", "1.", ".5", "10s"):
            with self.subTest(bad=bad):
                code, ctype, body, _ = get(srv, probe_path("127.0.0.1,1"), {HEADER: bad})
                self.assertEqual(code, 500, body)
                self.assertIn("cannot parse the %s header: '%s'" % (HEADER, bad), body)
                self.assertTrue(ctype.startswith("text/plain"))
        raw = srv.raw(b"GET /probe?target=127.0.0.1,1 HTTP/1.1\r\n%s: 1\r\n%s: 2\r\n\r\n"
                      % (HEADER.encode(), HEADER.encode()))
        self.assertTrue(raw.startswith("HTTP/1.1 500 "), raw)
        self.assertIn("is given more than once", raw)
        self.assertCleanExit(srv)

    def test_real_prometheus_sees_up_1_and_success_0(self):
        tmp = tempfile.mkdtemp(prefix="serve-scrape-timeout-")
        self.addCleanup(shutil.rmtree, tmp, True)
        with FakeSQL(SLOW, certs_dir=CERTS, binary=FAKESQL) as slow:
            srv = self.serve("--ca-file", CA, "--timeout", "10")
            conf = os.path.join(tmp, "prometheus.yml")
            write(conf, PROM_SLOW % {"target": "127.0.0.1,%d" % slow.port, "port": srv.port})
            with prometheus(conf, tmp) as (prom, port):
                got = self.poll(port, prom)
            if got != {"up": "1", "tdsprobe_success": "0"}:
                with open(os.path.join(tmp, "prometheus.log")) as f:
                    print(f.read()[-3000:])
            self.assertEqual(got, {"up": "1", "tdsprobe_success": "0"})
            self.assertCleanExit(srv)

    def poll(self, port, prom):
        got = {}
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and prom.poll() is None and \
                got != {"up": "1", "tdsprobe_success": "0"}:
            time.sleep(0.5)
            for q in ("up", "tdsprobe_success"):
                url = "http://127.0.0.1:%d/api/v1/query?query=%s{job=\"slow\"}" % (port, q)
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        result = json.loads(r.read().decode())["data"]["result"]
                except (urllib.error.URLError, ConnectionError):
                    continue
                if result:
                    got[q] = result[0]["value"][1]
        print("\nPrometheus up / tdsprobe_success with scrape_timeout 2s:", got)
        return got


PROM_SLOW = """global:
  scrape_interval: 3s
  scrape_timeout: 2s
scrape_configs:
  - job_name: slow
    metrics_path: /probe
    static_configs:
      - targets: ["%(target)s"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - target_label: __address__
        replacement: 127.0.0.1:%(port)d
"""


class Debug(ServeCase):
    def test_debug_is_the_text_report_metrics_and_module(self):
        modules = os.path.join(tempfile.mkdtemp(prefix="serve-debug-"), "modules.conf")
        self.addCleanup(shutil.rmtree, os.path.dirname(modules), True)
        write(modules, "[module audit]\nprotocols = true\nignore = weak_key\n")
        with FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL) as good:
            srv = self.serve("--ca-file", CA, "--config", modules)
            target = "127.0.0.1,%d" % good.port
            code, ctype, body, _ = get(srv, probe_path(target, module="audit", debug="true"),
                                       {HEADER: "60"})
            self.assertEqual(code, 200, body)
            self.assertTrue(ctype.startswith("text/plain"), ctype)
            self.assertNotIn("version=0.0.4", ctype)
            report, rest = body.split("\n\n\nMetrics that would have been returned:\n")
            metrics, module = rest.split("\n\n\nModule configuration:\n")
            # The text the CLI prints for the same target.
            cli = subprocess.run([TDSPROBE, "--ca-file", CA, "--no-color", target],
                                 capture_output=True, text=True, timeout=30)
            self.assertIn("Verdict    OK", report)
            for line in cli.stdout.splitlines():
                if line.startswith(("Target", "Client", "Verdict")):
                    self.assertIn(line, report)
            self.assertEqual(sample(metrics, "tdsprobe_success"), 1)
            self.assertIsNotNone(sample(metrics, "tdsprobe_tls_protocol_accepted",
                                        version="TLSv1.2"))
            self.assertIsNotNone(sample(metrics, "tdsprobe_probe_duration_seconds"))
            self.assertPromtool(metrics)
            self.assertIn("[module audit]\n", module)
            self.assertIn("protocols = true\n", module)
            self.assertIn("ignore = weak_key\n", module)
            # debug=false (or anything but true) is the exposition.
            code, ctype, body, _ = get(srv, probe_path(target, debug="false"))
            self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
            self.assertTrue(body.startswith("# HELP tdsprobe_success"), body[:80])
            self.assertCleanExit(srv)


class BuildInfo(ServeCase):
    def test_build_info_and_version(self):
        p = subprocess.run([TDSPROBE, "serve", "--version"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        m = re.fullmatch(r"tdsprobe (\d+\.\d+\.\d+\S*)\n", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        cli = subprocess.run([TDSPROBE, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(cli.stdout, p.stdout)
        srv = self.serve()
        code, _, body, _ = get(srv, "/metrics")
        self.assertEqual(code, 200)
        self.assertPromtool(body)
        self.assertIn("# TYPE tdsprobe_build_info gauge\n", body)
        line = [x for x in body.splitlines() if x.startswith("tdsprobe_build_info{")]
        self.assertEqual(len(line), 1, body)
        self.assertRegex(line[0], r'^tdsprobe_build_info\{version="%s",mbedtls="2\.\d+\.\d+",'
                                  r'libuv="1\.\d+\.\d+"\} 1$' % re.escape(m.group(1)))
        self.assertCleanExit(srv)


GOOD_MODULES = "[module trusting]\ntrust_server_certificate = true\n"


class Reload(ServeCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="serve-reload-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.conf = os.path.join(self.tmp, "modules.conf")
        write(self.conf, GOOD_MODULES)
        self.fallback = FakeSQL({}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        self.addCleanup(self.fallback.__exit__, None, None, None)
        self.target = "127.0.0.1,%d" % self.fallback.port
        self.srv = self.serve("--ca-file", CA, "--config", self.conf)

    def success(self, module):
        code, _, body, _ = get(self.srv, probe_path(self.target, module=module))
        return code, sample(body, "tdsprobe_success") if code == 200 else body

    def reloaded(self):
        return sample(get(self.srv, "/metrics")[2],
                      "tdsprobe_exporter_config_last_reload_successful")

    def wait_stderr(self, words):
        deadline = time.monotonic() + 5
        while words not in self.srv.stderr():
            self.assertLess(time.monotonic(), deadline, self.srv.stderr())
            time.sleep(0.05)

    def test_sighup_good_then_bad_file(self):
        self.assertEqual(self.success("trusting"), (200, 1))
        self.assertEqual(self.success("odbc")[0], 400)
        write(self.conf, GOOD_MODULES + "[module odbc]\ndriver = odbc18\n"
              "trust_server_certificate = true\n")
        self.srv.proc.send_signal(signal.SIGHUP)
        self.wait_stderr("reloaded %s: 2 modules" % self.conf)
        self.assertEqual(self.success("odbc"), (200, 1))
        self.assertEqual(self.reloaded(), 1)
        write(self.conf, "[module trusting]\ntrust_server_certificate = maybe\n")
        self.srv.proc.send_signal(signal.SIGHUP)
        self.wait_stderr("reload failed, the running modules stay: %s:2: "
                         "trust_server_certificate takes true or false, not 'maybe'" % self.conf)
        self.assertEqual(self.success("odbc"), (200, 1))  # the running configuration
        self.assertEqual(self.success("trusting"), (200, 1))
        self.assertEqual(self.reloaded(), 0)
        os.unlink(self.conf)
        self.srv.proc.send_signal(signal.SIGHUP)
        self.wait_stderr("cannot open --config '%s'" % self.conf)
        self.assertEqual(self.success("odbc"), (200, 1))
        self.assertCleanExit(self.srv)

    def test_post_reload(self):
        code, _, body, _ = get(self.srv, "/-/reload", method="POST")
        self.assertEqual((code, body), (200, "reloaded\n"))
        write(self.conf, "[module x]\nnosuch = 1\n")
        code, _, body, _ = get(self.srv, "/-/reload", method="POST")
        self.assertEqual(code, 500)
        self.assertIn("reload failed, the running modules stay: %s:2: " % self.conf, body)
        self.assertEqual(self.success("trusting"), (200, 1))
        self.assertEqual(self.reloaded(), 0)
        code, _, body, _ = get(self.srv, "/-/reload")
        self.assertEqual(code, 405)
        raw = self.srv.raw(b"GET /-/reload HTTP/1.1\r\n\r\n")
        self.assertIn("\r\nAllow: POST\r\n", raw)
        self.assertCleanExit(self.srv)

    def test_probe_in_flight_keeps_its_module(self):
        with FakeSQL(SLOW, certs_dir=CERTS, binary=FAKESQL) as slow:
            write(self.conf, "[module patient]\ntimeout = 2\n")
            self.srv.proc.send_signal(signal.SIGHUP)
            self.wait_stderr("reloaded %s: 1 module" % self.conf)
            out = {}
            t = threading.Thread(target=lambda: out.update(r=get(
                self.srv, probe_path("127.0.0.1,%d" % slow.port, module="patient"))))
            t.start()
            time.sleep(0.5)
            write(self.conf, GOOD_MODULES)  # "patient" is gone
            self.srv.proc.send_signal(signal.SIGHUP)
            self.wait_stderr("reloaded %s: 1 module\n" % self.conf)
            t.join(10)
            code, _, body, took = out["r"]
            self.assertEqual(code, 200, body)
            self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="timeout"), 1)
            self.assertGreater(took, 1.8)  # its own 2 s, not cut short
            self.assertEqual(self.success("patient")[0], 400)
        self.assertCleanExit(self.srv)


class ModuleKeys(ServeCase):
    """Each run key against the same target, with and without it."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="serve-keys-")
        cls.conf = os.path.join(cls.tmp, "modules.conf")
        write(cls.conf, """[module quick]
timeout = 0.5
[module protocols]
protocols = true
[module ciphers]
ciphers = true
[module tls12]
require_tls12_only = true
[module tolerant]
protocols = true
ignore = old_tls_accepted
[module warn]
warn_days = 5000
[module crit]
warn_days = 5000
crit_days = 4000
[module client]
tls_max = 1.1
protocols = true
""")
        cls.old = FakeSQL(OLD_TLS, certs_dir=CERTS, binary=FAKESQL).__enter__()
        cls.slow = FakeSQL(SLOW, certs_dir=CERTS, binary=FAKESQL).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.old.__exit__(None, None, None)
        cls.slow.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.srv = self.serve("--ca-file", CA, "--config", self.conf, "--timeout", "5")
        self.target = "127.0.0.1,%d" % self.old.port

    def tearDown(self):
        self.assertCleanExit(self.srv)

    def scrape(self, module=None, target=None):
        params = {"module": module} if module else {}
        code, _, body, took = get(self.srv, probe_path(target or self.target, **params))
        self.assertEqual(code, 200, body)
        self.assertPromtool(body)
        return body, took

    def test_timeout(self):
        slow = "127.0.0.1,%d" % self.slow.port
        body, took = self.scrape("quick", slow)
        self.assertEqual(sample(body, "tdsprobe_diagnosis_info", code="timeout"), 1)
        self.assertLess(took, 1.5)
        body, took = self.scrape(None, slow)
        self.assertGreater(took, 4.5)  # --timeout 5

    def test_protocols_and_ciphers(self):
        body, _ = self.scrape()
        self.assertNotIn("tdsprobe_tls_protocol_accepted", body)
        self.assertNotIn("tdsprobe_tls_cipher_accepted", body)
        body, _ = self.scrape("protocols")
        self.assertEqual(sample(body, "tdsprobe_tls_protocol_accepted", version="TLSv1.0"), 1)
        self.assertEqual(sample(body, "tdsprobe_tls12_enforced"), 0)
        self.assertNotIn("tdsprobe_tls_cipher_accepted", body)
        body, _ = self.scrape("ciphers")
        self.assertEqual(sample(body, "tdsprobe_tls_cipher_accepted", version="TLSv1.2",
                                cipher="TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), 1)

    def test_policy(self):
        body, _ = self.scrape()
        self.assertEqual(sample(body, "tdsprobe_policy_state"), 0)
        body, _ = self.scrape("protocols")  # old_tls_accepted is a warning finding
        self.assertEqual(sample(body, "tdsprobe_finding_info", code="old_tls_accepted"), 1)
        self.assertEqual(sample(body, "tdsprobe_policy_state"), 1)
        body, _ = self.scrape("tolerant")
        self.assertEqual(sample(body, "tdsprobe_finding_info", code="old_tls_accepted"), 1)
        self.assertEqual(sample(body, "tdsprobe_policy_state"), 0)
        body, _ = self.scrape("tls12")
        self.assertEqual(sample(body, "tdsprobe_policy_state"), 2)
        self.assertEqual(sample(body, "tdsprobe_success"), 1)  # the client still connects

    def test_expiry_days(self):
        self.assertEqual(sample(self.scrape("warn")[0], "tdsprobe_policy_state"), 1)
        self.assertEqual(sample(self.scrape("crit")[0], "tdsprobe_policy_state"), 2)

    def test_client_key_beside_run_keys(self):
        body, _ = self.scrape("client")
        self.assertEqual(sample(body, "tdsprobe_tls_version_info", version="TLSv1.1"), 1)
        self.assertEqual(sample(body, "tdsprobe_tls_protocol_accepted", version="TLSv1.2"), 1)


if __name__ == "__main__":
    unittest.main()
