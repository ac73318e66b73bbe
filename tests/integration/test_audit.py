#!/usr/bin/env python3
"""The TLS policy audit (--protocols, --ciphers) agrees with nmap's ssl-enum-ciphers.

fakesql (OpenSSL, like SQL Server on Linux) listens on 1433 in a private network namespace,
because nmap applies its TDS wrapper only to ms-sql-s; both tools audit it, and for every TLS
version the sets of accepted suites must be equal over the suites both tools know (tdsprobe
offers what mbedTLS has: `tdsprobe --list-suites`; nmap knows every IANA suite).

Configurations (the issue's three): tlsprotocols = 1.2; 1.0,1.1,1.2 at security level 0; and a
restricted network.tlsciphers list.
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest). Runs as root (CI) or where user
namespaces are allowed.
"""
import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

from fakesql import FakeSQL
import tdsprobe_schema

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
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


def main():
    if os.environ.get("AUDIT_IN_NETNS") != "1":
        cmd = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        cmd += ["env", "AUDIT_IN_NETNS=1", sys.executable, os.path.abspath(__file__)]
        os.execvp(cmd[0], cmd + sys.argv[1:])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
