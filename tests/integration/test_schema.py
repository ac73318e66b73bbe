#!/usr/bin/env python3
"""docs/tdsprobe.schema.json against the records tdsprobe really writes.

Runs the built tdsprobe --json over a representative set of targets (fakesql configured for
each case: ok, untrusted, name mismatch, forcibly closed, SQL Server's fallback certificate,
refused, DNS failure, not TDS, timeout, login-only TLS, certificate-only handshake, a named
instance through SQL Server Browser, the TLS audit with --protocols --ciphers, TDS 8.0 strict)
and validates every line with python3-jsonschema (Draft 2020-12). The schema is strict
(every object closed, every member required), so the writer and the schema cannot drift apart
without this test failing; test_schema_has_teeth shows the same on mutated records.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest). Needs python3-jsonschema
(scripts/bootstrap.sh test).
"""
import copy
import json
import os
import re
import subprocess
import sys
import time
import unittest

from fakesql import FakeSQL
import tdsprobe_schema
from tdsprobe_run import CA, CERTS, FAKESQL, TDSPROBE, closed_port  # noqa: F401

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

OLD_TLS = {"cert": "good", "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}
BROWSER = {"cert": "good", "tcpport": "0,0", "instances": "SQLEXPRESS,DEV", "browserport": 0,
           "servername": "LABSQL"}

# name -> (fakesql config or None, tdsprobe arguments ({port}, {udp} filled in), target,
#          expected (status, diagnosis code))
CASES = {
    "ok": ({"cert": "good"}, ["--ca-file", CA], "127.0.0.1,{port}", ("ok", "ok")),
    "untrusted": ({"cert": "good"}, [], "127.0.0.1,{port}", ("fail", "untrusted_chain")),
    "name_mismatch": ({"cert": "wrongcn"}, ["--ca-file", CA], "127.0.0.1,{port}",
                      ("fail", "name_mismatch")),
    "forcibly_closed": ({"cert": "good", "tlsprotocols": "1.2"},
                        ["--ca-file", CA, "--tls-max", "1.1"], "127.0.0.1,{port}",
                        ("fail", "forcibly_closed")),
    "fallback_certificate": ({}, [], "127.0.0.1,{port}", ("fail", "untrusted_chain")),
    "refused": (None, [], "127.0.0.1,{closed}", ("error", "connection_refused")),
    "dns_failure": (None, [], "no-such-host.invalid", ("error", "dns_failure")),
    "not_tds": ({"nontdsreply": 1}, [], "127.0.0.1,{port}", ("error", "not_tds")),
    "timeout": ({"cert": "good", "stall": "handshake"}, ["--ca-file", CA, "--timeout", "1"],
                "127.0.0.1,{port}", ("error", "timeout")),
    "login_only": ({}, ["--encrypt", "optional"], "127.0.0.1,{port}", ("ok", "ok")),
    "certificate_mode": ({"cert": "good"}, ["--ca-file", CA, "--handshake", "certificate"],
                         "127.0.0.1,{port}", ("ok", "ok")),
    "named_instance": (BROWSER, ["--ca-file", CA, "--browser-port", "{udp}"], "127.0.0.1\\DEV",
                       ("ok", "ok")),
    "audit": (OLD_TLS, ["--ca-file", CA, "--protocols", "--ciphers"], "127.0.0.1,{port}",
              ("ok", "ok")),
    "strict": ({"cert": "good", "strict": 1}, ["--encrypt", "strict", "--ca-file", CA],
               "127.0.0.1,{port}", ("ok", "ok")),
}


def run_case(config, args, target):
    """tdsprobe --json for one case; returns the records (each line parsed)."""
    def go(port=0, udp=0):
        fill = {"port": port, "udp": udp, "closed": closed_port()}
        cmd = [TDSPROBE, "--json"] + [a.format(**fill) for a in args] + [target.format(**fill)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()], p.stderr

    if config is None:
        return go()
    with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
        return go(srv.port, srv.udp_port if "browserport" in config else 0)


class Schema(unittest.TestCase):
    records = {}
    started = ended = None

    @classmethod
    def setUpClass(cls):
        cls.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for name, (config, args, target, _) in CASES.items():
            cls.records[name] = run_case(config, args, target)
        cls.ended = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))

    def test_schema_is_a_valid_2020_12_schema(self):
        schema = tdsprobe_schema.load_schema()
        self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
        tdsprobe_schema.jsonschema.Draft202012Validator.check_schema(schema)

    def test_every_record_validates(self):
        for name, (_, _, _, want) in CASES.items():
            objs, err = self.records[name]
            with self.subTest(case=name):
                self.assertEqual(len(objs), 1, err)
                r = objs[0]
                self.assertEqual((r["status"], r["diagnosis"]["code"]), want, err)
                self.assertEqual(tdsprobe_schema.errors(r), [])

    def test_the_cases_cover_the_shapes(self):
        # what the set is for: each nullable member seen both ways, the audit's members filled
        r = {name: objs[0] for name, (objs, _) in self.records.items()}
        self.assertIsNone(r["refused"]["tls"])
        self.assertIsNone(r["dns_failure"]["server"])
        self.assertIsNotNone(r["forcibly_closed"]["followup"])
        self.assertEqual(r["audit"]["protocols"]["TLSv1.0"], "accepted")
        self.assertFalse(r["audit"]["tls12_enforced"])
        self.assertTrue(r["audit"]["ciphers"]["TLSv1.2"]["suites"])
        self.assertIn("old_tls_accepted", [f["code"] for f in r["audit"]["findings"]])
        self.assertEqual(r["strict"]["mode"], "tds8")
        self.assertEqual(r["named_instance"]["instance"], "DEV")
        self.assertEqual(r["login_only"]["tls_scope"], "login_only")
        self.assertEqual(r["certificate_mode"]["handshake"], "certificate")

    def test_record_head(self):
        version = subprocess.run([TDSPROBE, "--version"], capture_output=True,
                                 text=True).stdout.split()[-1]
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            cmake = re.search(r"project\(tdsprobe VERSION ([0-9.]+)", f.read()).group(1)
        self.assertEqual(version, cmake)
        for name, (objs, _) in self.records.items():
            with self.subTest(case=name):
                r = objs[0]
                self.assertEqual(list(r)[:3], ["schema_version", "tdsprobe_version",
                                               "probed_at"])
                self.assertEqual((r["schema_version"], r["tdsprobe_version"]), (1, cmake))
                self.assertTrue(self.started <= r["probed_at"] <= self.ended, r["probed_at"])

    def test_schema_has_teeth(self):
        # A writer that drifts (a member renamed, dropped, added, retyped) fails validation.
        good = self.records["audit"][0][0]
        self.assertEqual(tdsprobe_schema.errors(good), [])

        def broken(change):
            r = copy.deepcopy(good)
            change(r)
            return tdsprobe_schema.errors(r)

        mutations = {
            "probed_at dropped": lambda r: r.pop("probed_at"),
            "diagnosis renamed": lambda r: r.__setitem__("diagnoses", r.pop("diagnosis")),
            "unknown member": lambda r: r.__setitem__("extra", 1),
            "port as a string": lambda r: r.__setitem__("port", str(r["port"])),
            "status outside its set": lambda r: r.__setitem__("status", "okay"),
            "probed_at not UTC": lambda r: r.__setitem__("probed_at",
                                                         "2026-01-01T00:00:00+01:00"),
            "schema_version 2": lambda r: r.__setitem__("schema_version", 2),
            "chain element member added": lambda r: r["tls"]["chain"][0].__setitem__("x", 1),
            "chain sha256 uppercase": lambda r: r["tls"]["chain"][0].__setitem__(
                "sha256", r["tls"]["chain"][0]["sha256"].upper()),
            "finding severity": lambda r: r["findings"][0].__setitem__("severity", "fatal"),
            "protocols state": lambda r: r["protocols"].__setitem__("TLSv1.0", "yes"),
            "suite id": lambda r: r["ciphers"]["TLSv1.2"]["suites"][0].__setitem__("id", 49199),
            "timing negative": lambda r: r["timing_ms"].__setitem__("total", -1),
        }
        for what, change in mutations.items():
            with self.subTest(mutation=what):
                self.assertNotEqual(broken(change), [], what)


if __name__ == "__main__":
    if not tdsprobe_schema.available():
        print("test_schema: python3-jsonschema is not installed "
              "(apt-get install python3-jsonschema, or scripts/bootstrap.sh test)",
              file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
