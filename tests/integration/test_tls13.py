#!/usr/bin/env python3
"""Integration tests: strict (TDS 8.0) over TLS 1.3, the built tdsprobe against real servers.

HelloRetryRequest: fakesql's `groups` setting leaves out every group the probe's first
ClientHello has a key share for, so OpenSSL answers with a HelloRetryRequest for secp384r1 (RFC
8446 4.1.4); a server with no group the probe offers refuses it with handshake_failure, which
must read as a clear verdict.

Key shares: the first ClientHello carries those the emulated client's TLS stack sends
(docs/client-platforms.md): x25519 alone for OpenSSL and Go, x25519 and secp256r1 for JSSE,
GnuTLS and Schannel. fakesql logs each ClientHello's shares as the server received them
(key_shares=, "/" between the hellos of a retry), and the real `openssl s_client` is checked
against the OpenSSL row the same way.

A second, independent server: `openssl s_server -tls1_3 -alpn tds/8.0` with the certificate kit
(s_server does not speak TDS, and needs not: the TLS 1.3 client sends no application data).

Run one group: test_tls13.py -v HelloRetry  (groups: HelloRetry KeyShares OpenSSLServer)
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest).
"""
import json
import os
import subprocess
import time
import unittest

from fakesql import FakeSQL
from tdsprobe_run import CA, CERTS, FAKESQL, NAME, UNTRUSTED, run_json


def run_probe(*args, timeout=60):
    """Runs tdsprobe --json --encrypt strict ARGS; returns (exit code, the one record)."""
    rc, objs, out, err = run_json("--encrypt", "strict", *args, timeout=timeout)
    assert len(objs) == 1, "one record; stdout=%r stderr=%r" % (out, err)
    return rc, objs[0]


class Tls13Case(unittest.TestCase):
    def assertVerdict(self, rc, r, exit_code, status, code, message=None):
        dump = json.dumps(r, indent=1)
        self.assertEqual(rc, exit_code, dump)
        self.assertEqual(r["status"], status, dump)
        self.assertEqual(r["diagnosis"]["code"], code, dump)
        if message is not None:
            self.assertEqual(r["diagnosis"]["message"], message)

    def assertTls13(self, r, group, scheme, chain_len=2):
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(r["tls"]["alpn"], "tds/8.0")
        self.assertEqual(r["tls"]["group"], group)
        self.assertEqual(r["tls"]["signature_scheme"], scheme)
        self.assertEqual(r["tls"]["stage"], "handshake complete")
        self.assertEqual(len(r["tls"]["chain"]), chain_len)
        self.assertEqual(r["tls"]["chain"][0]["subject"], "CN=localhost, O=tdsprobe kit")


class FakeSQLCase(Tls13Case):
    def probe(self, config, *args, connections=1):
        cfg = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
        cfg.update(config)
        with FakeSQL(cfg, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, r = run_probe(*args, "127.0.0.1,%d" % srv.port)
            # fakesql logs a connection when it ends, which may be just after tdsprobe exits
            srv.wait_outcome(connections, timeout=10)
            time.sleep(0.2)  # room for one more than expected to show up
            self.conns = srv.connections()
        return rc, r


class HelloRetry(FakeSQLCase):
    def test_hello_retry_for_secp384r1(self):
        # no first ClientHello has a secp384r1 share: it needs a second one
        rc, r = self.probe({"groups": "P-384"}, "--ca-file", CA)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "secp384r1", "rsa_pss_rsae_sha256")
        self.assertEqual(r["tls"]["hello_retry"], "secp384r1")
        self.assertEqual(self.conns[0]["key_shares"], "x25519/secp384r1")  # sqlclient on Linux
        self.assertEqual(len(self.conns), 1, self.conns)  # the HRR is inside one connection
        self.assertEqual(self.conns[0]["tls"], "TLSv1.3")
        self.assertEqual(self.conns[0]["outcome"], "handshake_only")

    def test_hello_retry_then_verdicts(self):
        # after a HelloRetryRequest the chain is judged as always
        rc, r = self.probe({"groups": "secp384r1"})
        self.assertVerdict(rc, r, 1, "fail", "untrusted_chain", UNTRUSTED)
        self.assertEqual(r["tls"]["group"], "secp384r1")
        rc, r = self.probe({"groups": "P-384", "cert": "wrongcn"}, "--ca-file", CA)
        self.assertVerdict(rc, r, 1, "fail", "name_mismatch", NAME)
        rc, r = self.probe({"groups": "P-384", "cert": "ecdsa"}, "--ca-file", CA)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "secp384r1", "ecdsa_secp256r1_sha256")

    def test_hello_retry_on_a_tls12_and_13_server(self):
        rc, r = self.probe({"groups": "P-384", "tlsprotocols": "1.2,1.3"}, "--ca-file", CA)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "secp384r1", "rsa_pss_rsae_sha256")
        self.assertEqual(len(self.conns), 1, self.conns)  # no TLS 1.2 retry

    def test_second_key_share_needs_no_retry(self):
        # P-256 alone: JSSE's first ClientHello has a secp256r1 share, taken as it is
        rc, r = self.probe({"groups": "P-256"}, "--ca-file", CA, "--driver", "jdbc")
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "secp256r1", "rsa_pss_rsae_sha256")
        self.assertIsNone(r["tls"]["hello_retry"])
        self.assertEqual(self.conns[0]["key_shares"], "x25519,secp256r1")

    def test_no_group_in_common(self):
        # X448 and ffdhe2048 are groups the probe does not offer: the server refuses TLS 1.3
        # with handshake_failure and the TLS 1.2 retry with protocol_version; the verdict says
        # so instead of asking for TLS 1.2 on a client that offered it
        for groups in ("X448", "ffdhe2048"):
            with self.subTest(groups=groups):
                rc, r = self.probe({"groups": groups}, "--ca-file", CA, connections=2)
                self.assertVerdict(rc, r, 1, "fail", "forcibly_closed")
                cause, fix = r["diagnosis"]["cause"], r["diagnosis"]["fix"]
                self.assertIn("The server speaks TLS 1.3 only", cause)
                self.assertIn("alert handshake_failure (40)", cause)
                self.assertIn("key exchange groups x25519, secp256r1, secp384r1", cause)
                self.assertIn("TLS_CHACHA20_POLY1305_SHA256", cause)
                self.assertIn("Groups and Ciphersuites", fix)
                self.assertNotIn("Make the client support TLS 1.2", fix)
                self.assertEqual([c["detail"] for c in self.conns],
                                 ["no suitable key share; ended with a TLS alert",
                                  "unsupported protocol; ended with a TLS alert"])


    def test_no_group_in_common_on_a_tls12_and_13_server(self):
        # TLS 1.2 completes on the second connection; a warning says the server speaks TLS 1.3
        # and refused the probe's TLS 1.3 offer (a client offering TLS 1.3 gets that answer)
        rc, r = self.probe({"groups": "X448", "tlsprotocols": "1.2,1.3"}, "--ca-file", CA,
                           connections=2)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        found = [f for f in r["findings"] if f["code"] == "tls13_refused"]
        self.assertEqual(len(found), 1, r["findings"])
        self.assertEqual(found[0]["severity"], "warning")
        self.assertIn("alert handshake_failure", found[0]["message"])
        self.assertIn("x25519, secp256r1, secp384r1", found[0]["message"])

    def test_tls12_only_server_has_no_tls13_finding(self):
        # protocol_version to the TLS 1.3 ClientHello: no TLS 1.3 there, nothing to warn about
        rc, r = self.probe({"tlsprotocols": "1.2"}, "--ca-file", CA, connections=2)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertEqual([f for f in r["findings"] if f["code"] == "tls13_refused"], [])


# (driver, client OS): the key shares of its first TLS 1.3 ClientHello
ONE_SHARE = [("sqlclient", "linux"), ("odbc18", "linux"), ("odbc18", "macos"),
             ("tedious", "linux"), ("go-mssqldb", "linux")]          # OpenSSL 3, Go
TWO_SHARES = [("jdbc", "linux"), ("freetds", "linux"),               # JSSE, GnuTLS
              ("sqlclient", "windows11"), ("odbc18", "windows11")]   # Schannel, Windows 11


class KeyShares(FakeSQLCase):
    def shares(self, config, driver, os_name):
        rc, r = self.probe(config, "--ca-file", CA, "--driver", driver, "--client-os", os_name)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(len(self.conns), 1, self.conns)
        return r, self.conns[0]["key_shares"]

    def test_first_hello_per_stack(self):
        # a server with every group: each stack's first shares are its whole offer, no retry
        for driver, os_name in ONE_SHARE + TWO_SHARES:
            with self.subTest(driver=driver, os=os_name):
                r, seen = self.shares({}, driver, os_name)
                want = "x25519" if (driver, os_name) in ONE_SHARE else "x25519,secp256r1"
                self.assertEqual(seen, want)
                self.assertIsNone(r["tls"]["hello_retry"])
                self.assertEqual(r["tls"]["group"], "x25519")

    def test_server_without_x25519(self):
        # P-256 only: a one-share stack pays a HelloRetryRequest, a two-share one does not
        for driver, os_name in ONE_SHARE + TWO_SHARES:
            with self.subTest(driver=driver, os=os_name):
                r, seen = self.shares({"groups": "P-256"}, driver, os_name)
                self.assertEqual(r["tls"]["group"], "secp256r1")
                if (driver, os_name) in ONE_SHARE:
                    self.assertEqual(seen, "x25519/secp256r1")
                    self.assertEqual(r["tls"]["hello_retry"], "secp256r1")
                else:
                    self.assertEqual(seen, "x25519,secp256r1")
                    self.assertIsNone(r["tls"]["hello_retry"])

    def test_text_report_names_the_retry(self):
        cfg = {"cert": "good", "strict": 1, "tlsprotocols": "1.3", "groups": "P-256"}
        with FakeSQL(cfg, certs_dir=CERTS, binary=FAKESQL) as srv:
            p = subprocess.run([os.environ["TDSPROBE"], "--encrypt", "strict", "--ca-file", CA,
                                "--driver", "go-mssqldb", "127.0.0.1,%d" % srv.port],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("group secp256r1 after a HelloRetryRequest for it", p.stdout)

    def test_openssl_s_client_agrees_with_the_openssl_row(self):
        # the real OpenSSL client, TLS first with ALPN tds/8.0 as a strict driver connects:
        # fakesql sees the same key shares from it as from the probe's OpenSSL row
        for groups in ("", "P-256", "P-384"):
            cfg = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
            if groups:
                cfg["groups"] = groups
            with self.subTest(groups=groups or "default"):
                with FakeSQL(cfg, certs_dir=CERTS, binary=FAKESQL) as srv:
                    p = subprocess.run(["openssl", "s_client", "-connect",
                                        "127.0.0.1:%d" % srv.port, "-tls1_3", "-alpn",
                                        "tds/8.0", "-CAfile", CA],
                                       input="", capture_output=True, text=True, timeout=30)
                    self.assertIn("ALPN protocol: tds/8.0", p.stdout, p.stdout + p.stderr)
                    real = srv.wait_outcome(1, timeout=10)[0]["key_shares"]
                    rc, r = run_probe("--ca-file", CA, "--driver", "sqlclient", "--client-os",
                                      "linux", "127.0.0.1,%d" % srv.port)
                    self.assertVerdict(rc, r, 0, "ok", "ok")
                    srv.wait_outcome(2, timeout=10)
                    probe = srv.connections()[1]["key_shares"]
                self.assertEqual(probe, real)
                self.assertEqual(r["tls"]["hello_retry"] is not None, "/" in real)


class SServer:
    """openssl s_server -tls1_3 -alpn tds/8.0 with kit leaf `name` and the intermediate."""

    def __init__(self, name, *extra):
        self.port = None
        # port 0: s_server binds an ephemeral port and names it ("ACCEPT 127.0.0.1:PORT")
        self.cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-tls1_3",
                    "-alpn", "tds/8.0", "-cert", os.path.join(CERTS, name + ".crt"),
                    "-key", os.path.join(CERTS, name + ".key"),
                    "-cert_chain", os.path.join(CERTS, "int.crt"), *extra]

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        seen = []
        for line in self.proc.stdout:  # "ACCEPT" once it listens
            seen.append(line)
            if line.startswith("ACCEPT"):
                self.port = int(line.strip().rsplit(":", 1)[1])
                return self
        self.proc.wait()
        raise RuntimeError("s_server did not start: %r" % "".join(seen))

    def __exit__(self, *exc):
        self.proc.kill()
        self.output = self.proc.communicate(timeout=10)[0]
        self.proc.stdin.close()
        return False


class OpenSSLServer(Tls13Case):
    def probe(self, name, *args, extra=()):
        with SServer(name, *extra) as srv:
            rc, r = run_probe(*args, "127.0.0.1,%d" % srv.port)
        self.s_server_output = srv.output
        return rc, r

    def test_rsa_pss_trusted(self):
        rc, r = self.probe("good", "--ca-file", CA)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "x25519", "rsa_pss_rsae_sha256")
        self.assertIsNone(r["server"])  # no PRELOGIN: s_server is no SQL Server anyway
        # both sides name the same suite, and s_server saw the ALPN and the groups offered
        self.assertIn("CIPHER is %s\n" % r["tls"]["cipher"], self.s_server_output)
        self.assertIn("ALPN protocols selected: tds/8.0", self.s_server_output)
        self.assertIn("Supported groups: x25519:secp256r1:secp384r1", self.s_server_output)

    def test_ecdsa_trusted(self):
        rc, r = self.probe("ecdsa", "--ca-file", CA)
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "x25519", "ecdsa_secp256r1_sha256")

    def test_untrusted(self):
        for name in ("good", "ecdsa"):
            with self.subTest(leaf=name):
                rc, r = self.probe(name)
                self.assertVerdict(rc, r, 1, "fail", "untrusted_chain", UNTRUSTED)
                self.assertEqual(r["tls"]["version"], "TLSv1.3")

    def test_wrong_name(self):
        rc, r = self.probe("wrongcn", "--ca-file", CA)
        self.assertVerdict(rc, r, 1, "fail", "name_mismatch", NAME)
        self.assertEqual(r["tls"]["chain"][0]["subject"], "CN=wrong.tdsprobe.test, O=tdsprobe kit")

    def test_expired(self):
        rc, r = self.probe("expired", "--ca-file", CA)
        self.assertVerdict(rc, r, 1, "fail", "expired")

    def test_hello_retry(self):
        rc, r = self.probe("good", "--ca-file", CA, extra=("-groups", "P-384"))
        self.assertVerdict(rc, r, 0, "ok", "ok")
        self.assertTls13(r, "secp384r1", "rsa_pss_rsae_sha256")
        self.assertEqual(r["tls"]["hello_retry"], "secp384r1")

    def test_each_suite(self):
        for suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                      "TLS_CHACHA20_POLY1305_SHA256"):
            with self.subTest(suite=suite):
                rc, r = self.probe("good", "--ca-file", CA, extra=("-ciphersuites", suite))
                self.assertVerdict(rc, r, 0, "ok", "ok")
                self.assertEqual(r["tls"]["cipher"], suite)


if __name__ == "__main__":
    unittest.main()
