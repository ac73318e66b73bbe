#!/usr/bin/env python3
"""One registry of finding codes (probe/diagnose/probe_finding_codes.c), checked from outside.

- `tdsprobe --list-findings` names the same codes as docs/tdsprobe.schema.json's
  $defs/finding_code, and each one appears in docs/design.md and the man page.
- Only the registry writes a finding's code in probe/ (a grep that fails on a new writer).
- Every finding tdsprobe writes for a set of fakesql servers (fallback certificate, login-only
  TLS, no encryption, no validation, TLS 1.0, an expired chain, a forcibly closed handshake
  with its follow-up, the TLS audit, strict, a refused port) is a registered code with one of
  its registered severities, or the diagnosis itself (first, severity error, its code the
  diagnosis code); every record validates against the schema. The set must produce at least
  the codes in WANT_SEEN, so the check cannot pass on empty findings.
- --ignore (tdsprobe and tdsprobe serve, and a modules file's ignore key): an unknown code is a
  usage error naming the nearest code and --list-findings, UNKNOWN (exit 3) under --format
  nagios; a diagnosis code that is no finding code is refused saying so; a registered code
  still changes the Nagios state as before (a fallback certificate without validation is
  WARNING, OK once its four warnings are ignored).
- A start failure under --format nagios (the open-file limit below what the run needs, hard
  limit too, so it cannot be raised) is one `TDSPROBE UNKNOWN - ...` line and exit 3; other
  formats keep exit 2.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest).
"""
import json
import os
import re
import resource
import subprocess
import tempfile
import unittest

from fakesql import FakeSQL
import tdsprobe_schema
from tdsprobe_run import CA, CERTS, FAKESQL, TDSPROBE, closed_port  # noqa: F401

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

OLD_TLS = {"cert": "good", "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}
# name -> (fakesql config or None for a closed port, tdsprobe arguments)
CASES = {
    "fallback": ({}, []),
    "fallback_unvalidated": ({}, ["--trust-server-certificate"]),
    "login_only": ({}, ["--encrypt", "optional"]),
    "no_encryption": ({"encryption": "not_supported"}, ["--encrypt", "optional"]),
    "tls10_windows": ({"cert": "good", "tlsprotocols": "1.0", "seclevel": 0},
                      ["--ca-file", CA, "--client-os", "windows"]),
    "expired": ({"cert": "expired"}, ["--ca-file", CA]),
    "forcibly_closed": ({"cert": "good", "tlsprotocols": "1.2"},
                        ["--ca-file", CA, "--tls-max", "1.1"]),
    "audit": (OLD_TLS, ["--ca-file", CA, "--protocols", "--ciphers"]),
    "strict": ({"cert": "good", "strict": 1}, ["--encrypt", "strict", "--ca-file", CA]),
    "refused": (None, []),
}
WANT_SEEN = {"untrusted_chain", "name_mismatch", "fallback_certificate", "no_validation",
             "login_only_tls", "no_encryption", "old_tls_version", "expired",
             "followup_handshake", "old_tls_accepted", "weak_cipher_accepted"}


def run(args, preexec_fn=None, timeout=120):
    return subprocess.run([TDSPROBE] + list(args), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec_fn)


def list_findings():
    """code -> (severities, meaning) from tdsprobe --list-findings."""
    p = run(["--list-findings"])
    assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr)
    out = {}
    last = None
    for line in p.stdout.splitlines():
        assert len(line) <= 100, "--list-findings line over 100 columns: %r" % line
        if line.startswith(" "):  # the meaning goes on, wrapped
            assert last is not None, line
            out[last] = (out[last][0], out[last][1] + " " + line.strip())
            continue
        m = re.fullmatch(r"([a-z0-9_]+) +((?:error|warning|info)(?:, (?:warning|info))*) +(.+)",
                         line)
        assert m, "unexpected --list-findings line: %r" % line
        last = m.group(1)
        out[last] = (m.group(2).split(", "), m.group(3))
    return out


def probe_json(config, args):
    if config is None:
        p = run(["--json"] + args + ["127.0.0.1,%d" % closed_port()])
    else:
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            p = run(["--json"] + args + ["127.0.0.1,%d" % srv.port])
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()], p


class Registry(unittest.TestCase):
    def test_list_matches_schema_docs_and_man(self):
        codes = list_findings()
        self.assertGreaterEqual(len(codes), 20)
        schema = tdsprobe_schema.load_schema()
        self.assertEqual(sorted(codes), sorted(schema["$defs"]["finding_code"]["enum"]))
        with open(os.path.join(ROOT, "docs", "design.md"), encoding="utf-8") as f:
            design = f.read()
        with open(os.path.join(ROOT, "docs", "man", "tdsprobe.1"), encoding="utf-8") as f:
            man = f.read()
        for code in codes:
            with self.subTest(code=code):
                self.assertIn("`%s`" % code, design)
                self.assertRegex(man, r"\b%s\b" % code)
        self.assertIn("--list-findings", design)
        self.assertIn("list\\-findings", man)
        # a finding code that is also a diagnosis is in the diagnosis set too
        diags = set(schema["$defs"]["diagnosis"]["properties"]["code"]["enum"])
        self.assertEqual(sorted(c for c in codes if c in diags),
                         ["bad_key_usage", "expired", "name_mismatch", "no_server_auth_eku",
                          "not_yet_valid", "pin_mismatch", "tls_library_limit",
                          "untrusted_chain", "weak_key", "weak_signature"])

    def test_only_the_registry_writes_a_code(self):
        writer = re.compile(r"(->|\.)code\s*,\s*sizeof|(->|\.)code\[[^\]]*\]\s*=[^=]")
        found = []
        for layer in sorted(os.listdir(os.path.join(ROOT, "probe"))):
            d = os.path.join(ROOT, "probe", layer)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                if not name.endswith(".c"):
                    continue
                with open(os.path.join(d, name), encoding="utf-8") as f:
                    for n, line in enumerate(f, 1):
                        if writer.search(line):
                            found.append("probe/%s/%s:%d" % (layer, name, n))
        # the registry, and the summary's copy of a code already written (probe_summary.c)
        self.assertEqual([re.sub(r":\d+$", "", x) for x in found],
                         ["probe/diagnose/probe_finding_codes.c",
                          "probe/output/probe_summary.c"], found)


class Emitted(unittest.TestCase):
    records = {}

    @classmethod
    def setUpClass(cls):
        cls.codes = list_findings()
        for name, (config, args) in CASES.items():
            cls.records[name] = probe_json(config, args)

    def test_every_finding_is_registered(self):
        seen = set()
        for name, (objs, p) in self.records.items():
            with self.subTest(case=name):
                self.assertEqual(len(objs), 1, p.stderr)
                tdsprobe_schema.check_records(objs)
                r = objs[0]
                for i, f in enumerate(r["findings"]):
                    seen.add(f["code"])
                    if f["code"] in self.codes:
                        self.assertIn(f["severity"], self.codes[f["code"]][0], f)
                    else:  # the diagnosis itself: first, an error, the diagnosis's code
                        self.assertEqual((i, f["code"], f["severity"]),
                                         (0, r["diagnosis"]["code"], "error"), f)
        self.assertEqual(WANT_SEEN - seen, set())
        self.assertIn("forcibly_closed", seen)  # a diagnosis-only code, as the diagnosis
        self.assertIn("connection_refused", seen)

    def test_cases_mean_what_they_say(self):
        r = {name: objs[0] for name, (objs, _) in self.records.items()}
        self.assertEqual(r["fallback"]["diagnosis"]["code"], "untrusted_chain")
        self.assertEqual(r["fallback_unvalidated"]["status"], "ok")
        self.assertEqual(r["tls10_windows"]["status"], "ok")
        self.assertEqual(r["refused"]["diagnosis"]["code"], "connection_refused")
        self.assertEqual(r["strict"]["mode"], "tds8")


class Ignore(unittest.TestCase):
    def test_typo_is_a_usage_error(self):
        p = run(["--ignore", "fallback_certificat", "127.0.0.1,1"])
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("tdsprobe: --ignore: unknown finding code 'fallback_certificat' (did you "
                      "mean fallback_certificate?); tdsprobe --list-findings lists them",
                      p.stderr)

    def test_typo_under_nagios_is_unknown(self):
        p = run(["--format", "nagios", "--ignore", "old_tls_acepted", "127.0.0.1,1"])
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, "TDSPROBE UNKNOWN - --ignore: unknown finding code "
                         "'old_tls_acepted' (did you mean old_tls_accepted?); tdsprobe "
                         "--list-findings lists them\n")

    def test_diagnosis_code_is_refused_as_such(self):
        for code in ("forcibly_closed", "timeout", "dns_failure", "ok"):
            with self.subTest(code=code):
                p = run(["--ignore", code, "127.0.0.1,1"])
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn("--ignore: '%s' is a diagnosis code, not a finding code" % code,
                              p.stderr)
                self.assertIn("--list-findings", p.stderr)

    def test_serve_refuses_too(self):
        p = run(["serve", "--listen", "127.0.0.1:0", "--ignore", "expiry"], timeout=20)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("unknown finding code 'expiry' (did you mean expired?)", p.stderr)
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "modules.conf")
            with open(conf, "w") as f:
                f.write("[module a]\nignore = self_signed, weak_ciphers_accepted\n")
            p = run(["serve", "--listen", "127.0.0.1:0", "--config", conf], timeout=20)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("%s:2: --ignore: unknown finding code 'weak_ciphers_accepted' (did you "
                      "mean weak_cipher_accepted?)" % conf, p.stderr)

    def test_a_registered_code_still_ignores(self):
        with FakeSQL({}, certs_dir=CERTS, binary=FAKESQL) as srv:
            target = "127.0.0.1,%d" % srv.port
            base = ["--format", "nagios", "--trust-server-certificate"]
            warn = run(base + [target])
            ignore = []
            for code in ("untrusted_chain", "name_mismatch", "fallback_certificate",
                         "no_validation"):
                ignore += ["--ignore", code]
            ok = run(base + ignore + [target])
        self.assertEqual(warn.returncode, 1, warn.stdout + warn.stderr)
        self.assertTrue(warn.stdout.startswith("TDSPROBE WARNING - "), warn.stdout)
        self.assertIn("fallback_certificate (warning)", warn.stdout)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertTrue(ok.stdout.startswith("TDSPROBE OK - "), ok.stdout)


def nofile(n):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return set_limit


class StartFailure(unittest.TestCase):
    def test_nagios_start_failure_is_unknown(self):
        p = run(["--format", "nagios", "--ca-file", CA, "127.0.0.1,1"], preexec_fn=nofile(10))
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        self.assertTrue(lines[0].startswith("TDSPROBE UNKNOWN - the open-file limit "
                                            "(RLIMIT_NOFILE) is 10 and cannot be raised"),
                        lines[0])
        self.assertIn("RLIMIT_NOFILE", p.stderr)  # stderr keeps the reason, as for every format

    def test_other_formats_keep_exit_2(self):
        for fmt in ("json", "text", "prometheus"):
            with self.subTest(format=fmt):
                p = run(["--format", fmt, "--ca-file", CA, "127.0.0.1,1"],
                        preexec_fn=nofile(10))
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn("the open-file limit (RLIMIT_NOFILE) is 10", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
