#!/usr/bin/env python3
"""Agreement tests: real clients and tdsprobe's driver profiles against the same fakesql.

For every scenario (a fakesql configuration) and every client setting, the real client connects
first (tedious through tedious_connect.js, FreeTDS through `tsql` with a private freetds.conf),
then `tdsprobe --json --driver tedious|freetds` with the equivalent options probes the same
server. The test asserts that tdsprobe predicted what the client did:

  * status "ok"   <=> the client reached the login (fakesql's error 18456: "login_failed");
  * status "fail" with cleartext_login <=> the client asked for encryption and sent LOGIN7 in
    cleartext (tedious's states, no TLS), whether the server then read it or hung up;
  * other "fail" <=> the client failed before the login, with an error of the matching class
    (certificate codes <-> the TLS library's certificate error, and the same kind of certificate
    error where the client says which; encryption_required / encryption_not_supported <-> the
    client's encryption error; forcibly_closed / protocol_mismatch <-> a socket or TLS-version
    error);
  * the ENCRYPTION byte tdsprobe says the driver sends (client.sent_encryption) is the byte
    fakesql logged for the real client, and fakesql answered both the same;
  * tdsprobe's tls_scope is the scope fakesql logged for the real client's connection
    (none / login_only / full / terminate);
  * client.validates matches what the client showed wherever the certificate was one it would
    refuse if it validated (untrusted chain, wrong name): refused <=> validates.

The settings map as follows (tedious encrypt=false sends NOT_SUP, so it maps to --encrypt
optional, which tdsprobe's tedious profile turns into NOT_SUP):

  tedious  encrypt=true [+ ca]          --encrypt mandatory [--ca-file ca.pem]
  tedious  encrypt=false                --encrypt optional
  tedious  trustServerCertificate=true  --encrypt mandatory --trust-server-certificate
  tsql     encryption = require [+ ca file]   --encrypt mandatory [--ca-file ca.pem]
  tsql     encryption = request [+ ca file]   --encrypt optional  [--ca-file ca.pem]

Without a CA, tedious uses Node's bundled roots and tdsprobe the system store: neither knows the
kit's CA. FreeTDS without "ca file" does not validate, which the freetds profile models.

Cases whose agreement needs a correction of a driver's row (probe/drivers/probe_driver.c) are
listed in
PROFILE_CORRECTIONS: they assert what the real client did (the client wins) and pass once the
profile is fixed. A disagreement prints the case, the client's JSON and tdsprobe's JSON.

Usage: test_agreement.py tedious|freetds [-v] [-k SUBSTRING] [--list]
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (as for tests/integration), NODE_PATH (the
node_modules holding tedious), NODE (node binary, default "node").
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from fakesql import FakeSQL
import tdsprobe_schema

HERE = os.path.dirname(os.path.abspath(__file__))
TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
NODE = os.environ.get("NODE", "node")
HOST = "127.0.0.1"  # the kit's good leaf carries IP:127.0.0.1; no dependence on /etc/hosts

def prelogin_reply(encryption):
    """A canned PRELOGIN reply (TDS header included): VERSION 16.0.1000, ENCRYPTION=byte."""
    payload = "00000b0006" "0100110001" "ff" "100003e80000" + "%02x" % encryption
    return "040100%02x00000100" % (8 + len(payload) // 2) + payload


# ---- scenarios: fakesql configurations ----
# "bad_cert": the certificate a validating client must refuse even with the kit CA
# (None: the certificate is fine given the CA).
SCENARIOS = {
    "trusted": ({"cert": "good"}, None),
    "fallback": ({}, "untrusted"),  # SSL_Self_Signed_Fallback, as SQL Server without tlscert
    "wrong_name": ({"cert": "wrongcn"}, "name"),
    "expired": ({"cert": "expired"}, "expired"),
    "forced": ({"cert": "good", "forceencryption": 1}, None),
    "forced_fallback": ({"forceencryption": 1}, "untrusted"),
    # a server without a certificate: after its NOT_SUP answer to a client that asked for
    # encryption it closes (MS-TDS 2.2.6.5: "connection terminated"; SQL Server), or reads the
    # cleartext LOGIN7 (a non-Microsoft TDS endpoint, or a machine in the middle that rewrote
    # the reply): fakesql's encryption_mismatch, both covered
    "not_supported": ({"encryption": "not_supported"}, None),
    "not_supported_read_login": ({"encryption": "not_supported",
                                  "encryption_mismatch": "read_login"}, None),
    # PRELOGIN replies a SQL Server never sends (MS-TDS 2.2.6.5 has ON -> ON for a server with
    # a certificate): OFF to an ON client, as a machine in the middle may rewrite it, and a byte
    # outside the table; fakesql follows the client afterwards (TLS or a cleartext LOGIN7)
    "answers_off": ({"cert": "good", "prelogin_hex": prelogin_reply(0x00)}, None),
    "answers_0x05": ({"cert": "good", "prelogin_hex": prelogin_reply(0x05)}, None),
    "tls12_only": ({"cert": "good", "tlsprotocols": "1.2"}, None),
    "tls11_only": ({"cert": "good", "tlsprotocols": "1.1", "seclevel": 0}, None),
    "tls10_only": ({"cert": "good", "tlsprotocols": "1.0", "seclevel": 0}, None),
    "strict_server": ({"cert": "good", "strict": 1}, None),  # SQL Server 2022: TDS 8.0 too
    # strict over TLS 1.3 (tedious negotiates it when offered): a TLS 1.3-only server (TDS 7.x
    # there has no TLS version left, MS-TDS 2.1: TLS 1.3 only with TDS 8.0) and a 1.2+1.3 one,
    # each with a trusted, an untrusted (self-signed) and a wrong-name certificate
    "strict_tls13": ({"cert": "good", "strict": 1, "tlsprotocols": "1.3"}, None),
    "strict_tls13_untrusted": ({"cert": "selfsigned", "strict": 1, "tlsprotocols": "1.3"},
                               "untrusted"),
    "strict_tls13_wrong_name": ({"cert": "wrongcn", "strict": 1, "tlsprotocols": "1.3"}, "name"),
    # a HelloRetryRequest: secp384r1 is in both ClientHellos' groups but neither has a share
    "strict_tls13_hello_retry": ({"cert": "good", "strict": 1, "tlsprotocols": "1.3",
                                  "groups": "P-384"}, None),
    "strict_tls12_13": ({"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}, None),
    "strict_tls12_13_untrusted": ({"cert": "selfsigned", "strict": 1,
                                   "tlsprotocols": "1.2,1.3"}, "untrusted"),
    "strict_tls12_13_wrong_name": ({"cert": "wrongcn", "strict": 1, "tlsprotocols": "1.2,1.3"},
                                   "name"),
    # the client's TLS stack decides (docs/client-platforms.md): Node's OpenSSL 3 (level 1) and
    # Debian's GnuTLS refuse a SHA-1 signature and accept an RSA-1024 key
    "sha1_leaf": ({"cert": "sha1", "seclevel": 0}, "cert"),
    "rsa1024_leaf": ({"cert": "rsa1024", "seclevel": 0}, None),
}

# ---- client settings ----
# name: (client arguments, tdsprobe arguments, client has the kit CA)
TEDIOUS_SETTINGS = {
    "encrypt_ca": (["--encrypt", "true", "--ca", CA],
                   ["--encrypt", "mandatory", "--ca-file", CA], True),
    "encrypt_noca": (["--encrypt", "true"], ["--encrypt", "mandatory"], False),
    "encrypt_false": (["--encrypt", "false"], ["--encrypt", "optional"], False),
    "trust": (["--encrypt", "true", "--trust-server-certificate"],
              ["--encrypt", "mandatory", "--trust-server-certificate"], False),
    # TDS 8.0: against every scenario above (all pre-2022 servers: fakesql strict = 0 reads the
    # ClientHello as a TDS header) and against strict_server
    "strict": (["--encrypt", "strict", "--ca", CA], ["--encrypt", "strict", "--ca-file", CA],
               True),
}
FREETDS_SETTINGS = {
    "require_ca": ({"encryption": "require", "ca file": CA},
                   ["--encrypt", "mandatory", "--ca-file", CA], True),
    "require": ({"encryption": "require"}, ["--encrypt", "mandatory"], False),
    "request_ca": ({"encryption": "request", "ca file": CA},
                   ["--encrypt", "optional", "--ca-file", CA], True),
    "request": ({"encryption": "request"}, ["--encrypt", "optional"], False),
}

# Cases where the real client disagrees with tdsprobe as it stood when these tests were written
# (the client wins). They assert what the client did, so they fail until the rule named here is
# corrected, and pass from then on. Each entry: (where, the rule and the evidence, cases).
CORRECTIONS = [
    # none open: the freetds tls_min, tedious dates_before_chain and tedious NOT_SUP entries
    # were corrected in the rows (the last one as on_answered_not_sup: cleartext_login)
]
PROFILE_CORRECTIONS = {case: "%s: %s" % (where, rule)
                       for where, rule, cases_ in CORRECTIONS for case in cases_}


def node_uses_system_openssl():
    """Debian's and Ubuntu's nodejs packages link the system's libssl and follow its
    openssl.cnf (Debian: CipherString DEFAULT@SECLEVEL=2); Node's own builds (nodejs.org,
    NodeSource, the Docker images) bundle OpenSSL 3 at its default, security level 1."""
    p = subprocess.run([NODE, "-p", "process.config.variables.node_shared_openssl"],
                       capture_output=True, text=True)
    return p.stdout.strip() == "true"


# Known differences: tdsprobe's tedious row on Linux models Node's own builds (OpenSSL 3 at
# level 1, which accepts an RSA-1024 leaf). A Node linked to the system's OpenSSL refuses the
# key at the system's level 2 ("EE certificate key too weak"), and tdsprobe cannot tell which
# Node the user runs. Each entry: (when it applies, what the client must have done, what
# tdsprobe must have said). Neither side may drift: a case listed here that agrees, or
# disagrees in another way, fails.
def known_rsa1024(real, probe):
    weak = [f for f in probe["findings"] if f["code"] == "weak_key"]
    return (real["outcome"] == "tls_error" and "key too weak" in real.get("cause_message", "")
            and len(weak) == 1 and weak[0]["severity"] == "warning"
            and "security level 1 accepts it" in weak[0]["message"])


KNOWN_DIFFERENCES = {
    "tedious/rsa1024_leaf/encrypt_ca": (node_uses_system_openssl, known_rsa1024),
    "tedious/rsa1024_leaf/encrypt_noca": (node_uses_system_openssl, known_rsa1024),
}

CERT_CODES = {"untrusted_chain", "name_mismatch", "expired", "not_yet_valid", "weak_signature",
              "weak_key", "no_server_auth_eku", "bad_key_usage", "pin_mismatch"}
# the certificate error kinds a client names, for the diagnosis codes that have one
CERT_KIND = {"untrusted_chain": "untrusted", "name_mismatch": "name", "expired": "expired",
             "not_yet_valid": "not_yet_valid"}


# ---- running the real clients ----

# Node's codes for certificate errors, by kind (X509_V_ERR names, ERR_TLS_CERT_ALTNAME_INVALID)
NODE_CERT_KINDS = {
    "DEPTH_ZERO_SELF_SIGNED_CERT": "untrusted", "SELF_SIGNED_CERT_IN_CHAIN": "untrusted",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY": "untrusted", "UNABLE_TO_GET_ISSUER_CERT": "untrusted",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE": "untrusted", "CERT_UNTRUSTED": "untrusted",
    "ERR_TLS_CERT_ALTNAME_INVALID": "name", "HOSTNAME_MISMATCH": "name",
    "CERT_HAS_EXPIRED": "expired", "CERT_NOT_YET_VALID": "not_yet_valid",
    "UNSPECIFIED": "cert",  # CA_MD_TOO_WEAK, which Node has no name for (tedious_connect.js)
}


def run_tedious(port, args):
    """tedious_connect.js; returns its JSON plus "kind" (the error's kind, see classify)."""
    cmd = [NODE, os.path.join(HERE, "tedious_connect.js"), "--server", HOST, "--port", str(port),
           "--timeout", "8000"] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or len(lines) != 1:
        raise AssertionError("tedious_connect.js failed (exit %d):\nstdout: %s\nstderr: %s"
                             % (p.returncode, p.stdout, p.stderr))
    r = json.loads(lines[0])
    cause = r.get("cause_code") or ""
    if r["outcome"] == "tls_error":
        r["kind"] = NODE_CERT_KINDS.get(cause, "cert" if re.search("CERT", cause) else "protocol")
    else:
        r["kind"] = r["outcome"]
    return r


# GnuTLS certificate status bits (gnutls_certificate_status_t)
GNUTLS_SIGNER_NOT_FOUND, GNUTLS_SIGNER_NOT_CA = 1 << 6, 1 << 7
GNUTLS_NOT_ACTIVATED, GNUTLS_EXPIRED = 1 << 9, 1 << 10


def run_tsql(port, settings):
    """tsql with a private freetds.conf and TDSDUMP; returns a dict like tedious_connect.js's:
    outcome, kind, message (tsql's own output), detail (the dump lines that decided), encrypted.
    """
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "freetds.conf")
        dump = os.path.join(d, "tds.dump")
        with open(conf, "w") as f:
            f.write("[fake]\n\thost = %s\n\tport = %d\n\ttds version = 7.4\n"
                    "\tconnect timeout = 8\n" % (HOST, port))
            for k, v in settings.items():
                f.write("\t%s = %s\n" % (k, v))
        env = dict(os.environ, FREETDSCONF=conf, HOME=d, TDSDUMP=dump)
        p = subprocess.run(["tsql", "-S", "fake", "-U", "sa", "-P", "x"], capture_output=True,
                           text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)
        try:
            with open(dump, encoding="utf-8", errors="replace") as f:
                log = f.read()
        except OSError:
            log = ""
    out = p.stdout + p.stderr
    msgs = re.findall(r"^(?:Msg|Error) \d+ .*\n\s*(.*)$", out, re.M)
    r = {"outcome": None, "kind": None, "message": " | ".join(m.strip('"') for m in msgs),
         "encrypted": "handshake succeeded" in log, "detail": []}
    keep = (r"detected crypt flag", r"handshake (succeeded|failed)", r"Certificate status",
            r"Certificate hostname", r"checking hostname", r"tdserror\(.*, (\d+), ")
    r["detail"] = [ln.strip() for ln in log.splitlines()
                   if any(re.search(k, ln) for k in keep)]
    status = re.search(r"Certificate status: (\d+)", log)
    if "Msg 18456" in out:
        r["outcome"] = r["kind"] = "login_failed"
    elif "Certificate hostname does not match" in log:
        r["outcome"], r["kind"] = "tls_error", "name"
    elif status:
        bits = int(status.group(1))
        r["outcome"] = "tls_error"
        r["kind"] = ("expired" if bits & GNUTLS_EXPIRED else
                     "not_yet_valid" if bits & GNUTLS_NOT_ACTIVATED else
                     "untrusted" if bits & (GNUTLS_SIGNER_NOT_FOUND | GNUTLS_SIGNER_NOT_CA) else
                     "cert")
    elif re.search(r"handshake failed", log):
        # the handshake died without a certificate verdict: version, alert or hang-up
        r["outcome"], r["kind"] = "tls_error", "protocol"
    elif "Error 20003" in out:
        r["outcome"] = r["kind"] = "timeout"
    elif re.search(r"detected crypt flag", log) and "Error 20017" not in out:
        # PRELOGIN answered, then FreeTDS gave up without TLS or login: its encryption check
        # (login.c: "encryption = require" and the server answered NOT_SUP -> TDS_FAIL)
        r["outcome"] = r["kind"] = "encryption_error"
    else:
        r["outcome"] = r["kind"] = "socket_error"
    return r


def run_probe(port, args, driver):
    cmd = [TDSPROBE, "--json", "--timeout", "8", "--driver", driver] + args + \
          ["%s,%d" % (HOST, port)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    objs = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    if len(objs) != 1:
        raise AssertionError("tdsprobe printed %d objects (exit %d):\n%s\n%s"
                             % (len(objs), p.returncode, p.stdout, p.stderr))
    if tdsprobe_schema.available():  # docs/tdsprobe.schema.json
        tdsprobe_schema.check_records(objs)
    return objs[0]


# ---- what fakesql saw ----

def observed_scope(conn):
    """The TLS scope of one connection as fakesql logged it."""
    if conn.get("outcome") == "terminated":
        return "terminate"
    if (conn.get("outcome") == "client_closed" and "after_prelogin" in conn.get("detail", "")
            and not conn.get("user")):
        # the client read the PRELOGIN answer and gave up without TLS or login
        return "terminate"
    if conn.get("scope") == "strict" or "state tls_strict" in conn.get("detail", ""):
        # TDS 8.0: everything inside TLS, also when the client gave up in the handshake (a
        # TLS 1.3 client that refuses the certificate closes after the server's whole flight)
        return "full"
    if conn.get("scope"):
        return conn["scope"]
    tls_started = (conn.get("outcome") == "handshake_failed" or
                   "tls_in_tds" in conn.get("detail", ""))
    if tls_started:
        # the handshake did not finish: the negotiation table decides (MS-TDS 2.2.6.5)
        both_off = conn.get("client_enc") == "off" and conn.get("reply_enc") == "off"
        return "login_only" if both_off else "full"
    return "none"


ENC_NAMES = {"off", "on", "not_supported", "required"}


# ---- the agreement check ----

def expected_classes(code, client):
    """The client outcomes/kinds that agree with a failing diagnosis code."""
    if code in CERT_CODES:
        kind = CERT_KIND.get(code)
        return {("tls_error", kind)} if kind else {("tls_error", k) for k in
                                                  ("cert", "untrusted", "name", "expired",
                                                   "not_yet_valid")}
    if code == "encryption_required":
        return {("encryption_error", "encryption_error")}
    if code == "encryption_not_supported":
        return {("encryption_error", "encryption_error")}
    if code == "tds8_not_supported":
        # the pre-2022 server resets the connection after the ClientHello
        return {("socket_error", "socket_error"), ("tls_error", "protocol")}
    if code in ("forcibly_closed", "protocol_mismatch"):
        return {("socket_error", "socket_error"), ("tls_error", "protocol")}
    return set()


def sent_login_in_cleartext(client, real, conn_client):
    """The client sent LOGIN7 without TLS after asking for encryption: tedious entered its
    SentLogin7WithStandardLogin state with no TLS handshake, and then either the server read the
    login (fakesql logged the user) or hung up after its answer (MS-TDS 2.2.6.5 terminates)."""
    if client != "tedious" or real["encrypted"] or conn_client.get("client_enc") != "on":
        return False
    states = real.get("states") or []
    if "SentLogin7WithStandardLogin" not in states or "SentTLSSSLNegotiation" in states:
        return False
    read = real["outcome"] == "login_failed" and conn_client.get("user") is not None
    hung_up = real["kind"] == "socket_error" and conn_client.get("outcome") == "terminated"
    return read or hung_up


def check_case(client, scen, setting, bad_cert, has_ca, real, probe, conn_client, conn_probe):
    """Returns the list of disagreements (empty when tdsprobe and the client agree)."""
    errs = []
    status = probe["status"]
    code = probe["diagnosis"]["code"]
    reached_login = real["outcome"] == "login_failed"
    cleartext = sent_login_in_cleartext(client, real, conn_client)

    # 1. the verdict (cleartext_login: the client asked for encryption and sent its login
    # without it, whatever the server did with it next)
    if code == "cleartext_login" or cleartext:
        if code != "cleartext_login" or not cleartext:
            errs.append("tdsprobe says %s %s; the client %s its LOGIN7 in cleartext (%s/%s)"
                        % (status, code, "sent" if cleartext else "did not send",
                           real["outcome"], real["kind"]))
    elif status == "ok" and not reached_login:
        errs.append("tdsprobe says ok, the client failed before login (%s/%s)"
                    % (real["outcome"], real["kind"]))
    elif status == "fail":
        if reached_login:
            errs.append("tdsprobe says fail (%s), the client reached the login" % code)
        elif (real["outcome"], real["kind"]) not in expected_classes(code, client):
            errs.append("tdsprobe says %s, the client failed with %s/%s"
                        % (code, real["outcome"], real["kind"]))
    elif status not in ("ok", "fail"):
        errs.append("tdsprobe could not reach a verdict: status %s (%s)" % (status, code))

    # 2. the ENCRYPTION byte sent, and the server's answer to it (TDS 8.0: the PRELOGIN is
    # inside TLS, where fakesql logs no byte; both connections must be TDS 8.0)
    sent = probe["client"]["sent_encryption"]
    if probe["mode"] == "tds8":
        for who, conn in (("the client", conn_client), ("tdsprobe", conn_probe)):
            if conn.get("mode") != "tds8":
                errs.append("%s's connection was not TDS 8.0 (%s)" % (who, conn.get("mode")))
    elif conn_client.get("client_enc") != sent:
        errs.append("the client sent ENCRYPTION=%s, tdsprobe's profile sends %s"
                    % (conn_client.get("client_enc"), sent))
    if probe["mode"] != "tds8" and conn_probe.get("client_enc") != sent:
        errs.append("fakesql saw tdsprobe send %s, its JSON says %s"
                    % (conn_probe.get("client_enc"), sent))
    server_enc = (probe.get("server") or {}).get("encryption")
    if probe["mode"] != "tds8" and conn_client.get("reply_enc") != server_enc:
        errs.append("fakesql answered the client %s, tdsprobe %s"
                    % (conn_client.get("reply_enc"), server_enc))

    # 2b. strict: the TLS version the client negotiated is the one tdsprobe negotiated (the
    # drivers that speak strict take TLS 1.3 when the server offers it)
    real_version = real.get("tls_version")
    probe_version = (probe.get("tls") or {}).get("version")
    if probe["mode"] == "tds8" and real.get("encrypted") and real_version != probe_version:
        errs.append("the client negotiated %s, tdsprobe %s" % (real_version, probe_version))

    # 3. the TLS scope (a server that terminated after the client's cleartext LOGIN7 was sent
    # logs "terminate": the client's own scope was none)
    scope = observed_scope(conn_client)
    if cleartext:
        scope = "none"
    if probe.get("tls_scope") != scope:
        errs.append("fakesql logged scope %s for the client, tdsprobe predicts %s"
                    % (scope, probe.get("tls_scope")))
    if client == "tedious" and reached_login:
        if real["encrypted"] != (scope in ("full", "login_only")):
            errs.append("tedious encrypted=%s but fakesql logged scope %s"
                        % (real["encrypted"], scope))

    # 4. validation, where the certificate shows it: one the client would refuse if it checked
    bad = bad_cert or (None if has_ca else "untrusted")
    tls_done_or_cert_error = scope in ("full", "login_only") and (
        reached_login or real["kind"] in ("cert", "untrusted", "name", "expired",
                                          "not_yet_valid"))
    if bad and tls_done_or_cert_error:
        refused = real["outcome"] == "tls_error" and real["kind"] != "protocol"
        if probe["client"]["validates"] != refused:
            errs.append("the client %s the %s certificate, tdsprobe says validates=%s"
                        % ("refused" if refused else "accepted", bad,
                           probe["client"]["validates"]))
    return errs


def text_difference(real, probe):
    """(client's message, tdsprobe's message) when a failure is worded differently."""
    if probe["status"] != "fail" or real["outcome"] == "login_failed":
        return None
    want, got = real.get("message") or "", probe["diagnosis"]["message"]
    return None if want == got else (want, got)


def cases(client):
    settings = TEDIOUS_SETTINGS if client == "tedious" else FREETDS_SETTINGS
    for scen in SCENARIOS:
        for setting in settings:
            yield scen, setting


def settled_connections(srv, quiet=0.2, timeout=5.0):
    """The number of connection lines once none has been added for `quiet` seconds (a
    connection of the previous case, e.g. tdsprobe's TLS 1.2 retry in strict mode, may still be
    closing)."""
    count = len(srv.connections())
    stable_since = time.monotonic()
    deadline = stable_since + timeout
    while time.monotonic() - stable_since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(srv.connections())
        if now != count:
            count, stable_since = now, time.monotonic()
    return count


def run_case(srv, client, scen, setting, bad_cert, settings):
    """One case: the real client, then tdsprobe, against srv. Returns (row, errs, details)."""
    client_args, probe_args, has_ca = settings[setting]
    n = settled_connections(srv)
    real = run_tedious(srv.port, client_args) if client == "tedious" else \
        run_tsql(srv.port, client_args)
    try:
        conn_client = srv.wait_outcome(n + 1, timeout=15)[n]
    except AssertionError as e:
        raise AssertionError("fakesql logged no line for the client's connection.\n"
                             "client: %s\n%s" % (json.dumps(real, sort_keys=True), e))
    probe = run_probe(srv.port, probe_args, client)
    try:
        conn_probe = srv.wait_outcome(n + 2, timeout=15)[n + 1]
    except AssertionError as e:
        raise AssertionError("fakesql logged no line for tdsprobe's connection.\n"
                             "tdsprobe: %s\n%s" % (json.dumps(probe, sort_keys=True), e))
    # a follow-up handshake is a second connection: wait for its line too, or the next case's
    # first line would be this one (a race a loaded bare machine showed)
    if probe.get("followup") is not None:
        srv.wait_outcome(n + 3, timeout=15)
    errs = check_case(client, scen, setting, bad_cert, has_ca, real, probe, conn_client,
                      conn_probe)
    row = ("%s/%s" % (real["outcome"], real["kind"]),
           "%s %s" % (probe["status"], probe["diagnosis"]["code"]), probe.get("tls_scope"),
           probe["client"]["validates"], "AGREE" if not errs else "DISAGREE")
    return row, errs, (real, conn_client, probe)


def run(client, pattern=None, verbose=False):
    settings = TEDIOUS_SETTINGS if client == "tedious" else FREETDS_SETTINGS
    failures = []
    texts = []
    count = 0
    t0 = time.monotonic()
    print("%-40s %-34s %-32s %-10s %-9s" % ("case", "client did", "tdsprobe predicted",
                                           "tls_scope", "validates"))
    for scen, (config, bad_cert) in SCENARIOS.items():
        names = [s for s in settings if not pattern or pattern in "%s/%s/%s" % (client, scen, s)]
        if not names:
            continue
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            for setting in names:
                case_id = "%s/%s/%s" % (client, scen, setting)
                count += 1
                try:
                    row, errs, (real, conn_client, probe) = run_case(srv, client, scen, setting,
                                                                     bad_cert, settings)
                except AssertionError as e:
                    # the case could not be judged; the rest of this scenario is skipped with
                    # it (fakesql's connection count is off), the next scenario starts afresh
                    print("%-40s ERROR\n    %s" % (case_id, str(e).replace("\n", "\n    ")))
                    failures.append(case_id)
                    break
                print("%-40s %-34s %-32s %-10s %-9s %s" % ((case_id,) + row))
                if verbose:
                    print("    client:   " + json.dumps(real, sort_keys=True))
                text = text_difference(real, probe)
                if text:
                    texts.append((case_id, text))
                known = KNOWN_DIFFERENCES.get(case_id)
                if known and known[0]():
                    if errs and known[1](real, probe):
                        print("  KNOWN DIFFERENCE in %s (Node linked to the system's OpenSSL): "
                              "the client refused the RSA-1024 key, tdsprobe's Node model "
                              "(level 1) warns" % case_id)
                        continue
                    errs = errs or ["listed in KNOWN_DIFFERENCES, but the client agreed"]
                    errs.append("expected the known difference: the client refusing the key "
                                "as too weak, tdsprobe warning (weak_key, security level 1)")
                if errs:
                    fix = PROFILE_CORRECTIONS.get(case_id)
                    print("  DISAGREEMENT in %s:" % case_id)
                    for e in errs:
                        print("    - " + e)
                    if fix:
                        print("    expected to pass once corrected in " + fix)
                    print("    client:   " + json.dumps(real, sort_keys=True))
                    print("    fakesql (client's connection): " + json.dumps(conn_client))
                    print("    tdsprobe: " + json.dumps(probe, sort_keys=True))
                    failures.append(case_id)
    print("%s: %d cases, %d failed, %.1f s" % (client, count, len(failures),
                                               time.monotonic() - t0))
    if texts:
        # informational: the texts live in probe/model/probe_diag.c; the verdicts above are the test
        print("text differences (the client's own message vs tdsprobe's diagnosis.message):")
        for case_id, (want, got) in texts:
            print("  %s\n    client:   %s\n    tdsprobe: %s"
                  % (case_id, want.strip(), got.strip()))
    pending = [c for c in failures if c in PROFILE_CORRECTIONS]
    if pending:
        print("waiting for corrections (see CORRECTIONS): " + ", ".join(pending))
    done = [c for c in PROFILE_CORRECTIONS
            if c.startswith(client + "/") and c not in failures and
            (not pattern or pattern in c)]
    if done:
        print("listed in CORRECTIONS but agreeing now (drop them from the list): "
              + ", ".join(done))
    return not failures


def main(argv):
    args = [a for a in argv[1:]]
    verbose = "-v" in args
    pattern = None
    if "-k" in args:
        i = args.index("-k")
        pattern = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
    args = [a for a in args if a != "-v"]
    if "--list" in args:
        for client in ("tedious", "freetds"):
            for scen, setting in cases(client):
                print("%s/%s/%s" % (client, scen, setting))
        return 0
    clients = [a for a in args if a in ("tedious", "freetds")]
    if not clients or len(clients) != len(args):
        print("usage: test_agreement.py tedious|freetds [-v] [-k SUBSTRING] [--list]",
              file=sys.stderr)
        return 64
    ok = all([run(c, pattern, verbose) for c in clients])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
