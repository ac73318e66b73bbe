/* probe/diagnose/probe_judge.h: the certificate chain a server showed, judged as the emulated
 * client would judge it: the name it checks (HostNameInCertificate, else the host), its name
 * rules, whether it validates at all in this situation, the pinned certificate, the clock, and
 * the key-size limits. A pure function of its inputs: the engine captures the chain, this
 * layer decides what the client makes of it. */
#ifndef PROBE_PROBE_JUDGE_H
#define PROBE_PROBE_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "probe/model/probe.h"
#include "tls/tls_info.h"

struct probe_judge_input {
    const struct probe_client *client;
    const char *host;            /* the target's host, as the client was given it */
    const struct tls_info *tls;  /* what the handshake captured; NULL when none ran */
    bool validates;              /* the client validates the certificate (probe_facts) */
    const uint8_t *pin_der;      /* ServerCertificate pin (DER), or NULL */
    size_t pin_len;
    time_t now;                  /* the validity check's clock */
};

/* Fills out: out->pass true and no finding when no handshake ran (in->tls NULL). */
void probe_judge(const struct probe_judge_input *in, struct tls_verdict *out);

#endif
