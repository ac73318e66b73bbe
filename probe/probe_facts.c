/* probe/probe_facts.c: in-flight facts -> the result handed to diagnosis and the writers. */
#include "probe/probe.h"

#include <string.h>

void probe_facts_to_result(const struct probe_facts *f, struct probe_result *r)
{
    memcpy(r->address, f->address, sizeof(r->address));
    r->port = f->port;
    r->tds8 = f->tds8;
    r->sent_encryption = f->sent_encryption;
    r->validates = f->validates;
    r->scope = f->scope;
    r->phase = f->phase;
    r->net_error = f->net_error;
    r->timed_out = f->timed_out;
    r->got_prelogin = f->got_prelogin;
    r->prelogin = f->prelogin;
    memcpy(r->server_version, f->server_version, sizeof(r->server_version));
    memcpy(r->server_product, f->server_product, sizeof(r->server_product));
    r->tds_err = f->tds_err;
    r->not_tds = f->not_tds;
    r->tls = f->tls;
    r->server_closed_after_prelogin = f->server_closed_after_prelogin;
    r->server_reset = f->server_reset;
    r->strict_refused = f->strict_refused;
    r->followup_ran = f->followup_ran;
    r->followup_ok = f->followup_ok;
    r->followup_version = f->followup_version;
    memcpy(r->followup_cipher, f->followup_cipher, sizeof(r->followup_cipher));
    r->t_resolve = f->t_resolve;
    r->t_browser = f->t_browser;
    r->t_connect = f->t_connect;
    r->t_prelogin = f->t_prelogin;
    r->t_handshake = f->t_handshake;
    r->t_total = f->t_total;
    r->audit = f->audit;
}

uint16_t probe_result_port(const struct probe_result *r)
{
    if (r->port != 0)
        return r->port;
    if (r->target != NULL && r->target->port != 0)
        return r->target->port;
    return (r->target == NULL || r->target->instance[0] == '\0') ? 1433u : 0u;
}
