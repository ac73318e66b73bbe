#!/usr/bin/env python3
"""The TLS policy audit (--protocols, --ciphers) agrees with nmap's ssl-enum-ciphers.

fakesql (OpenSSL, like SQL Server on Linux) listens on 1433 in a private network namespace,
because nmap applies its TDS wrapper only to ms-sql-s; both tools audit it, and for every TLS
version the sets of accepted suites must be equal over the suites both tools know (tdsprobe
offers what mbedTLS has: `tdsprobe --list-suites`; nmap knows every IANA suite).

Configurations (the issue's three): tlsprotocols = 1.2; 1.0,1.1,1.2 at security level 0; and a
restricted network.tlsciphers list.

AuditStrictTls13: strict (TDS 8.0) servers with tlsprotocols = 1.3 and 1.2,1.3 and a restricted
TLS 1.3 suite list (fakesql's ciphersuites13): TLS 1.3 and its suites, checked against openssl
s_client suite by suite.

AuditBudget: the audit's whole-target time budget (--audit-timeout) against a fakesql that
stalls every TLS handshake (stall = clienthello), and against a slow one (every answer of a
healthy fakesql held back a quarter of a second by a relay in this test): the audit ends when
the budget is spent and names what it left untested "audit time budget reached".
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest). Runs as root (CI) or where user
namespaces are allowed.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from fakesql import FakeSQL
import tdsprobe_schema
from tdsprobe_run import CA, CERTS, FAKESQL, TDSPROBE  # noqa: F401 (the kit's paths)
VERSIONS = ("TLSv1.0", "TLSv1.1", "TLSv1.2")


def our_suites():
    out = subprocess.run([TDSPROBE, "--list-suites"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[1] for line in out.splitlines() if line.strip()}


def nmap_audit(port):
    p = subprocess.run(["nmap", "-Pn", "-n", "-sT", "-p", str(port), "--script",
                        "ssl-enum-ciphers", "-oX", "-", "127.0.0.1"],
                       capture_output=True, text=True, timeout=120)
    root = ET.fromstring(p.stdout)
    result = {}
    for script in root.iter("script"):
        if script.get("id") != "ssl-enum-ciphers":
            continue
        for table in script.findall("table"):
            names = {e.text for c in table.iter("table") if c.get("key") is None
                     for e in c.findall("elem") if e.get("key") == "name"}
            result[table.get("key")] = names
    return result


def tdsprobe_audit(port):
    p = subprocess.run([TDSPROBE, "--json", "--ciphers", "--ca-file", CA,
                        "--host-name-in-certificate", "localhost", "127.0.0.1,%d" % port],
                       capture_output=True, text=True, timeout=120)
    r = json.loads(p.stdout.splitlines()[0])
    if tdsprobe_schema.available():  # docs/tdsprobe.schema.json
        tdsprobe_schema.check_records([r])
    return r


class Audit(unittest.TestCase):
    def compare(self, config, expect_versions):
        conf = dict(config, cert="good", tcpport=1433)
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            ours = tdsprobe_audit(srv.port)
            theirs = nmap_audit(srv.port)
        known = our_suites()
        accepted = [v for v in VERSIONS if ours["protocols"][v] == "accepted"]
        self.assertEqual(accepted, expect_versions, json.dumps(ours["protocols"]))
        self.assertEqual(sorted(theirs), expect_versions, "nmap saw %s" % sorted(theirs))
        for v in expect_versions:
            mine = {s["name"] for s in ours["ciphers"][v]["suites"]}
            self.assertTrue(mine, "no suites for %s" % v)
            self.assertEqual(mine, theirs[v] & known,
                             "%s: only tdsprobe %s; only nmap %s" %
                             (v, sorted(mine - theirs[v]), sorted((theirs[v] & known) - mine)))
        return ours

    def test_tls12_only(self):
        r = self.compare({"tlsprotocols": "1.2"}, ["TLSv1.2"])
        self.assertTrue(r["tls12_enforced"])

    def test_legacy_versions_at_security_level_0(self):
        r = self.compare({"tlsprotocols": "1.0,1.1,1.2", "seclevel": 0},
                         ["TLSv1.0", "TLSv1.1", "TLSv1.2"])
        self.assertFalse(r["tls12_enforced"])
        self.assertIn("network.tlsprotocols 1.2", json.dumps(r))

    def test_restricted_cipher_list(self):
        ciphers = "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:ECDHE-RSA-AES256-SHA"
        r = self.compare({"tlsprotocols": "1.2", "tlsciphers": ciphers}, ["TLSv1.2"])
        names = [s["name"] for s in r["ciphers"]["TLSv1.2"]["suites"]]
        self.assertEqual(sorted(names), sorted(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                "TLS_RSA_WITH_AES_256_CBC_SHA",
                                                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"]))
        weak = {s["name"]: s["weak"] for s in r["ciphers"]["TLSv1.2"]["suites"]}
        self.assertTrue(weak["TLS_RSA_WITH_AES_256_CBC_SHA"])  # no FS, CBC-SHA1
        self.assertEqual(weak["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"], [])


class SlowRelay:
    """A TCP relay to 127.0.0.1:port that holds back every chunk the server sends by `delay`
    seconds: a slow server (a long round trip) that answers everything."""

    def __init__(self, port, delay):
        self.port, self.delay = port, delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.local_port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.port))
            self.conns += [client, server]
            threading.Thread(target=self.pump, args=(client, server, 0), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, self.delay),
                             daemon=True).start()

    @staticmethod
    def pump(src, dst, delay):
        try:
            while True:
                data = src.recv(65536)
                time.sleep(delay)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
        except OSError:
            return  # the other side reset, or close() below

    def close(self):
        self.sock.close()
        for s in self.conns:
            s.close()


class AuditBudget(unittest.TestCase):
    """The client's own connection asks for no encryption (--encrypt disable), so it ends after
    PRELOGIN without TLS and the audit runs; every audit step asks for TLS and its ClientHello is
    never answered, so each step would run to its own --timeout."""

    def audit(self, port, *extra):
        cmd = [TDSPROBE, "--ciphers", "--encrypt", "disable", "--timeout", "2"] + list(extra)
        cmd.append("127.0.0.1,%d" % port)
        start = time.monotonic()
        js = subprocess.run(cmd[:1] + ["--json"] + cmd[1:], capture_output=True, text=True,
                            timeout=120)
        took = time.monotonic() - start
        text = subprocess.run(cmd + ["--no-color"], capture_output=True, text=True, timeout=120)
        # on failure, show the record: a loaded machine can make the client's own PRELOGIN miss
        # a 1 s deadline, and the record says which step timed out
        self.assertEqual(js.returncode, 0, js.stderr + js.stdout)
        return json.loads(js.stdout.splitlines()[0]), text.stdout, took

    def test_stalling_target_ends_within_the_budget(self):
        conf = {"cert": "good", "stall": "clienthello", "quiet": 1}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            d, text, took = self.audit(srv.port, "--audit-timeout", "1")
        # one step (TLS 1.0) started and was cut at 1 s, before its own 2 s deadline
        detail = d["protocols_detail"]
        for v in ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"):
            self.assertEqual(detail[v], {"state": "not_tested", "cipher": None,
                                         "how": "audit time budget reached"}, v)
        self.assertEqual(d["protocols"], {"TLSv1.0": "not_tested", "TLSv1.1": "not_tested",
                                          "TLSv1.2": "not_tested"})
        self.assertIsNone(d["tls12_enforced"])
        self.assertEqual(d["ciphers"], {})
        self.assertEqual(d["diagnosis"]["code"], "ok")  # the client's own (unencrypted) verdict
        self.assertIn("TLSv1.2  not tested (audit time budget reached)", text)
        self.assertIn("Ciphers    incomplete: audit time budget reached", text)
        self.assertIn("TLS 1.2 enforced: unknown", text)
        # unbounded, the four steps would take 3 x 2 s (TLS 1.3 is refused at once); the
        # bound only proves the budget ended it, not how fast the machine is
        self.assertLess(took, 5.5)

    def test_default_budget_is_three_timeouts(self):
        conf = {"cert": "good", "stall": "clienthello", "quiet": 1}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            d, text, _ = self.audit(srv.port, "--timeout", "1")
        detail = d["protocols_detail"]
        # TLS 1.0 and 1.1 each ran to their own 1 s deadline; TLS 1.2's step met the 3 s budget
        self.assertEqual(detail["TLSv1.0"], {"state": "error", "how": "timeout", "cipher": None})
        self.assertEqual(detail["TLSv1.1"], {"state": "error", "how": "timeout", "cipher": None})
        self.assertEqual(detail["TLSv1.2"]["how"], "audit time budget reached")
        self.assertEqual(detail["TLSv1.3"]["how"], "audit time budget reached")
        self.assertIn("TLSv1.0  error     timeout", text)

    def test_slow_target_suite_walk_cut(self):
        # a TLS 1.2-only server taking 13 of our suites: 19 audit connections of about half a
        # second each through the relay (about 10 s) without a budget
        conf = {"cert": "good", "tlsprotocols": "1.2", "quiet": 1}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            relay = SlowRelay(srv.port, 0.25)
            cmd = [TDSPROBE, "--ciphers", "--ca-file", CA, "--host-name-in-certificate",
                   "localhost", "--handshake", "certificate", "--timeout", "5",
                   "--audit-timeout", "4", "127.0.0.1,%d" % relay.local_port]
            start = time.monotonic()
            js = subprocess.run(cmd[:1] + ["--json"] + cmd[1:], capture_output=True, text=True,
                                timeout=120)
            took = time.monotonic() - start
            text = subprocess.run(cmd + ["--no-color"], capture_output=True, text=True,
                                  timeout=120).stdout
            relay.close()
        d = json.loads(js.stdout.splitlines()[0])
        self.assertEqual(d["diagnosis"]["code"], "ok", js.stdout)
        self.assertEqual(d["protocols"]["TLSv1.2"], "accepted", json.dumps(d["protocols"]))
        walk = d["ciphers"]["TLSv1.2"]
        self.assertTrue(walk["incomplete"])
        self.assertLess(len(walk["suites"]), 13)
        self.assertEqual(walk["order"], "unknown")  # the order check never ran
        self.assertTrue(d["tls12_enforced"])  # the versions were all tested in time
        self.assertRegex(text, r"TLSv1\.2  \d+ accepted, order unknown; incomplete: audit time "
                               r"budget reached")
        self.assertLess(took, 8.5)  # the main connection, 4 s of audit, a little slack

    def test_budget_option_refuses_nonsense(self):
        for bad in ("0", "nan", "-1", "2x"):
            p = subprocess.run([TDSPROBE, "--ciphers", "--audit-timeout", bad, "127.0.0.1,1"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 64, bad)
            self.assertIn("--audit-timeout: audit_timeout takes seconds", p.stderr)


def s_client_accepts(port, suite):
    """openssl s_client's independent answer: does the strict server take this TLS 1.3 suite?"""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_3",
                        "-ciphersuites", suite, "-alpn", "tds/8.0"], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL)
    return "Cipher is %s" % suite in p.stdout


class AuditStrictTls13(unittest.TestCase):
    """Strict servers (TDS 8.0): TLS 1.3 and its suites, as the audit's own hand-built
    ClientHellos find them, checked suite by suite with openssl s_client (nmap's TDS wrapper
    speaks TDS 7.x only, where TLS stops at 1.2)."""

    SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")

    def audit(self, config):
        conf = dict(config, cert="good", strict=1)
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            p = subprocess.run([TDSPROBE, "--json", "--encrypt", "strict", "--ciphers",
                                "--ca-file", CA, "127.0.0.1,%d" % srv.port],
                               capture_output=True, text=True, timeout=120)
            text = subprocess.run([TDSPROBE, "--no-color", "--encrypt", "strict", "--ciphers",
                                   "--ca-file", CA, "127.0.0.1,%d" % srv.port],
                                  capture_output=True, text=True, timeout=120).stdout
            openssl = [s for s in self.SUITES if s_client_accepts(srv.port, s)]
        r = json.loads(p.stdout.splitlines()[0])
        if tdsprobe_schema.available():
            tdsprobe_schema.check_records([r])
        self.assertEqual(r["diagnosis"]["code"], "ok", p.stdout)
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(r["protocols"]["TLSv1.3"], "accepted", json.dumps(r["protocols"]))
        suites = [s["name"] for s in r["ciphers"]["TLSv1.3"]["suites"]]
        self.assertEqual(sorted(suites), sorted(openssl), "openssl s_client took %s" % openssl)
        self.assertFalse(r["ciphers"]["TLSv1.3"]["incomplete"])
        self.assertEqual(r["ciphers"]["TLSv1.3"]["order"], "server" if len(suites) > 1
                         else "unknown")  # fakesql: SSL_OP_CIPHER_SERVER_PREFERENCE
        for s in r["ciphers"]["TLSv1.3"]["suites"]:
            self.assertEqual(s["weak"], [])
        return r, suites, text

    def test_tls13_only(self):
        r, suites, text = self.audit({"tlsprotocols": "1.3"})
        # OpenSSL's default TLS 1.3 order (ssl/ssl_ciph.c TLS_DEFAULT_CIPHERSUITES)
        self.assertEqual(suites, ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                  "TLS_AES_128_GCM_SHA256"])
        for v in VERSIONS:
            self.assertEqual(r["protocols"][v], "rejected", json.dumps(r["protocols"]))
        self.assertFalse(r["tls12_enforced"])
        self.assertNotIn("TLSv1.2", r["ciphers"])
        self.assertIn("TLSv1.3  accepted  ServerHello TLS_AES_256_GCM_SHA384", text)
        self.assertIn("TLSv1.3  3 accepted, server order", text)
        self.assertIn("TLS 1.3 only, for TDS 8.0 strict clients", text)

    def test_tls12_and_13(self):
        r, suites, text = self.audit({"tlsprotocols": "1.2,1.3"})
        self.assertEqual(len(suites), 3)
        self.assertEqual(r["protocols"]["TLSv1.2"], "accepted")
        self.assertTrue(r["tls12_enforced"])
        self.assertGreater(len(r["ciphers"]["TLSv1.2"]["suites"]), 3)
        self.assertIn("TLSv1.3  3 accepted, server order", text)

    def test_restricted_tls13_suites(self):
        # fakesql's ciphersuites13 (SSL_CTX_set_ciphersuites), in the server's order
        r, suites, text = self.audit({"tlsprotocols": "1.2,1.3", "ciphersuites13":
                                      "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"})
        self.assertEqual(suites, ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"])
        self.assertEqual(r["tls"]["cipher"], "TLS_CHACHA20_POLY1305_SHA256")
        r, suites, text = self.audit({"tlsprotocols": "1.3",
                                      "ciphersuites13": "TLS_AES_128_GCM_SHA256"})
        self.assertEqual(suites, ["TLS_AES_128_GCM_SHA256"])
        self.assertIn("TLSv1.3  1 accepted, order unknown", text)


def main():
    if os.environ.get("AUDIT_IN_NETNS") != "1":
        cmd = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        cmd += ["env", "AUDIT_IN_NETNS=1", sys.executable, os.path.abspath(__file__)]
        os.execvp(cmd[0], cmd + sys.argv[1:])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
