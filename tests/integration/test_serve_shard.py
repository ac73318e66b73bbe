#!/usr/bin/env python3
"""Prometheus as the distributed engine: samples/monitoring/prometheus-sharded.yml, run by a real
Prometheus against two `tdsprobe serve` exporters and a fleet of fakesql servers.

The sample is used as shipped, with only its addresses and intervals changed: the exporters'
addresses, the target list (mssql-targets.yml, file_sd) and 1 s scrapes. The test shows that
each target is probed by exactly one exporter, the one Prometheus's hashmod picks:
  - Prometheus's own view (/api/v1/targets): each target is active in exactly one shard job,
    with that shard's exporter in its scrape URL, and dropped by the other;
  - the hashmod shard computed here independently (MD5 of the target, its last 8 bytes as a
    big-endian integer, modulo 2, as Prometheus's relabel.go does) is that job's shard;
  - the stored series: one tdsprobe_success per target, labelled with the exporter that answered
    it, job="mssql_tls", with the value the target's certificate calls for (1 good, 0 the
    self-signed fallback), so the probe really ran;
  - each exporter's /metrics: it answered at least its own shard's scrapes.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PROMTOOL, PROMETHEUS, PYTHONPATH=tests/lib.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from fakesql import FakeSQL
from test_serve import CA, CERTS, FAKESQL, PROMTOOL, Serve, ServeCase, prometheus, sample

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples",
                       "monitoring")
EXPORTERS = ["tdsprobe-0.example.com:9717", "tdsprobe-1.example.com:9717"]


def hashmod(value, modulus):
    """Prometheus's hashmod relabel action (model/relabel/relabel.go)."""
    digest = hashlib.md5(value.encode()).digest()
    return int.from_bytes(digest[8:], "big") % modulus


def spellings(port):
    """Ways to write one server as a target; each is a target of its own for Prometheus. All
    name the address itself: a host name would make the verdict depend on a resolver (a bare
    debootstrap has no /etc/hosts) and on the certificate's names. After the three short forms
    come ADO.NET connection strings that differ only in Application Name, which the probe
    ignores: as many as the hash needs, so the shards' split never rests on the ports' luck (with
    three spellings per server, all six fell in one shard once in 32 runs)."""
    yield from ("127.0.0.1,%d" % port, "127.0.0.1:%d" % port, "tcp:127.0.0.1,%d" % port)
    for k in range(64):
        yield "Server=tcp:127.0.0.1,%d;Application Name=shard-test-%d" % (port, k)


class ShardedPrometheus(ServeCase):
    def setUp(self):
        # Cleanups run last-in first-out, also when a later step of setUp fails.
        self.tmp = tempfile.mkdtemp(prefix="serve-shard-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.servers = []
        for config in ({"cert": "good"}, {}):
            self.servers.append(FakeSQL(config, certs_dir=CERTS, binary=FAKESQL).__enter__())
            self.addCleanup(self.servers[-1].__exit__, None, None, None)
        self.exporters = []
        for _ in EXPORTERS:
            self.exporters.append(Serve("--ca-file", CA, "--timeout", "1"))
            self.addCleanup(self.assertCleanExit, self.exporters[-1])

    def fleet(self):
        """{target: expected tdsprobe_success}: both servers under several spellings, at least
        two targets in each shard (more spellings until the hash gives both shards two)."""
        good, fallback = (spellings(s.port) for s in self.servers)
        want = {}
        for g, f in zip(good, fallback):
            want[g], want[f] = "1", "0"
            shards = [hashmod(t, 2) for t in want]
            if len(want) >= 4 and min(shards.count(0), shards.count(1)) >= 2:
                return want
        self.fail("128 spellings and one shard still empty: %s" % sorted(want))

    def write_config(self, targets):
        with open(os.path.join(SAMPLES, "prometheus-sharded.yml")) as f:
            conf = f.read()
        for name, srv in zip(EXPORTERS, self.exporters):
            self.assertIn(name, conf)
            conf = conf.replace(name, "127.0.0.1:%d" % srv.port)
        for old, new in (("scrape_interval: 1m", "scrape_interval: 1s"),
                         ("evaluation_interval: 1m", "evaluation_interval: 1s"),
                         ("scrape_timeout: 15s", "scrape_timeout: 1s")):
            self.assertIn(old, conf)
            conf = conf.replace(old, new)
        path = os.path.join(self.tmp, "prometheus.yml")
        with open(path, "w") as f:
            f.write(conf)
        shutil.copy(os.path.join(SAMPLES, "prometheus-rules.yml"), self.tmp)
        with open(os.path.join(self.tmp, "mssql-targets.yml"), "w") as f:
            f.write("- targets: [%s]\n" % ", ".join(json.dumps(t) for t in targets))
        check = subprocess.run([PROMTOOL, "check", "config", path], capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        return path

    def test_each_target_probed_by_exactly_one_exporter(self):
        want = self.fleet()
        conf = self.write_config(want)
        with prometheus(conf, self.tmp) as (prom, port):
            api = "http://127.0.0.1:%d/api/v1/" % port
            series = self.poll(api + "query?query=tdsprobe_success", want, prom)
            targets = self.query(api + "targets?state=any")
        if {s["metric"]["instance"]: s["value"][1] for s in series} != want:
            with open(os.path.join(self.tmp, "prometheus.log")) as f:
                print(f.read()[-4000:])
        self.check_series(series, want)
        self.check_target_pools(targets, want)
        self.check_exporters(want)

    def check_series(self, series, want):
        got, by_exporter = {}, {}
        for s in series:
            m = s["metric"]
            got.setdefault(m["instance"], []).append(s["value"][1])
            self.assertEqual(m["job"], "mssql_tls")
            self.assertEqual(m["target"], m["instance"])
            shard = hashmod(m["instance"], 2)
            self.assertEqual(m["exporter"], "127.0.0.1:%d" % self.exporters[shard].port,
                             "%s answered by the wrong exporter" % m["instance"])
            by_exporter.setdefault(m["exporter"], []).append(m["instance"])
        # One series per target (no target twice), every value what the probe must find.
        self.assertEqual({t: v for t, v in got.items()}, {t: [v] for t, v in want.items()})
        self.assertEqual(len(by_exporter), 2, "both exporters probe: %s" % by_exporter)
        print("\nshards:", json.dumps(by_exporter, indent=1, sort_keys=True))

    def check_target_pools(self, targets, want):
        active, dropped = {}, {}
        for t in targets["data"]["activeTargets"]:
            if t["scrapePool"].startswith("mssql_tls_shard"):
                active.setdefault(t["labels"]["instance"], []).append(t)
        for t in targets["data"]["droppedTargets"]:
            addr = t["discoveredLabels"]["__address__"]
            dropped.setdefault(addr, []).append(t["discoveredLabels"]["job"])
        self.assertEqual(set(active), set(want))
        for target in want:
            shard = hashmod(target, 2)
            (t,) = active[target]  # active in exactly one shard job
            self.assertEqual(t["scrapePool"], "mssql_tls_shard%d" % shard)
            self.assertTrue(t["scrapeUrl"].startswith(
                "http://127.0.0.1:%d/probe?" % self.exporters[shard].port), t["scrapeUrl"])
            self.assertEqual(t["health"], "up", t)
            self.assertEqual(dropped.get(target), ["mssql_tls_shard%d" % (1 - shard)])

    def check_exporters(self, want):
        for shard, srv in enumerate(self.exporters):
            mine = [t for t in want if hashmod(t, 2) == shard]
            body = srv.get("/metrics")[2]
            answered = sample(body, "tdsprobe_exporter_requests_total", code="200") or 0
            self.assertGreaterEqual(answered, len(mine), body)

    def query(self, url):
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read().decode())

    def poll(self, url, want, prom):
        """The query's result once every target in want has its value (at most 40 s)."""
        deadline = time.monotonic() + 40
        result = []
        while time.monotonic() < deadline and prom.poll() is None:
            time.sleep(0.5)
            try:
                result = self.query(url)["data"]["result"]
            except (urllib.error.URLError, ConnectionError):
                continue  # not up yet
            if {s["metric"]["instance"]: s["value"][1] for s in result} == want:
                break
        return result


if __name__ == "__main__":
    unittest.main()
