/* probe/diagnose/probe_diagnose_local.c: verdicts on what stopped the probe itself rather than
 * the server (class LOCAL, docs/design.md): a limit of the machine tdsprobe runs on (file
 * descriptors, memory, local ports, routes) and a limit of its TLS library. Such a verdict
 * names the local cause and never reads as the server's answer: a socket that could not be
 * opened here sent nothing to the target. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <string.h>

#include "tls/tls_info.h"

/* One row per kind of local network error: the diagnosis, what it means, and its fix. */
struct local_cause {
    enum probe_net_kind kind;
    enum probe_diag diag;
    const char *what;
    const char *fix;
};

static const struct local_cause local_causes[] = {
    {PROBE_NET_LOCAL_FDS, PROBE_DIAG_LOCAL_LIMIT,
     "this process has as many files open as it may (EMFILE: its RLIMIT_NOFILE, ulimit -n), or "
     "the whole system has (ENFILE: fs.file-max)",
     "Raise the open-file limit for tdsprobe (ulimit -n, or LimitNOFILE= in a systemd unit) or "
     "probe fewer targets at once (--concurrency). tdsprobe raises its soft limit to the hard "
     "one and keeps its concurrency within it, so what is left is the hard limit, the "
     "system-wide table (fs.file-max, fs.file-nr) or descriptors the process inherited."},
    {PROBE_NET_LOCAL_MEMORY, PROBE_DIAG_LOCAL_LIMIT,
     "the kernel had no buffer space or memory for another socket (ENOBUFS, ENOMEM)",
     "Free memory on the machine running tdsprobe or probe fewer targets at once "
     "(--concurrency); the kernel log (dmesg) and the socket memory limits (net.ipv4.tcp_mem, "
     "net.core.wmem_max) show which one ran out."},
    {PROBE_NET_LOCAL_ADDRESS, PROBE_DIAG_LOCAL_LIMIT,
     "no local address or port was free to connect from (EADDRNOTAVAIL): the ephemeral port "
     "range is used up (net.ipv4.ip_local_port_range, connections in TIME_WAIT), or this "
     "machine has no usable address of the target's family",
     "Probe fewer targets at once (--concurrency) or widen net.ipv4.ip_local_port_range; for an "
     "IPv6 target, give the machine running tdsprobe an IPv6 address or probe the server's "
     "IPv4 address."},
    {PROBE_NET_NO_ROUTE, PROBE_DIAG_NO_ROUTE,
     "this machine has no route to that address (ENETUNREACH: its routing table has none), or "
     "a router on the way reported it unreachable (EHOSTUNREACH, ICMP unreachable)",
     "Probe from a machine on the client's network, or give this one a route to the server "
     "(ip route; a VPN or tunnel that is down). The server itself was not reached, so this "
     "says nothing about it."},
};

static const struct local_cause *local_cause_of(enum probe_net_kind kind)
{
    for (size_t i = 0; i < sizeof(local_causes) / sizeof(local_causes[0]); i++) {
        if (local_causes[i].kind == kind) {
            return &local_causes[i];
        }
    }
    return NULL;
}

bool probe_decide_local(struct dctx *c)
{
    const struct probe_result *r = c->r;
    const struct probe_net_error *n = &r->facts.net;
    const struct local_cause *lc = local_cause_of(n->kind);
    char addr[64];

    if (lc == NULL) {
        return false;
    }
    probe_text_clean(addr, sizeof(addr), r->facts.address[0] != '\0' ? r->facts.address : c->host);
    c->diag = lc->diag;
    probe_sb_add(&c->cause, "The probe could not go on in the %s phase (%s port %u): %s (%s) on "
                            "the machine running tdsprobe: %s. This is a limit of this machine, "
                            "not an answer from the server: nothing about the server was "
                            "learned.",
                            probe_phase_name(r->facts.phase), addr,
                            (unsigned)probe_result_port(r), n->text != NULL ? n->text : "error",
                            n->name != NULL ? n->name : "?", lc->what);
    probe_sb_add(&c->fix, "%s\n", lc->fix);
    return true;
}

/* ---- the TLS library's limit: a handshake message split across records ---- */

void probe_split_message_text(const struct dctx *c, struct probe_sb *b)
{
    const struct tls_info *t = c->tls;

    probe_sb_add(b, "This probe's TLS library (mbedTLS 2.28) could not finish the handshake: "
                    "the server's %s message (%zu bytes) came split across TLS records, and "
                    "mbedTLS does not reassemble a handshake message split across records. "
                    "OpenSSL and Schannel clients do (RFC 5246 6.2.1 allows the split; a "
                    "message over 16 KB needs it), so the client gets past this point.",
                    tls_handshake_name(t->split_type), t->split_len);
}

/* What the client makes of the chain it would receive, when no certificate error stopped it
 * (probe_decide_chain decides those first). */
static void chain_text(struct dctx *c)
{
    if (c->leaf == NULL) {
        probe_sb_add(&c->cause, " The probe could not capture the chain either: the message "
                                "is over the probe's 64 KB bound.");
    } else if (!c->r->facts.validates) {
        probe_sb_add(&c->cause, " The probe read the chain from the records itself (%zu "
                                "certificates, shown below); this client does not validate it.",
                                c->tls->chain_len);
    } else {
        probe_sb_add(&c->cause, " The probe read the chain from the records itself (%zu "
                                "certificates) and judged it as the client would: it passes "
                                "for '%s'.", c->tls->chain_len, c->name);
    }
    probe_sb_add(&c->cause, " The rest of the handshake (key exchange, Finished) was not "
                            "tested.");
}

bool probe_decide_split_message(struct dctx *c)
{
    if (c->tls == NULL || c->tls->split_len == 0) {
        return false;
    }
    c->diag = PROBE_DIAG_TLS_LIBRARY_LIMIT;
    probe_split_message_text(c, &c->cause);
    chain_text(c);
    probe_sb_add(&c->fix, "Nothing needs fixing for the client: its TLS library takes a %s "
                          "message of this size. To let this probe test the whole handshake, "
                          "serve a certificate chain whose %s message fits one 16 KB record "
                          "(fewer names in the certificate, fewer intermediates).\n",
                          tls_handshake_name(c->tls->split_type),
                          tls_handshake_name(c->tls->split_type));
    return true;
}
