#!/usr/bin/env python3
"""fakesql's own tests: each case starts fakesql with one configuration and checks the bytes it
sends against MS-TDS with an independent client (tdsmini.py).

Usage: test_fakesql.py CASE   (env: FAKESQL = the binary, TDSPROBE_CERTS = the kit directory)
       test_fakesql.py --list
"""

import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import tdsmini as t  # noqa: E402
from fakesql import FakeSQL, FakeSQLError  # noqa: E402

CERTS = os.environ.get("TDSPROBE_CERTS", "")
CA = os.path.join(CERTS, "ca.pem")
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def check(cond, what, *detail):
    if not cond:
        raise AssertionError(what + ("".join("\n  " + str(d) for d in detail)))


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def server(config, **kw):
    return FakeSQL(config, certs_dir=CERTS, **kw)


def login_over(chan, user):
    """LOGIN7 through an established channel; returns the reply's tokens."""
    chan.send_tds(t.LOGIN7, t.login7_payload(user=user))
    ptype, data = chan.recv_tds_message()
    eq(ptype, t.REPLY, "login reply packet type")
    return t.parse_tokens(data)


def check_login_failed(tokens, user, server_name="FAKESQL"):
    want = [("error", 18456, 1, 14, "Login failed for user '%s'." % user, server_name),
            ("done", 0x0002)]
    eq(tokens, want, "login reply tokens")


def expect_closed(sock, what, timeout=3.0):
    """The server ends the connection: returns 'fin' or 'rst' (and any bytes before it)."""
    sock.settimeout(timeout)
    try:
        data = t.recv_all(sock)
        return "fin", data
    except ConnectionResetError:
        return "rst", b""
    except socket.timeout:
        raise AssertionError("%s: server neither answered nor closed in %.0f s" % (what, timeout))


def expect_silence(sock, seconds=0.7):
    sock.settimeout(seconds)
    try:
        data = sock.recv(1)
    except socket.timeout:
        return
    raise AssertionError("expected silence, got %r" % (data,))


# ---- PRELOGIN and the negotiation table ----

# MS-TDS 2.2.6.5: client byte -> (reply, server closes) per server setting.
TABLE = {
    "off": {0: (0, False), 1: (1, False), 2: (2, False), 3: (1, False)},
    "forced": {0: (3, False), 1: (1, False), 2: (3, True), 3: (1, False)},
    "not_sup": {0: (2, False), 1: (2, True), 2: (2, False), 3: (2, True)},
}


@case
def prelogin_table():
    configs = {"off": {"cert": "good"}, "forced": {"cert": "good", "forceencryption": 1},
               "not_sup": {"encryption": "not_supported"}}
    for setting, cfg in configs.items():
        with server(cfg) as srv:
            for client, (reply, closes) in TABLE[setting].items():
                s = t.connect(srv.host, srv.port)
                ptype, opts = t.prelogin(s, enc=client)
                eq(ptype, t.REPLY, "PRELOGIN reply type")
                eq(opts[1], bytes([reply]), "%s server, client %d: ENCRYPTION" % (setting, client))
                eq(opts[0], bytes([16, 0, 0x03, 0xE8, 0, 0]), "VERSION 16.0.1000")
                eq(opts[3], b"", "THREADID is empty in replies")
                check(4 not in opts, "no MARS unless asked")
                if closes:
                    how, _ = expect_closed(s, "terminate row")
                    eq(how, "fin", "terminated connection closes with FIN")
                else:
                    expect_silence(s, 0.3)
                s.close()
            srv.wait_outcome(len(TABLE[setting]))
            n_term = sum(1 for c in srv.connections() if c["outcome"] == "terminated")
            eq(n_term, sum(1 for v in TABLE[setting].values() if v[1]), "terminated count")


@case
def prelogin_reply_shape():
    with server({"cert": "good", "version": "15.0.2000.5"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload(t.ENC_OFF, mars=1)))
        ptype, headers, payload = t.read_message(s)
        eq(headers, [(4, 1, 8 + len(payload))], "one 0x04 packet with EOM")
        opts = t.parse_prelogin(payload)
        eq(opts[0], bytes([0x0F, 0x00, 0x07, 0xD0, 0, 0]), "VERSION 15.0.2000 as major,minor,BE")
        eq(opts[4], b"\x00", "MARS answered because it was asked")
        s.close()
        # a request split over three packets is one message
        s = t.connect(srv.host, srv.port)
        pl = t.prelogin_payload(t.ENC_ON)
        s.sendall(t.packet(0x12, pl[:10], status=0) + t.packet(0x12, pl[10:20], status=0))
        time.sleep(0.1)
        s.sendall(t.packet(0x12, pl[20:], status=1))
        ptype, _, payload = t.read_message(s)
        eq(t.parse_prelogin(payload)[1], b"\x01", "split PRELOGIN answered")
        s.close()


# ---- TLS inside TDS and LOGIN7 ----

@case
def full_tls_login():
    with server({"cert": "good"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_ON)
        chan = t.TlsInTds(s, t.client_context(CA))
        obj = chan.handshake()
        eq(obj.version(), "TLSv1.2", "TDS 7.x caps TLS at 1.2")
        check(all(p[0] == 0x12 for p in chan.server_packets), "handshake packets are 0x12",
              chan.server_packets)
        check_login_failed(login_over(chan, "alice"), "alice")
        how, _ = expect_closed(s, "after login failed")
        eq(how, "fin", "connection ends with FIN")
        conn = srv.wait_outcome(1)[0]
        eq((conn["outcome"], conn["scope"], conn["user"]), ("login_failed", "full", "alice"),
           "log line")


@case
def forced_full_tls():
    with server({"cert": "good", "forceencryption": 1}) as srv:
        s = t.connect(srv.host, srv.port)
        _, opts = t.prelogin(s, enc=t.ENC_OFF)
        eq(opts[1], b"\x03", "forced server answers REQ to OFF")
        chan = t.TlsInTds(s, t.client_context(CA))
        chan.handshake()
        # REQ means everything stays in TLS, so the reply must come encrypted
        check_login_failed(login_over(chan, "bob"), "bob")
        eq(srv.wait_outcome(1)[0]["scope"], "full", "scope")


@case
def login_only():
    with server({"cert": "good"}) as srv:
        for split in (False, True):
            s = t.connect(srv.host, srv.port)
            _, opts = t.prelogin(s, enc=t.ENC_OFF)
            eq(opts[1], b"\x00", "OFF/OFF answer")
            chan = t.TlsInTds(s, t.client_context(CA))
            chan.handshake()
            login = t.login7_payload(user="carol")
            if split:  # first packet in TLS, the second in clear, then nothing more in TLS
                chan.send_tds(t.LOGIN7, login[:60], status=0)
                time.sleep(0.05)
                s.sendall(t.packet(t.LOGIN7, login[60:]))
            else:
                chan.send_tds(t.LOGIN7, login)
            ptype, _, data = t.read_message(s)  # cleartext: no TLS record header
            eq(ptype, t.REPLY, "cleartext reply after login-only")
            check_login_failed(t.parse_tokens(data), "carol")
            s.close()
        conns = srv.wait_outcome(2)
        eq([c["scope"] for c in conns], ["login_only"] * 2, "scope")


@case
def no_encryption():
    with server({"encryption": "not_supported"}) as srv:
        s = t.connect(srv.host, srv.port)
        _, opts = t.prelogin(s, enc=t.ENC_NOT_SUP)
        eq(opts[1], b"\x02", "NOT_SUP")
        s.sendall(t.packet(t.LOGIN7, t.login7_payload(user="dave")))
        ptype, _, data = t.read_message(s)
        check_login_failed(t.parse_tokens(data), "dave")
        # a TLS attempt against a server without encryption is a protocol error
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_NOT_SUP)
        s.sendall(t.packet(t.PRELOGIN, b"\x16\x03\x01\x00\x05hello"))
        eq(expect_closed(s, "TLS after NOT_SUP")[0], "fin", "closed")


@case
def not_sup_reads_login():
    """encryption_mismatch = read_login: the other end of MS-TDS's "terminate" row. A client that
    asked for encryption and heard NOT_SUP sends its LOGIN7 in cleartext (tedious does); this
    server reads it and fails it with 18456, which proves the login arrived unencrypted."""
    with server({"encryption": "not_supported", "encryption_mismatch": "read_login"}) as srv:
        for client in (t.ENC_ON, t.ENC_REQ):
            s = t.connect(srv.host, srv.port)
            _, opts = t.prelogin(s, enc=client)
            eq(opts[1], b"\x02", "client %d: NOT_SUP" % client)
            expect_silence(s, 0.3)
            s.sendall(t.packet(t.LOGIN7, t.login7_payload(user="erin")))
            ptype, _, data = t.read_message(s)
            check_login_failed(t.parse_tokens(data), "erin")
            s.close()
        srv.wait_outcome(2)
        eq([c["outcome"] for c in srv.connections()], ["login_failed"] * 2, "outcomes")
    # the default stays MS-TDS's table: the same client is cut off after the reply
    with server({"encryption": "not_supported"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_ON)
        eq(expect_closed(s, "terminate row")[0], "fin", "closed after NOT_SUP")


@case
def unicode_user():
    with server({"cert": "good", "servername": "LABSQL01"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_ON)
        chan = t.TlsInTds(s, t.client_context(CA))
        chan.handshake()
        check_login_failed(login_over(chan, "Zoë\u6771"), "Zoë\u6771", "LABSQL01")
        # the reply keeps the name as sent; the log line cannot be broken by it
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_NOT_SUP)
        s.sendall(t.packet(t.LOGIN7, t.login7_payload(user="x'\ny")))
        _, _, data = t.read_message(s)
        check_login_failed(t.parse_tokens(data), "x'\ny", "LABSQL01")
        conns = srv.wait_outcome(2)
        eq([c["user"] for c in conns], ["Zoë\u6771", "x??y"], "users in the log")


# ---- certificates ----

def peer_cert_text(config, hostname_check=False):
    with server(config) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s, enc=t.ENC_ON)
        chan = t.TlsInTds(s, t.client_context())
        der = chan.handshake().getpeercert(binary_form=True)
        s.close()
        log = srv.log()
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text", "-dates"],
                          input=der, capture_output=True, check=True).stdout.decode()
    return text, log


@case
def fallback_certificate():
    start = time.monotonic()
    text, log = peer_cert_text({})
    check("Subject: CN = SSL_Self_Signed_Fallback" in text, "fallback subject", text)
    check("Issuer: CN = SSL_Self_Signed_Fallback" in text, "self-signed", text)
    check("Subject Alternative Name" not in text, "no SAN", text)
    check("Public-Key: (2048 bit)" in text, "RSA-2048", text)
    check("sha256WithRSAEncryption" in text, "SHA-256 signature", text)
    dates = dict(line.split("=", 1) for line in text.splitlines() if line.startswith("not"))
    nb, na = dates["notBefore"], dates["notAfter"]
    fmt = "%b %d %H:%M:%S %Y GMT"
    years = (time.mktime(time.strptime(na.replace("  ", " "), fmt)) -
             time.mktime(time.strptime(nb.replace("  ", " "), fmt))) / (365.25 * 86400)
    check(29.9 < years < 30.2, "30-year validity, got %.2f" % years, nb, na)
    check("self-signed fallback" in log, "start-up line names the fallback", log)
    check(time.monotonic() - start < 10, "start-up is fast")


@case
def configured_chain():
    text, _ = peer_cert_text({"cert": "good"})
    check("Subject: CN = localhost, O = tdsprobe kit" in text, "leaf subject", text)
    # the chain reaches the root through the intermediate: verification with only ca.pem works
    with server({"cert": "good"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        t.TlsInTds(s, t.client_context(CA)).handshake()


@case
def sha1_at_seclevel2():
    with server({"cert": "sha1"}) as srv:
        check("OpenSSL refuses the certificate at security level 2" in srv.log(),
              "start-up warning", srv.log())
        s = t.connect(srv.host, srv.port)
        _, opts = t.prelogin(s, enc=t.ENC_ON)
        eq(opts[1], b"\x01", "PRELOGIN still answered")
        chan = t.TlsInTds(s, t.client_context())
        try:
            chan.handshake()
            raise AssertionError("handshake with a refused certificate succeeded")
        except ssl.SSLError as e:
            check("HANDSHAKE_FAILURE" in str(e).upper() or "ALERT" in str(e).upper(),
                  "dies with an alert", e)
        conn = srv.wait_outcome(1)[0]
        eq(conn["outcome"], "handshake_failed", "outcome")
        check("security level 2" in conn["detail"], "detail names the level", conn)
    with server({"cert": "sha1", "seclevel": 0}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        t.TlsInTds(s, t.client_context(CA, seclevel=0)).handshake()


@case
def bigchain_packetsize():
    for size in (4096, 512, 1000):
        with server({"cert": "bigchain", "packetsize": size}) as srv:
            s = t.connect(srv.host, srv.port)
            t.prelogin(s)
            chan = t.TlsInTds(s, t.client_context(CA))
            chan.handshake()
            flight = []  # the first server flight: packets up to the first EOM
            for p in chan.server_packets:
                flight.append(p)
                if p[1] & 1:
                    break
            total = sum(p[2] - 8 for p in flight)
            check(total > 4096, "bigchain flight is over 4 KB (%d)" % total)
            check(all(p[2] <= size for p in flight), "packets <= %d" % size, flight)
            eq([p[1] for p in flight], [0] * (len(flight) - 1) + [1], "EOM only on the last")
            check(all(p[2] == size for p in flight[:-1]), "non-final packets are full", flight)
            check_login_failed(login_over(chan, "sa"), "sa")


@case
def handshake_packet_options():
    with server({"cert": "bigchain", "handshake_packet_type": 4, "handshake_eom": "every"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        s.sendall(t.packet(t.PRELOGIN, _client_hello()))
        ptype, status, _ = t.read_packet(s)
        eq((ptype, status), (4, 1), "type 0x04 with EOM on every packet")
        ptype, status, _ = t.read_packet(s)
        eq((ptype, status), (4, 1), "second packet also EOM")


def _client_hello(max_v=ssl.TLSVersion.TLSv1_2, min_v=None, seclevel=None):
    ctx = t.client_context(max_v=max_v, min_v=min_v, seclevel=seclevel)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


# ---- TLS versions and how handshakes fail ----

def try_version(srv, version):
    s = t.connect(srv.host, srv.port)
    t.prelogin(s)
    chan = t.TlsInTds(s, t.client_context(min_v=version, max_v=version, seclevel=0))
    try:
        return chan.handshake().version()
    except (ssl.SSLError, t.Closed, ConnectionResetError):
        return None
    finally:
        s.close()


@case
def tlsprotocols():
    V = ssl.TLSVersion
    with server({"cert": "good", "tlsprotocols": "1.2"}) as srv:
        got = [try_version(srv, v) for v in (V.TLSv1, V.TLSv1_1, V.TLSv1_2)]
        eq(got, [None, None, "TLSv1.2"], "1.2 only")
    with server({"cert": "good", "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}) as srv:
        got = [try_version(srv, v) for v in (V.TLSv1, V.TLSv1_1, V.TLSv1_2)]
        eq(got, ["TLSv1", "TLSv1.1", "TLSv1.2"], "all three at seclevel 0")
    with server({"cert": "good", "tlsprotocols": "1.0", "seclevel": 0}) as srv:
        got = [try_version(srv, v) for v in (V.TLSv1, V.TLSv1_2)]
        eq(got, ["TLSv1", None], "old server: TLS 1.0 only")
    with server({"cert": "good", "tlsprotocols": "1.0,1.1,1.2"}) as srv:
        got = [try_version(srv, v) for v in (V.TLSv1, V.TLSv1_2)]
        eq(got, [None, "TLSv1.2"], "OpenSSL 3 at level 2 refuses TLS 1.0")


def old_client_attempt(srv):
    """A TLS 1.0-only client against a 1.2-only server: what comes back."""
    s = t.connect(srv.host, srv.port)
    t.prelogin(s)
    s.sendall(t.packet(t.PRELOGIN, _client_hello(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, 0)))
    return expect_closed(s, "failed handshake")


@case
def failure_alert_reset_close():
    with server({"cert": "good", "tlsprotocols": "1.2"}) as srv:
        how, data = old_client_attempt(srv)
        eq(how, "fin", "alert mode ends with FIN")
        check(len(data) >= 8 + 7, "an alert came back", data)
        ptype, status, length = struct.unpack(">BBH", data[:4])
        eq((ptype, status & 1, length), (0x12, 1, len(data)), "alert wrapped in one 0x12 packet")
        eq(data[8], 0x15, "TLS alert record")
        eq(data[8 + 5:8 + 7], b"\x02\x46", "fatal protocol_version")
        check("ended with a TLS alert" in srv.wait_outcome(1)[0]["detail"], "log", srv.log())
    with server({"cert": "good", "tlsprotocols": "1.2", "handshake_failure": "reset"}) as srv:
        eq(old_client_attempt(srv), ("rst", b""), "Windows style: TCP reset, no alert")
        check("ended with a TCP reset" in srv.wait_outcome(1)[0]["detail"], "log", srv.log())
    with server({"cert": "good", "tlsprotocols": "1.2", "handshake_failure": "close"}) as srv:
        eq(old_client_attempt(srv), ("fin", b""), "FIN without an alert")


# ---- stalls, resets, non-TDS ----

@case
def stalls():
    with server({"cert": "good", "stall": "accept"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        expect_silence(s)
        s.close()
        conn = srv.wait_outcome(1)[0]
        eq((conn["outcome"], conn["detail"]), ("stalled", "stalled after accept; client closed"),
           "log")
    with server({"cert": "good", "stall": "prelogin"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        expect_silence(s)
        s.close()
        check("after PRELOGIN" in srv.wait_outcome(1)[0]["detail"], "log", srv.log())
    with server({"cert": "good", "stall": "clienthello"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        s.sendall(t.packet(t.PRELOGIN, _client_hello()))
        expect_silence(s)
    with server({"cert": "good", "stall": "handshake"}) as srv:
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        chan = t.TlsInTds(s, t.client_context(CA))
        chan.obj.do_handshake = _one_flight(chan)
        try:
            chan.handshake()
        except socket.timeout:
            pass
        check(len(chan.server_packets) >= 1, "first flight arrived")
        s.close()
        check("first server flight" in srv.wait_outcome(1)[0]["detail"], "log", srv.log())


def _one_flight(chan):
    """do_handshake that lets one round trip happen, then waits with a short timeout."""
    real = chan.obj.do_handshake
    state = {"n": 0}

    def step():
        state["n"] += 1
        if state["n"] == 3:
            chan.sock.settimeout(0.7)
        real()
    return step


@case
def reset_after_prelogin():
    with server({"cert": "good", "reset_after_prelogin": 1}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        eq(expect_closed(s, "reset"), ("rst", b""), "RST, no reply")
        eq(srv.wait_outcome(1)[0]["outcome"], "reset_after_prelogin", "log")


@case
def non_tds():
    reply = "HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n"
    with server({"nontds_reply": reply}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        eq(expect_closed(s, "non-TDS"), ("fin", b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0"
                                          b"\r\n\r\n"), "verbatim reply then FIN")
    with server({"banner": "SSH-2.0-OpenSSH_9.2p1\\r\\n", "stall": "accept"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.settimeout(3)
        eq(t.recv_exact(s, 23), b"SSH-2.0-OpenSSH_9.2p1\r\n", "banner on accept")
    with server({"cert": "good"}) as srv:  # a non-TDS client is dropped
        s = t.connect(srv.host, srv.port)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        eq(expect_closed(s, "HTTP client"), ("fin", b""), "closed without a reply")
        eq(srv.wait_outcome(1)[0]["outcome"], "not_tds", "log")


F3 = ("04 01 00 2b 00 00 01 00 00 00 1a 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 00 04 "
      "00 22 00 01 ff 0a 00 06 40 00 00 00 00 00")


@case
def canned_prelogin():
    with server({"cert": "good", "prelogin_hex": F3}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload(t.ENC_OFF)))
        s.settimeout(3)
        eq(t.recv_exact(s, 43), bytes.fromhex(F3), "canned bytes verbatim")
        # the canned reply said OFF to OFF: login-only TLS follows
        chan = t.TlsInTds(s, t.client_context(CA))
        chan.handshake()
        chan.send_tds(t.LOGIN7, t.login7_payload(user="eve"))
        _, _, data = t.read_message(s)
        check_login_failed(t.parse_tokens(data), "eve")
    with server({"prelogin_hex": "04 01 00 08 00 00 01 00"}) as srv:  # empty, malformed reply
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        s.settimeout(3)
        eq(t.recv_exact(s, 8), bytes.fromhex("0401000800000100"), "any bytes at all")


# ---- TDS 8.0 strict ----

@case
def strict_mode():
    ctx = t.client_context(CA, alpn=["tds/8.0"], max_v=ssl.TLSVersion.TLSv1_3)
    with server({"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}) as srv:
        chan = t.Strict(t.connect(srv.host, srv.port), ctx)
        eq(chan.tls.selected_alpn_protocol(), "tds/8.0", "ALPN")
        eq(chan.tls.version(), "TLSv1.3", "TLS 1.3 allowed in TDS 8.0")
        chan.send_tds(t.PRELOGIN, t.prelogin_payload(t.ENC_NOT_SUP))
        ptype, data = chan.recv_tds_message()
        eq(ptype, t.REPLY, "PRELOGIN reply inside TLS")
        eq(t.parse_prelogin(data)[0][:2], b"\x10\x00", "version 16")
        chan.send_tds(t.LOGIN7, t.login7_payload(user="frank", tds_version=0x08000000))
        _, data = chan.recv_tds_message()
        check_login_failed(t.parse_tokens(data), "frank")
        # TDS 7.x still works on a strict = 1 server
        s = t.connect(srv.host, srv.port)
        eq(t.prelogin(s)[1][1], b"\x01", "TDS 7.x PRELOGIN still answered")
        conn = srv.wait_outcome(1)[0]
        eq((conn["mode"], conn["alpn"], conn["outcome"]), ("tds8", "tds/8.0", "login_failed"),
           "log")


@case
def strict_refusals():
    ctx = t.client_context(alpn=["tds/8.0"], max_v=ssl.TLSVersion.TLSv1_3)
    with server({"strict": 1}) as srv:  # fallback certificate only: error 17821
        s = t.connect(srv.host, srv.port)
        try:
            ctx.wrap_socket(s, server_hostname="localhost")
            raise AssertionError("strict handshake with the fallback certificate succeeded")
        except (ssl.SSLError, ConnectionResetError, OSError):
            pass
        srv.wait_log("Error: 17821.*A valid TLS certificate is not configured to accept strict")
        eq(srv.wait_outcome(1)[0]["outcome"], "strict_refused", "log")
    # strict = 0: a pre-2022 server reads the ClientHello as a TDS header (length = bytes 2-3).
    # OpenSSL's record version 0x0301 announces about 257 bytes, fewer than the ClientHello: a
    # whole bogus packet, reset at once. 0x0303 (mbedTLS with TLS 1.2 as its minimum) announces
    # about 769: the server waits for the rest.
    hello = _client_hello(max_v=ssl.TLSVersion.TLSv1_3)  # 517 bytes, as Python pads it
    eq(hello[:3], b"\x16\x03\x01", "OpenSSL's ClientHello record version")
    eq(len(hello) >= 256 + hello[3], True, "a whole bogus packet")
    with server({"cert": "good"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(hello)
        eq(expect_closed(s, "ClientHello to a 7.x server"), ("rst", b""), "reset")
        log = srv.wait_outcome(1)[0]
        eq(log["outcome"], "tds8_refused", "log")
        eq("TDS packet of %d bytes" % (256 + hello[3]) in log["detail"], True, "length read")
        s = t.connect(srv.host, srv.port)
        s.sendall(hello[:2] + b"\x03" + hello[3:])
        expect_silence(s)
        s.close()
        eq(srv.wait_outcome(2)[1]["detail"], "client closed in state clienthello_as_tds",
           "waited for the rest")
    with server({"cert": "good", "strict": "force"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(t.packet(t.PRELOGIN, t.prelogin_payload()))
        eq(expect_closed(s, "plain PRELOGIN to a forced-strict server")[0], "fin", "closed")
        chan = t.Strict(t.connect(srv.host, srv.port), t.client_context(CA, alpn=["tds/8.0"]))
        eq(chan.tls.selected_alpn_protocol(), "tds/8.0", "strict still accepted")


@case
def strict_failures():
    ctx = t.client_context(CA, alpn=["tds/8.0"])
    with server({"cert": "good", "strict": 1, "stall": "clienthello"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.settimeout(0.7)
        try:
            ctx.wrap_socket(s, server_hostname="localhost")
            raise AssertionError("handshake completed against a stalled server")
        except socket.timeout:
            pass
    with server({"cert": "good", "strict": 1, "reset_after_prelogin": 1}) as srv:
        chan = t.Strict(t.connect(srv.host, srv.port), ctx)
        chan.send_tds(t.PRELOGIN, t.prelogin_payload(t.ENC_NOT_SUP))
        try:
            chan.recv_tds_message()
            raise AssertionError("PRELOGIN answered despite reset_after_prelogin")
        except (ConnectionResetError, ssl.SSLError, t.Closed):
            pass
        eq(srv.wait_outcome(1)[0]["outcome"], "reset_after_prelogin", "log")
    with server({"cert": "good", "strict": 1, "tlsprotocols": "1.2",
                 "handshake_failure": "reset"}) as srv:
        s = t.connect(srv.host, srv.port)
        s.sendall(_client_hello(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, 0))
        eq(expect_closed(s, "strict, old client"), ("rst", b""), "reset, as configured")


# ---- listeners, browser ----

def ipv6_loopback():
    """True when ::1 can be bound here (some containers have no IPv6 at all)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@case
def listen_lists():
    cfg = {"cert": "good", "ipaddress": "127.0.0.1,127.0.0.2", "tcpport": "0,0"}
    with server(cfg) as srv:
        eq(len(srv.tcp), 4, "2 addresses x 2 ports")
        eq(sorted({h for h, _ in srv.tcp}), ["127.0.0.1", "127.0.0.2"], "addresses")
        for host, port in srv.tcp:
            s = t.connect(host, port)
            eq(t.prelogin(s)[0], t.REPLY, "%s:%d answers" % (host, port))
            s.close()
    with server({"cert": "ecdsa", "ipaddress": "127.0.1.1-127.0.1.200"}) as srv:
        eq(len(srv.tcp), 200, "range of 200 addresses")
        eq((srv.tcp[0][0], srv.tcp[-1][0]), ("127.0.1.1", "127.0.1.200"), "range ends")
        host, port = srv.tcp[137]
        s = t.connect(host, port)
        t.prelogin(s)
        t.TlsInTds(s, t.client_context(CA, hostname_check=False)).handshake()
        s.close()
        eq(srv.wait_outcome(1)[0]["local"], "%s:%d" % (host, port), "log names the listener")
    if ipv6_loopback():
        with server({"cert": "good", "listen": "127.0.0.1:0,[::1]:0"}) as srv:
            eq([h for h, _ in srv.tcp], ["127.0.0.1", "::1"], "listen list with IPv6")
            s = socket.create_connection(("::1", srv.tcp[1][1]), timeout=5)
            eq(t.prelogin(s)[0], t.REPLY, "IPv6 answers")


def ssrp(port, request, timeout=1.0):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(timeout)
    u.sendto(request, ("127.0.0.1", port))
    try:
        data = u.recv(65535)
    except socket.timeout:
        return None
    finally:
        u.close()
    eq(data[0], 5, "SVR_RESP")
    eq(struct.unpack("<H", data[1:3])[0], len(data) - 3, "RESP_SIZE")
    return data[3:].decode()


@case
def browser():
    cfg = {"cert": "good", "tcpport": "0,0", "instances": "SQLEXPRESS,DEV", "browserport": 0,
           "servername": "LAB1", "version": "15.0.2000.5"}
    with server(cfg) as srv:
        eq(len(srv.udp), 1, "one udp listener")
        p_express, p_dev = srv.ports
        dev = ssrp(srv.udp_port, b"\x04DEV\x00")
        eq(dev, "ServerName;LAB1;InstanceName;DEV;IsClustered;No;Version;15.0.2000.5;tcp;%d;"
           "np;\\\\LAB1\\pipe\\MSSQL$DEV\\sql\\query;;" % p_dev, "CLNT_UCAST_INST DEV")
        eq(ssrp(srv.udp_port, b"\x04NOPE\x00"), None, "unknown instance: silence")
        both = ssrp(srv.udp_port, b"\x03")
        check("InstanceName;SQLEXPRESS;" in both and "tcp;%d;" % p_express in both and
              "InstanceName;DEV;" in both and both.count(";;") == 2, "CLNT_UCAST_EX", both)
        # the port the browser names is where that instance answers
        s = t.connect("127.0.0.1", p_dev)
        eq(t.prelogin(s)[0], t.REPLY, "DEV answers")
        srv.wait_log(r"browser .*request=0x04 answer=\"unknown instance: no reply\"")


# ---- robustness and lifecycle ----

@case
def hostile_clients():
    import random
    rnd = random.Random(1234)
    with server({"cert": "good", "idle_timeout": 2}) as srv:
        blobs = [b"\x12\x01\x00\x04\x00\x00\x00\x00",            # length < 8
                 b"\x12\x01\xff\xff\x00\x00\x00\x00" + b"A" * 100,  # length > 32768
                 t.packet(0x12, b"\x00\x00\x1a\x00\xff"),           # option beyond payload
                 t.packet(0x12, b"\xff"),                           # no VERSION
                 t.packet(0x10, b"x" * 50),                         # LOGIN7 first
                 t.packet(0x12, b"\x00" * 4000, status=0) * 20]     # message over the cap
        blobs += [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))) for _ in range(50)]
        blobs += [b"\x12" + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300)))
                  for _ in range(50)]
        for b in blobs:
            s = t.connect(srv.host, srv.port)
            try:
                s.sendall(b)
                s.shutdown(socket.SHUT_WR)  # a truncated packet must not wait for more
                expect_closed(s, "hostile input %r" % b[:16], timeout=4)
            except (ConnectionResetError, BrokenPipeError):
                pass
            s.close()
        # a client that sends half a header and waits is dropped after idle_timeout
        s = t.connect(srv.host, srv.port)
        s.sendall(b"\x12\x01\x00")
        start = time.monotonic()
        eq(expect_closed(s, "idle client", timeout=5)[0], "fin", "idle client closed")
        check(1.5 < time.monotonic() - start < 4, "after about 2 s")
        srv.wait_log(r"outcome=timeout detail=\"idle in state prelogin\"")
        # garbage inside the TLS handshake and after it
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        s.sendall(t.packet(0x12, b"\x16\x03\x03\x00\x10" + b"\x00" * 16))
        expect_closed(s, "bad ClientHello")
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        t.TlsInTds(s, t.client_context(CA)).handshake()
        s.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
        expect_closed(s, "bad application record")
        # still serving
        s = t.connect(srv.host, srv.port)
        t.prelogin(s)
        chan = t.TlsInTds(s, t.client_context(CA))
        chan.handshake()
        check_login_failed(login_over(chan, "after"), "after")
        check(srv.proc.poll() is None, "still running")


@case
def signals_and_ready_file():
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "mssql.conf")
        with open(conf, "w") as f:
            f.write("[network]\ntcpport = 0\nipaddress = 127.0.0.1\n[fakesql]\nbrowserport = 0\n"
                    "encryption = not_supported\n")
        ready = os.path.join(d, "ready")
        for sig in (signal.SIGTERM, signal.SIGINT):
            p = subprocess.Popen([os.environ["FAKESQL"], "--config", conf, "--ready-file", ready],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            lines = [p.stdout.readline().decode().strip() for _ in range(2)]
            check(lines[0].startswith("fakesql: listening tcp 127.0.0.1:"), "tcp line", lines)
            check(lines[1].startswith("fakesql: listening udp 127.0.0.1:"), "udp line", lines)
            with open(ready) as f:
                eq(f.read().splitlines(), lines, "ready file = stdout lines")
            s = t.connect("127.0.0.1", int(lines[0].rsplit(":", 1)[1]))  # an open connection
            p.send_signal(sig)
            eq(p.wait(5), 0, "clean exit on %s" % sig.name)
            s.close()
            os.unlink(ready)


@case
def config_errors():
    bad = {"[fakesql]\nstal = accept\n": "mssql.conf:2: [fakesql] has no setting \"stal\"",
           "[fakesql]\nstall = sometimes\n": "expected one of none, accept",
           "[network]\ntcpport = 99999\n": "tcpport = \"99999\"",
           "[network]\nipaddress = db.example\n": "not an IP address",
           "[network]\ntlscert = /nonexistent.pem\ntcpport = 0\n": "tlscert /nonexistent.pem",
           "[fakesql]\nprelogin_hex = 0g\n": "not a hex digit",
           "[network]\ntlsprotocols = 1.4\n": "not one of 1.0, 1.1, 1.2, 1.3",
           "[network]\ntcpport = 0\n[fakesql]\ngroups = P-999\n": "groups = P-999: ",
           "[network]\ntcpport = 0\n[fakesql]\nciphersuites13 = TLS_NOPE\n":
           "ciphersuites13 = TLS_NOPE: "}
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "mssql.conf")
        for text, want in bad.items():
            with open(conf, "w") as f:
                f.write(text)
            p = subprocess.run([os.environ["FAKESQL"], "--config", conf], capture_output=True,
                               timeout=10)
            eq(p.returncode, 2, "exit status for %r" % text)
            check(want in p.stderr.decode(), "error names the problem", text, p.stderr)
        p = subprocess.run([os.environ["FAKESQL"], "--bogus"], capture_output=True)
        eq(p.returncode, 64, "usage error")
        p = subprocess.run([os.environ["FAKESQL"], "--help"], capture_output=True)
        check(p.returncode == 0 and b"--config FILE" in p.stdout, "--help")
    try:
        with server("[network]\ntcpport = 0\nipaddress = 127.0.0.1\n[fakesql]\nquiet = maybe\n"):
            pass
        raise AssertionError("bad config started")
    except FakeSQLError as e:
        check("expected 0 or 1" in str(e), "helper reports stderr", e)


# ---- samples/lab stay true to what their comments promise ----

LAB = os.path.join(HERE, "..", "..", "samples", "lab")


def lab_config(name):
    """A sample with every port made ephemeral, so it can run beside anything."""
    import re
    with open(os.path.join(LAB, name)) as f:
        text = f.read()
    text = re.sub(r"(?m)^tcpport = (.*)$",
                  lambda m: "tcpport = " + ",".join("0" for _ in m.group(1).split(",")), text)
    return re.sub(r"(?m)^browserport = .*$", "browserport = 0", text)


def lab_handshake(srv, ctx, at=None, enc=t.ENC_ON, hostname="localhost"):
    s = t.connect(*(at or (srv.host, srv.port)))
    try:
        t.prelogin(s, enc=enc)
        return t.TlsInTds(s, ctx, server_hostname=hostname).handshake().version()
    except ssl.SSLCertVerificationError as e:
        return "verify: " + e.verify_message
    except (ssl.SSLError, t.Closed, ConnectionResetError) as e:
        return "failed: " + type(e).__name__
    finally:
        s.close()


def lab_checks():
    V = ssl.TLSVersion
    verify = t.client_context(CA)
    anyone = t.client_context()
    tls10 = t.client_context(min_v=V.TLSv1, max_v=V.TLSv1, seclevel=0)
    return {
        "good.conf": lambda srv: eq(lab_handshake(srv, verify), "TLSv1.2", "good"),
        "untrusted-fallback.conf": lambda srv: check(
            "self-signed" in lab_handshake(srv, verify) and "self-signed fallback" in srv.log(),
            "fallback is untrusted", srv.log()),
        "wrong-name.conf": lambda srv: check(
            "Hostname mismatch" in lab_handshake(srv, verify), "wrong name"),
        "expired.conf": lambda srv: eq(lab_handshake(srv, verify),
                                       "verify: certificate has expired", "expired"),
        "tls12-only.conf": lambda srv: eq((lab_handshake(srv, tls10), lab_handshake(srv, verify)),
                                          ("failed: SSLError", "TLSv1.2"), "1.2 only"),
        "old-server-tls10.conf": lambda srv: eq(
            (lab_handshake(srv, tls10), lab_handshake(srv, anyone)),
            ("TLSv1", "failed: SSLError"), "TLS 1.0 only"),
        "sha1-seclevel2.conf": lambda srv: eq(lab_handshake(srv, anyone),
                                              "failed: ConnectionResetError", "dies with RST"),
        "forced-encryption.conf": lambda srv: eq(
            t.prelogin(t.connect(srv.host, srv.port), enc=t.ENC_OFF)[1][1], b"\x03", "REQ"),
        "not-supported.conf": lambda srv: eq(
            t.prelogin(t.connect(srv.host, srv.port), enc=t.ENC_ON)[1][1], b"\x02", "NOT_SUP"),
        "strict.conf": lambda srv: eq(t.Strict(t.connect(srv.host, srv.port), t.client_context(
            CA, alpn=["tds/8.0"], max_v=V.TLSv1_3)).tls.selected_alpn_protocol(), "tds/8.0",
            "strict"),
        "windows-reset.conf": lambda srv: eq(lab_handshake(srv, tls10),
                                             "failed: ConnectionResetError", "RST"),
        "stalls.conf": lab_stall,
        "named-instances.conf": lambda srv: check(
            "tcp;%d;" % srv.ports[1] in ssrp(srv.udp_port, b"\x04DEV\x00"), "DEV's port"),
        "many-targets.conf": lambda srv: eq(
            (len(srv.tcp), srv.tcp[-1][0], lab_handshake(srv, anyone, srv.tcp[-1])),
            (1000, "127.0.4.232", "TLSv1.2"), "1,000 targets"),
    }


def lab_stall(srv):
    s = t.connect(srv.host, srv.port)
    t.prelogin(s)
    s.sendall(t.packet(t.PRELOGIN, _client_hello()))
    s.settimeout(3)
    t.read_message(s)  # the first flight comes
    expect_silence(s)  # and then nothing


@case
def lab_samples():
    checks = lab_checks()
    files = sorted(f for f in os.listdir(LAB) if f.endswith(".conf"))
    eq(sorted(checks), files, "every sample has a check")
    for name in files:
        with server(lab_config(name)) as srv:
            try:
                checks[name](srv)
            except AssertionError as e:
                raise AssertionError("samples/lab/%s: %s" % (name, e))


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(argv) != 2 or argv[1] not in CASES:
        print("usage: test_fakesql.py CASE|--list", file=sys.stderr)
        return 64
    CASES[argv[1]]()
    print("ok:", argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
