#!/usr/bin/env python3
"""The TLS policy audit (--protocols, --ciphers) of strict (TDS 8.0) servers goes TLS first.

A server set to Force Strict Encryption (fakesql `strict = force`, as SQL Server 2022's
forcestrict) accepts only TDS 8.0: the TLS handshake first, with ALPN tds/8.0, and it closes a
TDS 7.x PRELOGIN. When the client's own connection ran strict (--encrypt strict), every audit
step connects that way, so the audit finds exactly the versions and TLS 1.2 suites the server
allows (tlsprotocols 1.2, 1.2,1.3 and 1.3), and says so: "audit_transport": "tds8". The TLS 1.2
suites are checked against openssl s_client -tls1_2 -alpn tds/8.0, suite by suite, against the
same fakesql; fakesql's connection log shows that no audit connection sent a TDS 7.x PRELOGIN.

A server that speaks both (strict = 1) is audited TLS first for a strict client and the TDS 7.x
way for any other, each saying which. Without --encrypt strict a strict-only server refuses the
client's own PRELOGIN, and no audit runs (audit_transport null): no version is called rejected.

Run one group: test_audit_strict.py -v StrictOnly  (groups: StrictOnly BothTransports)
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest).
"""
import json
import subprocess
import time
import unittest

from fakesql import FakeSQL
import tdsprobe_schema
from tdsprobe_run import CA, CERTS, FAKESQL, TDSPROBE  # noqa: F401 (the kit's paths)
VERSIONS = ("TLSv1.0", "TLSv1.1", "TLSv1.2")


def tls12_suites_we_offer():
    """IANA name -> OpenSSL name of every suite tdsprobe offers at TLS 1.2 that OpenSSL knows."""
    ours = subprocess.run([TDSPROBE, "--list-suites"], capture_output=True, text=True,
                          check=True).stdout
    names = {line.split()[1] for line in ours.splitlines()
             if line.strip() and "TLSv1.3" not in line}
    std = subprocess.run(["openssl", "ciphers", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, text=True, check=True).stdout
    table = {}
    for line in std.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "-" and parts[0] in names:
            table[parts[0]] = parts[2]
    return table


def s_client_tls12(port, openssl_name):
    """openssl s_client's independent answer: does the server take this TLS 1.2 suite, TLS
    first with ALPN tds/8.0?"""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                        "-cipher", openssl_name + ":@SECLEVEL=0", "-alpn", "tds/8.0"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    return "Cipher is %s" % openssl_name in p.stdout


def probe(port, *args):
    """tdsprobe --json --ciphers ARGS against the port: (exit code, the one record)."""
    p = subprocess.run([TDSPROBE, "--json", "--ciphers", "--ca-file", CA, *args,
                        "127.0.0.1,%d" % port], capture_output=True, text=True, timeout=120)
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if tdsprobe_schema.available():  # docs/tdsprobe.schema.json
        tdsprobe_schema.check_records(objs)
    assert len(objs) == 1, "one record; stdout=%r stderr=%r" % (p.stdout, p.stderr)
    return p.returncode, objs[0]


def text_report(port, *args):
    return subprocess.run([TDSPROBE, "--no-color", "--ciphers", "--ca-file", CA, *args,
                           "127.0.0.1,%d" % port], capture_output=True, text=True,
                          timeout=120).stdout


def settled_connections(srv, at_least):
    """fakesql logs a connection when it ends, which may be just after tdsprobe exits."""
    srv.wait_outcome(at_least, timeout=10)
    time.sleep(0.2)
    return srv.connections()


class StrictOnly(unittest.TestCase):
    """strict = force: the only way in is TLS first."""

    def audit(self, tlsprotocols, expect_versions, tls13, extra=None):
        conf = {"cert": "good", "strict": "force", "tlsprotocols": tlsprotocols}
        conf.update(extra or {})
        table = tls12_suites_we_offer()
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, r = probe(srv.port, "--encrypt", "strict")
            conns = settled_connections(srv, 4)
            text = text_report(srv.port, "--encrypt", "strict")
            openssl = sorted(iana for iana, name in table.items()
                             if s_client_tls12(srv.port, name))
        dump = json.dumps({k: r[k] for k in ("protocols", "protocols_detail", "ciphers")},
                          indent=1)
        self.assertEqual(rc, 0, dump)
        self.assertEqual(r["diagnosis"]["code"], "ok", dump)
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["audit_transport"], "tds8", dump)
        accepted = [v for v in VERSIONS if r["protocols"][v] == "accepted"]
        self.assertEqual(accepted, expect_versions, dump)
        for v in VERSIONS:
            if v not in expect_versions:
                self.assertEqual(r["protocols"][v], "rejected", dump)
                self.assertEqual(r["protocols_detail"][v]["how"], "alert protocol_version")
        self.assertEqual(r["protocols"]["TLSv1.3"], "accepted" if tls13 else "rejected", dump)
        ours = sorted(s["name"] for s in r["ciphers"].get("TLSv1.2", {"suites": []})["suites"])
        self.assertEqual(ours, openssl, "openssl s_client -tls1_2 -alpn tds/8.0 took %s" % openssl)
        if "TLSv1.2" in expect_versions:
            self.assertTrue(ours, dump)
            self.assertFalse(r["ciphers"]["TLSv1.2"]["incomplete"], dump)
        # every connection, the client's own and each audit step, went TLS first: fakesql saw
        # no TDS 7.x PRELOGIN (it would have ended one with "tds7_refused")
        self.assertGreater(len(conns), 4, conns)
        for c in conns:
            self.assertEqual(c["mode"], "tds8", c)
            self.assertNotEqual(c["outcome"], "tds7_refused", c)
        self.assertIn("Audit      over TDS 8.0 (TLS first, ALPN tds/8.0), as a strict client "
                      "connects\n", text)
        return r, text

    def test_tls12(self):
        r, text = self.audit("1.2", ["TLSv1.2"], tls13=False)
        self.assertTrue(r["tls12_enforced"])
        self.assertIn("TLS 1.2 enforced: yes", text)

    def test_tls12_and_13(self):
        r, text = self.audit("1.2,1.3", ["TLSv1.2"], tls13=True)
        self.assertTrue(r["tls12_enforced"])
        self.assertEqual(len(r["ciphers"]["TLSv1.3"]["suites"]), 3)

    def test_tls13_only(self):
        r, text = self.audit("1.3", [], tls13=True)
        self.assertFalse(r["tls12_enforced"])
        self.assertNotIn("TLSv1.2", r["ciphers"])
        self.assertIn("TLS 1.2 rejected: TLS 1.3 only, for TDS 8.0 strict clients", text)

    def test_restricted_tls12_suites(self):
        # fakesql's tlsciphers (mssql-conf network.tlsciphers), in the server's order
        ciphers = "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:ECDHE-RSA-AES256-SHA"
        r, text = self.audit("1.2", ["TLSv1.2"], tls13=False, extra={"tlsciphers": ciphers})
        names = [s["name"] for s in r["ciphers"]["TLSv1.2"]["suites"]]
        self.assertEqual(names, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                 "TLS_RSA_WITH_AES_256_CBC_SHA",
                                 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"])
        self.assertEqual(r["ciphers"]["TLSv1.2"]["order"], "server")
        codes = [f["code"] for f in r["findings"]]
        self.assertIn("weak_cipher_accepted", codes)

    def test_without_strict_no_audit(self):
        # the client's own TDS 7.x PRELOGIN is refused: nothing is audited, nothing is called
        # rejected
        conf = {"cert": "good", "strict": "force", "tlsprotocols": "1.2"}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, r = probe(srv.port, "--encrypt", "mandatory")
            conns = settled_connections(srv, 1)
        self.assertEqual(r["audit_transport"], None)
        self.assertEqual(r["protocols"], None)
        self.assertEqual(r["tls12_enforced"], None)
        self.assertTrue(conns and all(c["outcome"] == "tds7_refused" for c in conns), conns)


class BothTransports(unittest.TestCase):
    """strict = 1: TDS 8.0 and 7.x both accepted; the client's choice decides the transport."""

    def run_audit(self, *args):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.2"}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, r = probe(srv.port, "--protocols", *args)
            conns = settled_connections(srv, 4)
        return r, conns

    def test_strict_client_audits_tls_first(self):
        r, conns = self.run_audit("--encrypt", "strict")
        self.assertEqual(r["audit_transport"], "tds8")
        self.assertEqual(r["protocols"]["TLSv1.2"], "accepted")
        self.assertTrue(r["tls12_enforced"])
        self.assertEqual({c["mode"] for c in conns}, {"tds8"}, conns)

    def test_tds7_client_audits_with_prelogin(self):
        r, conns = self.run_audit("--encrypt", "mandatory")
        self.assertEqual(r["audit_transport"], "tds7")
        self.assertEqual(r["protocols"]["TLSv1.2"], "accepted")
        self.assertTrue(r["tls12_enforced"])
        # TLS 1.0-1.2 steps and the walk with a PRELOGIN; only the TLS 1.3 step goes TLS first
        modes = [c["mode"] for c in conns]
        self.assertEqual(modes.count("tds8"), 1, conns)
        self.assertGreater(modes.count("tds7"), 4, conns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
