#!/usr/bin/env python3
"""Integration tests: the built tdsprobe against fakesql, for every case of the probe issue.

Each test starts a fakesql configured like a SQL Server on Linux (mssql.conf), runs tdsprobe
with --json, and checks the contract: exit code, status, diagnosis code, the client's message
(the seed's three texts word for word), and the facts behind it (chain, TLS version, timing).

Run one group: test_probe.py basics
(groups: basics certificates encryption handshake network drivers nagios prometheus)
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest).

Targets are written as 127.0.0.1 (the kit's good leaf carries IP:127.0.0.1), so the tests do not
depend on /etc/hosts resolving "localhost" (a bare debootstrap has none).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import unittest

from fakesql import FakeSQL
from tdsprobe_run import CA, CERTS, CLOSED, FAKESQL, NAME, TDSPROBE, UNTRUSTED, run_json

CONTRACT_KEYS = {"schema_version", "tdsprobe_version", "probed_at", "target", "host", "port",
                 "instance", "address", "mode", "client", "status", "diagnosis", "findings",
                 "server", "tls", "protocols", "timing_ms"}
CLIENT_KEYS = {"driver", "encrypt", "trust_server_certificate", "host_name_in_certificate",
               "validates", "sent_encryption"}
SERVER_KEYS = {"version", "product", "encryption", "instance", "mars", "fedauth_required"}
CHAIN_KEYS = {"subject", "issuer", "serial", "san", "not_before", "not_after", "days_left",
              "signature_algorithm", "key_type", "key_bits", "eku", "key_usage", "self_signed",
              "sha256"}


class ProbeCase(unittest.TestCase):
    """Helpers shared by the groups."""

    def probe(self, config, *args, target=None, expect_exit=None):
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            tgt = target or "127.0.0.1,%d" % srv.port
            rc, objs, out, err = run_json(*args, tgt)
            # fakesql logs a connection when it ends, which may be just after tdsprobe exits
            if objs and objs[0].get("address"):
                srv.wait_outcome(1)
            self.srv_log = srv.log()
        self.assertEqual(len(objs), 1, "one JSON object per target; stdout=%r stderr=%r"
                         % (out, err))
        r = objs[0]
        self.check_contract(r)
        if expect_exit is not None:
            self.assertEqual(rc, expect_exit, json.dumps(r, indent=1))
        return r

    def check_contract(self, r):
        self.assertTrue(CONTRACT_KEYS <= set(r), "missing %s" % (CONTRACT_KEYS - set(r)))
        self.assertEqual(CLIENT_KEYS - set(r["client"]), set())
        self.assertIn(r["status"], ("ok", "fail", "error"))
        self.assertIn(r["mode"], ("tds7", "tds8"))
        for k in ("code", "message", "fix"):
            self.assertIn(k, r["diagnosis"])
        if r["server"] is not None:
            self.assertEqual(SERVER_KEYS - set(r["server"]), set())
        if r["tls"] is not None:
            for cert in r["tls"]["chain"]:
                self.assertEqual(CHAIN_KEYS - set(cert), set())
        for f in r["findings"]:
            self.assertTrue({"code", "severity", "message", "cert"} <= set(f))

    def assertDiag(self, r, status, code, message=None):
        self.assertEqual((r["status"], r["diagnosis"]["code"]), (status, code),
                         json.dumps(r, indent=1))
        if message is not None:
            self.assertEqual(r["diagnosis"]["message"], message)

    def finding_codes(self, r):
        return [f["code"] for f in r["findings"]]


class Basics(ProbeCase):
    def test_good_path(self):
        r = self.probe({"cert": "good", "version": "16.0.1000"}, "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["server"]["version"], "16.0.1000")
        self.assertEqual(r["server"]["product"], "SQL Server 2022")
        self.assertEqual(r["server"]["encryption"], "on")
        self.assertEqual(r["client"]["sent_encryption"], "on")
        self.assertTrue(r["client"]["validates"])
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertTrue(r["tls"]["cipher"].startswith("TLS_"))
        chain = r["tls"]["chain"]
        self.assertEqual(len(chain), 2)
        self.assertIn("CN=localhost", chain[0]["subject"])
        self.assertIn("DNS:localhost", chain[0]["san"])
        self.assertIn("IP:127.0.0.1", chain[0]["san"])
        self.assertEqual(chain[0]["eku"], ["serverAuth"])
        self.assertEqual(len(chain[0]["sha256"]), 64)
        self.assertEqual(r["address"], "127.0.0.1")
        for phase in ("resolve", "connect", "prelogin", "handshake", "total"):
            self.assertGreaterEqual(r["timing_ms"][phase], 0)

    def test_untrusted_chain_system_store(self):
        # The kit's CA is not in the system trust store: the seed's first error.
        r = self.probe({"cert": "good"}, expect_exit=1)
        self.assertDiag(r, "fail", "untrusted_chain", UNTRUSTED)
        self.assertIn("untrusted_chain", self.finding_codes(r))

    def test_name_mismatch(self):
        r = self.probe({"cert": "wrongcn"}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "name_mismatch", NAME)
        self.assertIn("wrong.tdsprobe.test", r["diagnosis"]["cause"] + r["findings"][0]["message"])

    def test_forcibly_closed_tls_version_alert(self):
        # TLS-1.2-only server (the seed's mssql-conf set network.tlsprotocols 1.2) vs a client
        # that stops at TLS 1.1: OpenSSL on Linux answers with an alert.
        r = self.probe({"cert": "good", "tlsprotocols": "1.2"}, "--ca-file", CA,
                       "--tls-max", "1.1", expect_exit=1)
        self.assertDiag(r, "fail", "forcibly_closed", CLOSED)
        self.assertIn("1.2", r["diagnosis"]["fix"])

    def test_forcibly_closed_windows_reset(self):
        r = self.probe({"cert": "good", "tlsprotocols": "1.2", "handshakefailure": "reset"},
                       "--ca-file", CA, "--tls-max", "1.1", expect_exit=1)
        self.assertDiag(r, "fail", "forcibly_closed", CLOSED)

    def test_trust_server_certificate_connects_with_warning(self):
        r = self.probe({"cert": "wrongcn"}, "--trust-server-certificate", expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertFalse(r["client"]["validates"])
        self.assertTrue(r["client"]["trust_server_certificate"])
        sev = {f["code"]: f["severity"] for f in r["findings"]}
        self.assertEqual(sev.get("name_mismatch"), "warning")


class Certificates(ProbeCase):
    def test_expired(self):
        r = self.probe({"cert": "expired"}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "expired")
        self.assertLess(r["tls"]["chain"][0]["days_left"], 0)

    def test_not_yet_valid(self):
        r = self.probe({"cert": "notyet"}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "not_yet_valid")

    def test_client_auth_only_eku(self):
        r = self.probe({"cert": "clientauth"}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "no_server_auth_eku")

    def test_key_usage_without_digital_signature(self):
        r = self.probe({"cert": "keyenconly"}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "bad_key_usage")

    def test_no_key_encipherment_is_a_warning(self):
        r = self.probe({"cert": "nokeyenc"}, "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertIn("bad_key_usage", self.finding_codes(r))

    def test_wildcard_matches_one_label(self):
        r = self.probe({"cert": "wildcard"}, "--ca-file", CA,
                       "--host-name-in-certificate", "db1.tdsprobe.test", expect_exit=0)
        self.assertDiag(r, "ok", "ok")

    def test_wildcard_does_not_match_two_labels(self):
        r = self.probe({"cert": "wildcard"}, "--ca-file", CA,
                       "--host-name-in-certificate", "a.b.tdsprobe.test", expect_exit=1)
        self.assertDiag(r, "fail", "name_mismatch", NAME)

    def test_sha1_signature_accepted_by_server_at_level_0(self):
        r = self.probe({"cert": "sha1", "seclevel": 0}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "weak_signature")
        self.assertEqual(r["tls"]["chain"][0]["signature_algorithm"], "sha1WithRSAEncryption")

    def test_sha1_certificate_refused_by_server_at_level_2(self):
        # The seed's Ubuntu 20.04 case: the server's own OpenSSL will not use the certificate,
        # PRELOGIN is still answered, then the handshake dies: "forcibly closed".
        r = self.probe({"cert": "sha1", "seclevel": 2}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "forcibly_closed", CLOSED)
        self.assertIsNotNone(r["server"])
        text = (r["diagnosis"]["cause"] + r["diagnosis"]["fix"]).lower()
        self.assertIn("sha-1", text)

    def test_rsa1024_weak_key(self):
        r = self.probe({"cert": "rsa1024", "seclevel": 0}, "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "weak_key")
        self.assertEqual(r["tls"]["chain"][0]["key_bits"], 1024)

    def test_fallback_certificate(self):
        # No tlscert: SQL Server's self-signed CN=SSL_Self_Signed_Fallback.
        r = self.probe({}, expect_exit=1)
        self.assertDiag(r, "fail", "untrusted_chain", UNTRUSTED)
        self.assertIn("SSL_Self_Signed_Fallback", r["tls"]["chain"][0]["subject"])
        self.assertTrue(r["tls"]["chain"][0]["self_signed"])
        self.assertIn("fallback_certificate", self.finding_codes(r))
        self.assertIn("tlscert", json.dumps(r["findings"]) + r["diagnosis"]["fix"])

    def test_seed_self_signed_recipe_trusted_by_ca_file(self):
        # The seed's own openssl recipe, trusted as the seed says (copy the .pem to the client),
        # checked against the CN it was made for.
        seed = os.path.join(CERTS, "seed.pem")
        r = self.probe({"cert": "seed"}, "--ca-file", seed,
                       "--host-name-in-certificate", "mssql.contoso.com", expect_exit=0)
        self.assertDiag(r, "ok", "ok")

    def test_ecdsa_leaf(self):
        r = self.probe({"cert": "ecdsa"}, "--ca-file", CA, expect_exit=0)
        self.assertEqual(r["tls"]["chain"][0]["key_type"], "EC")
        self.assertIn("ECDSA", r["tls"]["cipher"])


class Encryption(ProbeCase):
    def test_forced_encryption_with_optional_client_validates(self):
        r = self.probe({"forceencryption": 1}, "--encrypt", "optional", expect_exit=1)
        self.assertEqual(r["server"]["encryption"], "required")
        self.assertEqual(r["client"]["sent_encryption"], "off")
        self.assertTrue(r["client"]["validates"])
        self.assertDiag(r, "fail", "untrusted_chain", UNTRUSTED)

    def test_forced_encryption_with_optional_client_good_cert(self):
        r = self.probe({"cert": "good", "forceencryption": 1}, "--encrypt", "optional",
                       "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")

    def test_optional_is_login_only_and_not_validated(self):
        r = self.probe({}, "--encrypt", "optional", expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["server"]["encryption"], "off")
        self.assertFalse(r["client"]["validates"])
        self.assertIsNotNone(r["tls"])  # login-only still runs a handshake

    def test_encryption_not_supported_mandatory(self):
        r = self.probe({"encryption": "not_supported"}, expect_exit=1)
        self.assertDiag(r, "fail", "encryption_not_supported")
        self.assertEqual(r["server"]["encryption"], "not_supported")
        self.assertIsNone(r["tls"])

    def test_encrypt_disable_sends_not_sup(self):
        # FreeTDS "encryption = off": no TLS at all against a server that does not force it...
        r = self.probe({"cert": "good"}, "--driver", "freetds", "--encrypt", "disable",
                       expect_exit=0)
        self.assertEqual(r["client"]["sent_encryption"], "not_supported")
        self.assertEqual(r["server"]["encryption"], "not_supported")
        self.assertIsNone(r["tls"])
        self.assertIn("client_enc=not_supported", self.srv_log)
        # ...and against a forcing server, which answers REQ and hangs up (MS-TDS table).
        r = self.probe({"forceencryption": 1}, "--driver", "go-mssqldb", "--encrypt", "disable",
                       expect_exit=1)
        self.assertEqual(r["server"]["encryption"], "required")
        self.assertDiag(r, "fail", "encryption_required")

    def test_encryption_not_supported_optional_is_cleartext(self):
        r = self.probe({"encryption": "not_supported"}, "--encrypt", "optional", expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertIsNone(r["tls"])
        self.assertTrue(any(f["severity"] == "warning" for f in r["findings"]))


class Handshake(ProbeCase):
    def test_big_chain_split_into_512_byte_packets(self):
        r = self.probe({"cert": "bigchain", "packetsize": 512}, "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(len(r["tls"]["chain"]), 3)
        self.assertEqual(r["tls"]["chain"][0]["key_bits"], 4096)

    def test_tls10_only_server_vs_tls12_client(self):
        r = self.probe({"cert": "good", "tlsprotocols": "1.0", "seclevel": 0}, "--ca-file", CA,
                       "--tls-min", "1.2", expect_exit=1)
        self.assertIn(r["diagnosis"]["code"], ("protocol_mismatch", "forcibly_closed"))

    def test_certificate_mode(self):
        r = self.probe({"cert": "good"}, "--ca-file", CA, "--handshake", "certificate",
                       expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(len(r["tls"]["chain"]), 2)

    def test_strict_against_strict_server(self):
        r = self.probe({"cert": "good", "strict": 1}, "--encrypt", "strict", "--ca-file", CA,
                       expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["tls"]["alpn"], "tds/8.0")
        self.assertEqual(r["server"]["version"], "16.0.1000")  # PRELOGIN read inside TLS
        self.assertEqual(r["client"]["sent_encryption"], "not_supported")
        self.assertIn("mode=tds8", self.srv_log)

    def test_strict_ignores_trust_server_certificate(self):
        r = self.probe({"cert": "wrongcn", "strict": 1}, "--encrypt", "strict",
                       "--trust-server-certificate", "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "name_mismatch", NAME)
        self.assertTrue(r["client"]["validates"])

    # ---- strict over TLS 1.3 (issue 14): the drivers that speak strict negotiate TLS 1.3 when
    # the server offers it, and so does the probe, with its own TLS 1.3 client; a server without
    # TLS 1.3 gets a second, TLS 1.2 connection ----

    def probe13(self, cert, *args, expect_exit, protocols="1.3"):
        r = self.probe({"cert": cert, "strict": 1, "tlsprotocols": protocols}, "--encrypt",
                       "strict", *args, expect_exit=expect_exit)
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(r["tls"]["alpn"], "tds/8.0")
        self.assertEqual(r["tls"]["group"], "x25519")
        self.assertIsNone(r["server"])  # no PRELOGIN: the TLS 1.3 client sends no application data
        self.assertTrue(r["client"]["validates"])
        return r

    def test_strict_tls13_only_server(self):
        r = self.probe13("good", "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["tls"]["signature_scheme"], "rsa_pss_rsae_sha256")
        self.assertEqual(r["tls"]["stage"], "handshake complete")
        self.assertEqual(len(r["tls"]["chain"]), 2)
        self.assertIn("TLSv1.3", r["diagnosis"]["cause"])
        self.assertIn("mode=tds8", self.srv_log)

    def test_strict_tls13_only_server_ecdsa(self):
        r = self.probe13("ecdsa", "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["tls"]["signature_scheme"], "ecdsa_secp256r1_sha256")

    def test_strict_tls13_only_server_verdicts(self):
        # the same policy, verdicts and texts as over TLS 1.2
        r = self.probe13("good", expect_exit=1)
        self.assertDiag(r, "fail", "untrusted_chain", UNTRUSTED)
        r = self.probe13("wrongcn", "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "name_mismatch", NAME)
        r = self.probe13("expired", "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "expired")

    def test_strict_tls13_only_server_chain_over_4k(self):
        r = self.probe13("bigchain", "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(len(r["tls"]["chain"]), 3)

    def test_strict_tls12_and_13_server_negotiates_tls13(self):
        r = self.probe13("good", "--ca-file", CA, expect_exit=0, protocols="1.2,1.3")
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["tls"]["signature_scheme"], "rsa_pss_rsae_sha256")

    def test_strict_tls12_server_falls_back_to_tls12(self):
        r = self.probe({"cert": "good", "strict": 1, "tlsprotocols": "1.2"}, "--encrypt", "strict",
                       "--ca-file", CA, expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertIsNone(r["tls"]["group"])
        self.assertIsNone(r["tls"]["signature_scheme"])
        self.assertEqual(r["server"]["version"], "16.0.1000")  # PRELOGIN read inside TLS 1.2

    def test_strict_against_pre_2022_server(self):
        r = self.probe({"cert": "good"}, "--encrypt", "strict", "--ca-file", CA, expect_exit=1)
        self.assertDiag(r, "fail", "tds8_not_supported")
        self.assertIn("TDS 8.0", r["diagnosis"]["cause"])
        self.assertIsNone(r["server"])

    def test_strict_with_only_the_fallback_certificate(self):
        # SQL Server 2022 refuses strict connections without a configured certificate (17821).
        r = self.probe({"strict": 1}, "--encrypt", "strict", expect_exit=1)
        self.assertDiag(r, "fail", "tds8_not_supported")
        self.assertIn("17821", r["diagnosis"]["cause"] + r["diagnosis"]["fix"])

    def test_strict_connection_string(self):
        with FakeSQL({"cert": "good", "strict": 1}, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, objs, out, err = run_json(
                "--ca-file", CA, "Server=tcp:127.0.0.1,%d;Encrypt=Strict;" % srv.port)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(objs[0]["mode"], "tds8")

    def test_tls_1_0_accepted_when_client_allows(self):
        # SqlClient on Windows 10 (Schannel) still offers TLS 1.0; on Linux OpenSSL 3 does not
        # (tests/integration/test_client_os.py)
        r = self.probe({"cert": "good", "tlsprotocols": "1.0", "seclevel": 0}, "--ca-file", CA,
                       "--client-os", "windows", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.0")


class Network(ProbeCase):
    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        rc, objs, _, _ = run_json("127.0.0.1,%d" % port)
        self.assertEqual(rc, 2)
        self.check_contract(objs[0])
        self.assertDiag(objs[0], "error", "connection_refused")

    def test_dns_failure(self):
        rc, objs, _, _ = run_json("no-such-host.invalid")
        self.assertEqual(rc, 2)
        self.assertDiag(objs[0], "error", "dns_failure")

    def test_stall_after_accept_times_out_in_prelogin(self):
        r = self.probe({"stall": "accept"}, "--timeout", "1", expect_exit=2)
        self.assertDiag(r, "error", "timeout")
        self.assertIn("prelogin", r["diagnosis"]["message"] + r["diagnosis"]["cause"])

    def test_stall_mid_handshake_times_out_in_handshake(self):
        r = self.probe({"cert": "good", "stall": "handshake"}, "--ca-file", CA,
                       "--timeout", "1", expect_exit=2)
        self.assertDiag(r, "error", "timeout")
        self.assertIn("handshake", r["diagnosis"]["message"] + r["diagnosis"]["cause"])

    def test_reset_after_prelogin(self):
        r = self.probe({"resetafterprelogin": 1}, expect_exit=1)
        self.assertDiag(r, "fail", "forcibly_closed", CLOSED)

    def test_garbage_reply_is_not_tds(self):
        r = self.probe({"nontdsreply": 1}, expect_exit=2)
        self.assertDiag(r, "error", "not_tds")

    def test_malformed_prelogin_is_protocol_error(self):
        # VERSION claims 2 bytes: every parser must refuse it, naming the option.
        bad = "04 01 00 1a 00 00 01 00 00 00 0b 00 02 01 00 0d 00 01 ff 0a 00 00 ff ff ff 00"
        r = self.probe({"preloginhex": bad.replace(" ", "")}, expect_exit=2)
        self.assertDiag(r, "error", "protocol_error")
        self.assertIn("VERSION", r["diagnosis"]["cause"] + r["diagnosis"]["message"])

    def test_named_instance_through_browser(self):
        conf = {"cert": "good", "tcpport": "0,0", "instances": "SQLEXPRESS,DEV",
                "browserport": 0, "servername": "LABSQL"}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, objs, out, err = run_json("--ca-file", CA, "--browser-port", str(srv.udp_port),
                                           "127.0.0.1\\DEV")
            ports = srv.ports
        self.assertEqual(rc, 0, out + err)
        r = objs[0]
        self.check_contract(r)
        self.assertEqual(r["instance"], "DEV")
        self.assertDiag(r, "ok", "ok")
        self.assertGreater(r["port"], 0)
        self.assertEqual(len(ports), 2)
        self.assertEqual(r["port"], ports[1])
        self.assertGreaterEqual(r["timing_ms"]["browser"], 0)

    def test_unknown_instance_is_instance_not_found(self):
        conf = {"cert": "good", "instances": "SQLEXPRESS", "browserport": 0}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, objs, _, _ = run_json("--timeout", "2", "--browser-port", str(srv.udp_port),
                                       "127.0.0.1\\NOPE")
        self.assertEqual(rc, 2)
        self.assertDiag(objs[0], "error", "instance_not_found")
        self.assertIn("NOPE", objs[0]["diagnosis"]["cause"])

    def test_many_targets_one_run(self):
        with FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL) as good, \
                FakeSQL({"cert": "wrongcn"}, certs_dir=CERTS, binary=FAKESQL) as bad:
            rc, objs, _, _ = run_json("--ca-file", CA, "127.0.0.1,%d" % good.port,
                                       "127.0.0.1,%d" % bad.port)
        self.assertEqual(rc, 1)
        codes = sorted(o["diagnosis"]["code"] for o in objs)
        self.assertEqual(codes, ["name_mismatch", "ok"])


# Driver profiles (probe/drivers/: each driver's default Encrypt,
# TrustServerCertificate and TLS range) against five servers, each driver with its defaults.
# (scenario) -> fakesql config and whether the client is given the kit's CA.
SCENARIOS = {
    "trusted": ({"cert": "good"}, True),
    "untrusted": ({}, False),                       # SSL_Self_Signed_Fallback
    "wrong_name": ({"cert": "wrongcn"}, True),
    "forced": ({"forceencryption": 1}, False),      # forced, fallback certificate
    "no_encryption": ({"encryption": "not_supported"}, False),
}
# driver -> expected (status, code) per scenario, in SCENARIOS order.
OK = ("ok", "ok")
UNTR = ("fail", "untrusted_chain")
NAME_ = ("fail", "name_mismatch")
NOSUP = ("fail", "encryption_not_supported")
DRIVER_TABLE = {
    # Encrypt=Mandatory by default: validates; refuses a server without encryption.
    "sqlclient": [OK, UNTR, NAME_, UNTR, NOSUP],
    "odbc18": [OK, UNTR, NAME_, UNTR, NOSUP],
    "jdbc": [OK, UNTR, NAME_, UNTR, NOSUP],
    # Encrypt=False by default: login-only TLS, not validated; forced encryption validated
    # since MDS 2.0, never by ODBC 17.
    "sqlclient-legacy": [OK, OK, OK, UNTR, OK],
    "odbc17": [OK, OK, OK, OK, OK],
    # go-mssqldb without an encrypt key: login-only and TrustServerCertificate=true.
    "go-mssqldb": [OK, OK, OK, OK, OK],
    # tedious encrypt=true validates; against a server that cannot encrypt it sends LOGIN7 in
    # cleartext anyway (tests/agreement: the real client, against both server behaviours).
    "tedious": [OK, UNTR, NAME_, UNTR, ("fail", "cleartext_login")],
    # FreeTDS (encryption = request) validates only when given a CA file.
    "freetds": [OK, OK, NAME_, OK, OK],
}


class Drivers(ProbeCase):
    def test_driver_profiles(self):
        names = list(SCENARIOS)
        for driver, expected in DRIVER_TABLE.items():
            for name, want in zip(names, expected):
                conf, with_ca = SCENARIOS[name]
                args = ["--driver", driver] + (["--ca-file", CA] if with_ca else [])
                with self.subTest(driver=driver, scenario=name):
                    r = self.probe(conf, *args)
                    self.assertEqual((r["status"], r["diagnosis"]["code"]), want,
                                     "%s / %s: %s" % (driver, name, json.dumps(r["client"])))
                    self.assertEqual(r["client"]["driver"], driver)

    def test_seed_connection_strings(self):
        # The seed's strings, against a trusted server, an untrusted one and a wrong name.
        strings = {
            "ado": "Server=127.0.0.1,{port};Encrypt=True; TrustServerCertificate=False;",
            "odbc": "Driver={{ODBC Driver 18 for SQL Server}};Server=127.0.0.1,{port};"
                    "Encrypt=Yes; TrustServerCertificate=no;",
            "jdbc": "jdbc:sqlserver://127.0.0.1:{port};encrypt=true; trustServerCertificate=false;",
            "sqlcmd": "sqlcmd -S 127.0.0.1,{port} -N -U sa -P 'secret'",
        }
        texts = {
            "ado": UNTRUSTED,
            "odbc": "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: "
                    "[error:0A000086:SSL routines::certificate verify failed:",
            "jdbc": "\"encrypt\" property is set to \"true\" and \"trustServerCertificate\"",
            "sqlcmd": "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider:",
        }
        for kind, template in strings.items():
            for conf, with_ca, want in (({"cert": "good"}, True, OK), ({}, False, UNTR),
                                         ({"cert": "wrongcn"}, True, NAME_)):
                with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
                    args = ["--ca-file", CA] if with_ca else []
                    rc, objs, out, err = run_json(*args, template.format(port=srv.port))
                with self.subTest(kind=kind, want=want):
                    self.assertEqual(len(objs), 1, out + err)
                    r = objs[0]
                    self.check_contract(r)
                    self.assertEqual((r["status"], r["diagnosis"]["code"]), want)
                    self.assertNotIn("secret", json.dumps(r))
                    if want == UNTR:
                        self.assertTrue(r["diagnosis"]["message"].startswith(texts[kind]),
                                        r["diagnosis"]["message"])


def run_nagios(*args, timeout=60):
    """Runs tdsprobe --format nagios ARGS; returns (exit code, stdout lines, stderr)."""
    p = subprocess.run([TDSPROBE, "--format", "nagios", *args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout.splitlines(), p.stderr


CHECK_SSL_CERT_DIR = os.environ.get("CHECK_SSL_CERT_DIR", "/usr/lib/nagios/plugins")

# A server that still accepts TLS 1.0 and 1.1 (OpenSSL 3 speaks them only at seclevel 0).
OLD_TLS = {"cert": "good", "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}


class Nagios(unittest.TestCase):
    """--format nagios as Nagios and Icinga run it: exit code 0-3, the first line of stdout."""

    def check(self, config, *args):
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, lines, err = run_nagios("--ca-file", CA, *args, "127.0.0.1,%d" % srv.port)
        self.assertTrue(lines, err)
        return rc, lines[0]

    def test_usage_errors_are_unknown(self):
        # Nagios reads any exit code above 3 as "out of bounds": a usage error or no target is
        # UNKNOWN, with its reason on one line of stdout; stderr still says it.
        cases = [(["--bogus", "db1"], "'--bogus'"),
                 ([], "no TARGET given"),
                 (["Server=db1;Encrypt=maybe"], "'Encrypt'"),
                 (["--ignore", "Not-A-Code", "db1"], "--ignore takes a finding code")]
        for args, reason in cases:
            with self.subTest(args=args):
                rc, lines, err = run_nagios(*args)
                self.assertEqual(rc, 3, lines)
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("TDSPROBE UNKNOWN - "), lines[0])
                self.assertIn(reason, lines[0])
                self.assertIn(reason, err)
        # an error before --format is seen, and --format=nagios, are caught too
        rc, lines, _ = subprocess_lines([TDSPROBE, "--warn-days", "x", "--format=nagios", "db1"])
        self.assertEqual((rc, lines[0][:19]), (3, "TDSPROBE UNKNOWN - "))
        # other formats keep the usage exit code 64
        rc, _, _ = subprocess_lines([TDSPROBE, "--bogus", "db1"])
        self.assertEqual(rc, 64)

    def test_old_tls_accepted_is_warning(self):
        rc, line = self.check(OLD_TLS, "--protocols")
        self.assertEqual(rc, 1, line)
        self.assertTrue(line.startswith("TDSPROBE WARNING - "), line)
        self.assertIn("; policy: old_tls_accepted (warning) |", line)
        self.assertRegex(line, r"\| '127\.0\.0\.1,\d+_days_chain_elem1'=\d+;20;15;; ")

    def test_require_tls12_only(self):
        # implies --protocols; TLS 1.0/1.1 accepted is CRITICAL, a TLS 1.2-only server is OK
        rc, line = self.check(OLD_TLS, "--require-tls12-only")
        self.assertEqual(rc, 2, line)
        self.assertIn("TLS 1.2 not enforced", line)
        rc, line = self.check({"cert": "good", "tlsprotocols": "1.2"}, "--require-tls12-only")
        self.assertEqual(rc, 0, line)
        self.assertTrue(line.startswith("TDSPROBE OK - "), line)

    def test_ignore_a_finding(self):
        rc, line = self.check(OLD_TLS, "--protocols", "--ignore", "old_tls_accepted")
        self.assertEqual(rc, 0, line)
        self.assertNotIn("policy:", line)

    def test_agrees_with_check_ssl_cert(self):
        # check_ssl_cert (Debian monitoring-plugins-contrib) speaks TLS first, as a TDS 8.0
        # strict server does: the same fakesql, judged by both plugins, gives the same state
        # and the same days per chain element.
        plugin = os.path.join(CHECK_SSL_CERT_DIR, "check_ssl_cert")
        self.assertTrue(os.access(plugin, os.X_OK),
                        "check_ssl_cert not found: apt-get install monitoring-plugins-contrib")
        cases = [("1.0,1.1,1.2", [], 2), ("1.1,1.2", [], 2), ("1.2", [], 0),
                 ("1.2", ["900", "15"], 1)]
        for versions, days, want in cases:
            conf = {"cert": "good", "strict": 1, "tlsprotocols": versions, "seclevel": 0}
            theirs_days = ["-w", days[0], "-c", days[1]] if days else []
            ours_days = ["--warn-days", days[0], "--crit-days", days[1]] if days else []
            with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
                theirs = subprocess.run(
                    [plugin, "-H", "127.0.0.1", "-p", str(srv.port), "--rootcert-file", CA,
                     "-m", "localhost", "--ignore-sct", "--ignore-ocsp",
                     "--ignore-maximum-validity", "--require-no-tls1", "--require-no-tls1_1",
                     *theirs_days], capture_output=True, text=True, timeout=120)
                rc, lines, err = run_nagios("--encrypt", "strict", "--ca-file", CA,
                                            "--require-tls12-only", *ours_days,
                                            "127.0.0.1,%d" % srv.port)
            with self.subTest(versions=versions, days=days):
                self.assertEqual(theirs.returncode, want, theirs.stdout)
                self.assertEqual(rc, want, lines)
                perf = re.findall(r"days_chain_elem(\d)=(-?\d+);", theirs.stdout)
                ours = re.findall(r"_days_chain_elem(\d)'=(-?\d+);", lines[0])
                self.assertTrue(perf)
                self.assertEqual(ours, perf)

    def test_trust_server_certificate_is_warning(self):
        # the client connects, but only because it does not check the name: a warning finding
        rc, line = self.check({"cert": "wrongcn"}, "--trust-server-certificate")
        self.assertEqual(rc, 1, line)
        self.assertIn("name_mismatch (warning)", line)


class Prometheus(unittest.TestCase):
    """--format prometheus (the writer tdsprobe serve's /probe uses too) through promtool."""

    def test_identity_and_policy_series(self):
        promtool = shutil.which("promtool") or "/usr/bin/promtool"
        with FakeSQL(OLD_TLS, certs_dir=CERTS, binary=FAKESQL) as srv:
            target = "127.0.0.1,%d" % srv.port
            _, objs, _, _ = run_json("--ca-file", CA, target)
            p = subprocess.run([TDSPROBE, "--format", "prometheus", "--ca-file", CA,
                                "--protocols", target], capture_output=True, text=True,
                               timeout=60)
        body = p.stdout
        check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                               text=True, timeout=30)
        self.assertEqual((check.returncode, check.stdout + check.stderr), (0, ""), body)
        chain = objs[0]["tls"]["chain"]
        for i, cert in enumerate(chain):
            line = ('tdsprobe_ssl_chain_info{target="%s",element="%d",fingerprint_sha256="%s",'
                    'subject="%s",issuer="%s",serialnumber="%s"} 1'
                    % (target, i + 1, cert["sha256"], cert["subject"], cert["issuer"],
                       cert["serial"]))
            self.assertIn(line, body.splitlines())
        self.assertEqual(body.count("tdsprobe_ssl_chain_info{"), len(chain))
        self.assertEqual(body.count("tdsprobe_ssl_chain_not_before_seconds{"), len(chain))
        self.assertIn('tdsprobe_tls12_enforced{target="%s"} 0' % target, body)
        self.assertIn('tdsprobe_finding_info{target="%s",code="old_tls_accepted",'
                      'severity="warning"} 1' % target, body)


def subprocess_lines(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.splitlines(), p.stderr


def nagios_first_line(config, *args):
    """tdsprobe --format nagios against a fakesql: (exit code, first line of stdout)."""
    with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
        p = subprocess.run([TDSPROBE, "--format", "nagios", *args, "127.0.0.1,%d" % srv.port],
                           capture_output=True, text=True, timeout=60)
    return p.returncode, (p.stdout.splitlines() or [""])[0]


def prelogin_reply(encryption):
    """A PRELOGIN reply (TDS header included) with VERSION 16.0.1000 and ENCRYPTION=byte."""
    payload = "00000b0006" "0100110001" "ff" "100003e80000" + "%02x" % encryption
    return "040100%02x00000100" % (8 + len(payload) // 2) + payload


EMPTY_0x12 = "1201000800000100"  # a TDS 0x12 packet, EOM, no payload


def WARNING_ALERT(description):
    """A TLS 1.2 warning alert record (RFC 5246 7.2) in a TDS 0x12 packet."""
    return "1201000f00000100" "1503030002" "01%02x" % description


CLEARTEXT = "The login, password included, is sent in cleartext although encryption was asked for."


class Verdicts(ProbeCase):
    """Issue 10: verdicts that never mislead (cleartext fallback, strict edge cases, the
    smaller inaccuracies)."""

    def assertCleartext(self, r):
        self.assertDiag(r, "fail", "cleartext_login", CLEARTEXT)
        self.assertEqual(r["client"]["sent_encryption"], "on")
        self.assertEqual(r["tls_scope"], "none")
        self.assertIsNone(r["tls"])
        first = r["findings"][0]
        self.assertEqual((first["code"], first["severity"]), ("cleartext_login", "error"))
        self.assertIn("password", first["message"])
        fix = r["diagnosis"]["fix"]
        self.assertIn("options.encrypt: 'strict'", fix)
        self.assertIn("certificate", fix)
        self.assertIn("mssql-conf set network.tlscert", fix)

    def test_tedious_not_sup_server_closes(self):
        # MS-TDS 2.2.6.5: client ON x server NOT_SUP terminates; tedious has already sent LOGIN7
        r = self.probe({"encryption": "not_supported"}, "--driver", "tedious", expect_exit=1)
        self.assertCleartext(r)
        self.assertIn("answered not_supported", r["diagnosis"]["cause"])

    def test_tedious_not_sup_server_reads_login(self):
        r = self.probe({"encryption": "not_supported", "encryption_mismatch": "read_login"},
                       "--driver", "tedious", expect_exit=1)
        self.assertCleartext(r)

    def test_tedious_off_answer_is_cleartext_too(self):
        # tedious starts TLS only on ON or REQ (connection.ts performTlsNegotiation)
        r = self.probe({"cert": "good", "prelogin_hex": prelogin_reply(0x00)},
                       "--driver", "tedious", expect_exit=1)
        self.assertCleartext(r)
        self.assertIn("answered off", r["diagnosis"]["cause"])

    def test_cleartext_login_is_nagios_critical(self):
        rc, line = nagios_first_line({"encryption": "not_supported"}, "--driver", "tedious")
        self.assertEqual(rc, 2, line)
        self.assertTrue(line.startswith("TDSPROBE CRITICAL"), line)
        self.assertIn("cleartext_login", line)

    def test_terminating_drivers_keep_encryption_not_supported(self):
        for driver, extra in (("sqlclient", ()), ("odbc18", ()), ("jdbc", ()),
                              ("go-mssqldb", ("--encrypt", "mandatory")),
                              ("freetds", ("--encrypt", "mandatory"))):
            with self.subTest(driver=driver):
                r = self.probe({"encryption": "not_supported"}, "--driver", driver, *extra,
                               expect_exit=1)
                self.assertDiag(r, "fail", "encryption_not_supported")
                self.assertEqual(r["tls_scope"], "terminate")

    def test_unknown_encryption_byte_per_driver(self):
        # 0x05 and 0xFF are not in MS-TDS 2.2.6.5: SqlClient (anything but NOT_SUP = supports
        # encryption) goes on with TLS and says so; mssql-jdbc rejects the reply; tedious finds
        # no name for it and sends LOGIN7 in cleartext
        for byte in (0x05, 0xFF):
            config = {"cert": "good", "prelogin_hex": prelogin_reply(byte)}
            with self.subTest(byte=byte, driver="sqlclient"):
                r = self.probe(config, "--ca-file", CA, expect_exit=0)
                self.assertDiag(r, "ok", "ok")
                self.assertEqual(r["tls_scope"], "full")
                f = [f for f in r["findings"] if f["code"] == "unknown_encryption_reply"]
                self.assertEqual(len(f), 1, r["findings"])
                self.assertIn("0x%02X" % byte, f[0]["message"])
                self.assertIn("full TLS", f[0]["message"])
            with self.subTest(byte=byte, driver="jdbc"):
                r = self.probe(config, "--driver", "jdbc", "--ca-file", CA, expect_exit=1)
                self.assertDiag(r, "fail", "encryption_not_supported")
                self.assertIn("0x%02X (a value MS-TDS 2.2.6.5 does not define)" % byte,
                              r["diagnosis"]["cause"])
            with self.subTest(byte=byte, driver="tedious"):
                r = self.probe(config, "--driver", "tedious", "--ca-file", CA, expect_exit=1)
                self.assertCleartext(r)
                self.assertIn("0x%02X" % byte, r["diagnosis"]["cause"])

    # ---- section 4: TDS 8.0 strict edge cases ----

    def test_strict_against_other_services_is_not_tds(self):
        for config, text in (({"banner": "SSH-2.0-OpenSSH_9.2p1\\r\\n"}, "SSH-2.0"),
                             ({"nontds_reply": "HTTP/1.1 400 Bad Request\\r\\n\\r\\n"},
                              "HTTP/1.1 400"),
                             ({"banner": "220 mail.example.com ESMTP\\r\\n"}, "220 mail")):
            with self.subTest(text=text):
                r = self.probe(config, "--encrypt", "strict", expect_exit=2)
                self.assertDiag(r, "error", "not_tds")
                cause = r["diagnosis"]["cause"]
                self.assertIn("neither TLS nor TDS", cause)
                self.assertIn(text, cause)
                self.assertNotIn("2022", cause + r["diagnosis"]["fix"])

    def test_strict_tls_alert_is_named_not_tds8_not_supported(self):
        # a TDS 8.0 server with an RSA certificate that allows only ECDSA suites (OpenSSL: "no
        # shared cipher") answers the TLS 1.3 ClientHello with protocol_version and the TLS 1.2
        # one with handshake_failure. (A TLS 1.3-only server is no longer an example: the
        # probe speaks TLS 1.3 in strict mode.)
        r = self.probe({"cert": "good", "strict": "force", "tlsprotocols": "1.2",
                        "tlsciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"},
                       "--encrypt", "strict", "--ca-file", CA, expect_exit=1)
        self.assertNotEqual(r["diagnosis"]["code"], "tds8_not_supported")
        self.assertDiag(r, "fail", "forcibly_closed")
        cause = r["diagnosis"]["cause"]
        self.assertIn("alert handshake_failure, 40", cause)
        self.assertIn("speaks TLS first", cause)

    def test_strict_pre_2022_resets_at_once_for_every_driver(self):
        # a pre-2022 server reads the ClientHello's bytes 2-3 as a TDS length: with record
        # version 0x0301 (OpenSSL, Schannel) that is ~257, a whole bogus packet, reset at once;
        # tedious's TLS 1.2 minimum must not turn it into 0x0303 and a timeout
        for driver in ("tedious", "sqlclient", "odbc18", "jdbc", "go-mssqldb"):
            with self.subTest(driver=driver):
                r = self.probe({"cert": "good"}, "--encrypt", "strict", "--driver", driver,
                               "--timeout", "10", expect_exit=1)
                self.assertDiag(r, "fail", "tds8_not_supported")
                self.assertIn("a reset (TCP RST)", r["diagnosis"]["cause"])
                self.assertLess(r["timing_ms"]["total"], 3000)
                self.assertIn("read as a TDS packet of 2", self.srv_log)
                self.assertTrue(r["client"]["validates"])

    # ---- section 7: a hostile or broken server's reply is named, and the work is bounded ----

    def test_flood_of_empty_handshake_packets(self):
        r = self.probe({"cert": "good", "prelogin_hex": prelogin_reply(1) + EMPTY_0x12 * 200},
                       "--timeout", "20", expect_exit=2)
        self.assertDiag(r, "error", "protocol_error")
        cause = r["diagnosis"]["cause"]
        self.assertIn("64 empty 0x12 packets, 0 TLS warning alerts", cause)
        self.assertIn("stopped reading after 64", cause)
        self.assertLess(r["timing_ms"]["total"], 5000)

    def test_flood_of_tls_warning_alerts(self):
        r = self.probe({"cert": "good",
                        "prelogin_hex": prelogin_reply(1) + WARNING_ALERT(90) * 200},
                       "--timeout", "20", expect_exit=2)
        self.assertDiag(r, "error", "protocol_error")
        self.assertIn("64 TLS warning alerts, the last one user_canceled (90)",
                      r["diagnosis"]["cause"])
        self.assertLess(r["timing_ms"]["total"], 5000)

    def test_warning_alert_mbedtls_refuses_is_named(self):
        # mbedTLS ends the handshake on a no_renegotiation warning: the cause says what came
        r = self.probe({"cert": "good", "prelogin_hex": prelogin_reply(1) + WARNING_ALERT(100)},
                       expect_exit=2)
        self.assertDiag(r, "error", "protocol_error")
        self.assertIn("a TLS warning alert, no_renegotiation (100)", r["diagnosis"]["cause"])

    def test_partial_prelogin_reply_then_silence(self):
        r = self.probe({"prelogin_hex": prelogin_reply(1)[:20]}, "--timeout", "2",
                       expect_exit=2)
        self.assertDiag(r, "error", "timeout")
        cause = r["diagnosis"]["cause"]
        self.assertIn("only 10 bytes of it (its TDS header announces 26)", cause)
        self.assertNotIn("no PRELOGIN reply came back", cause)

    def test_partial_prelogin_reply_then_close(self):
        text = "".join("\\x" + prelogin_reply(1)[i:i + 2] for i in range(0, 20, 2))
        r = self.probe({"nontds_reply": text}, expect_exit=1)
        self.assertDiag(r, "fail", "forcibly_closed")
        cause = r["diagnosis"]["cause"]
        self.assertIn("only 10 bytes of it (its TDS header announces 26)", cause)
        self.assertIn("cut short", cause)
        self.assertNotIn("without answering", cause)

    def test_empty_prelogin_reply_is_protocol_error(self):
        # 04 01 00 08: a whole packet (EOM) with no payload, with and without a FIN after it
        empty = "0401000800000100"
        for config in ({"prelogin_hex": empty},
                       {"nontds_reply": "".join("\\x" + empty[i:i + 2]
                                                for i in range(0, 16, 2))}):
            with self.subTest(config=config):
                r = self.probe(config, "--timeout", "5", expect_exit=2)
                self.assertDiag(r, "error", "protocol_error")
                self.assertIn("PRELOGIN reply is malformed", r["diagnosis"]["cause"])

    def test_validates_before_any_reply(self):
        # no server answer yet: the client's own rule (strict always validates; mandatory
        # without TrustServerCertificate validates), not "false" by default
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        for args, want in (((), True), (("--encrypt", "strict"), True),
                           (("--trust-server-certificate",), False),
                           (("--encrypt", "optional"), False)):
            with self.subTest(args=args):
                rc, objs, _, _ = run_json(*args, "127.0.0.1,%d" % port)
                self.assertDiag(objs[0], "error", "connection_refused")
                self.assertIs(objs[0]["client"]["validates"], want)
        rc, objs, _, _ = run_json("--timeout", "5", "nonexistent.invalid")
        self.assertDiag(objs[0], "error", "dns_failure")
        self.assertIs(objs[0]["client"]["validates"], True)

    def test_strict_client_line_validates_without_handshake(self):
        with FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL) as srv:
            p = subprocess.run([TDSPROBE, "--encrypt", "strict", "127.0.0.1,%d" % srv.port],
                               capture_output=True, text=True, timeout=60)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("Client")][0]
        self.assertIn("validates the certificate", line)
        self.assertNotIn("does not validate", line)

    def test_browser_silence_names_the_browser_port(self):
        conf = {"cert": "good", "instances": "SQLEXPRESS", "browserport": 0}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, objs, _, _ = run_json("--timeout", "2", "--browser-port", str(srv.udp_port),
                                       "127.0.0.1\\NOPE")
            udp = srv.udp_port
        self.assertDiag(objs[0], "error", "instance_not_found")
        cause = objs[0]["diagnosis"]["cause"]
        self.assertIn("UDP %d" % udp, cause)
        self.assertNotIn("1434", cause)
        self.assertIn("UDP %d" % udp, objs[0]["diagnosis"]["fix"])

    def test_tedious_names_the_instance_not_the_port(self):
        # tedious 19 (connection.ts wrapSocketError): "Failed to connect to host\\INST - ..."
        conf = {"cert": "good", "tcpport": "0", "instances": "DEV", "browserport": 0}
        with FakeSQL(conf, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, objs, out, err = run_json("--driver", "tedious", "--browser-port",
                                           str(srv.udp_port), "127.0.0.1\\DEV")
            port = srv.ports[0]
        r = objs[0]
        self.assertDiag(r, "fail", "untrusted_chain",
                        "Failed to connect to 127.0.0.1\\DEV - unable to get local issuer "
                        "certificate")
        self.assertEqual(r["port"], port)

    def test_tedious_encrypt_false_is_not_a_leak_verdict(self):
        # encrypt=false sends NOT_SUP: the client never asked for encryption
        r = self.probe({"encryption": "not_supported"}, "--driver", "tedious",
                       "--encrypt", "optional", expect_exit=0)
        self.assertDiag(r, "ok", "ok")
        self.assertIn("no_encryption", self.finding_codes(r))


GROUPS = {"basics": Basics, "certificates": Certificates, "encryption": Encryption,
          "handshake": Handshake, "network": Network, "drivers": Drivers, "nagios": Nagios,
          "prometheus": Prometheus, "verdicts": Verdicts}

if __name__ == "__main__":
    argv = [a for a in sys.argv[1:] if a in GROUPS]
    flags = [a for a in sys.argv[1:] if a not in GROUPS]
    suite = unittest.TestSuite()
    for name in argv or GROUPS:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(GROUPS[name]))
    verbosity = 2 if "-v" in flags else 1
    ok = unittest.TextTestRunner(verbosity=verbosity).run(suite).wasSuccessful()
    sys.exit(0 if ok else 1)
