/* tests/unit/test_probe_audit.c: the audit planner (probe/engine/probe_audit_plan.h), driven by a fake
 * server that answers each planned step the way a real one would: a version it does not speak
 * gets an alert, otherwise it picks a suite from the offer by its own preference (or by the
 * client's order), or refuses when nothing it likes is offered. Every test counts the exact
 * number of connections the planner asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/engine/probe_audit_plan.h"
#include "tls/tls_info.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

enum fake_mode {
    FAKE_NORMAL,
    FAKE_TIMEOUT_NO_TLS,  /* nothing came back before the deadline, not even a PRELOGIN reply */
    FAKE_TIMEOUT_AFTER_CH, /* PRELOGIN answered, ClientHello sent, then silence */
    FAKE_ROGUE,           /* answers every handshake with `rogue`, offered or not */
};

struct fake {
    unsigned versions;      /* bit (1u << TLS_V1x) per version it accepts */
    const uint16_t *prefs;  /* the suites it accepts, most preferred first */
    size_t n_prefs;
    bool client_order;      /* picks by the client's order instead of its own */
    enum fake_mode mode;
    unsigned timeout_versions; /* versions whose handshakes time out (mode NORMAL) */
    uint16_t rogue;
};

static bool offered(const struct probe_audit_step *st, uint16_t id)
{
    for (size_t i = 0; i < st->n; i++) {
        if (st->suites[i] == id) {
            return true;
        }
    }
    return false;
}

static bool accepts(const struct fake *fs, uint16_t id)
{
    for (size_t i = 0; i < fs->n_prefs; i++) {
        if (fs->prefs[i] == id) {
            return true;
        }
    }
    return false;
}

static uint16_t pick(const struct fake *fs, const struct probe_audit_step *st)
{
    if (fs->mode == FAKE_ROGUE) {
        return fs->rogue;
    }
    for (size_t i = 0; !fs->client_order && i < fs->n_prefs; i++) {
        if (offered(st, fs->prefs[i])) {
            return fs->prefs[i];
        }
    }
    for (size_t i = 0; fs->client_order && i < st->n; i++) {
        if (accepts(fs, st->suites[i])) {
            return st->suites[i];
        }
    }
    return 0;
}

static void refuse(struct tls_info *ti, uint8_t alert)
{
    ti->stage = TLS_STAGE_CLIENT_HELLO_SENT;
    ti->alert_received = true;
    ti->alert_level = 2;
    ti->alert_description = alert;
}

struct run {
    unsigned steps;
    int versions[64];  /* the version of each step */
    size_t offered[64]; /* how many suites each step offered */
};

/* The TLS 1.3 steps: a hand-built ClientHello (no suites in the step: all three), answered with
 * a ServerHello or an alert as tls13_probe_parse reports them. */
static void answer13(struct probe_audit_plan *p, const struct fake *fs,
                     const struct probe_audit_step *st)
{
    struct tls13_probe_result r;
    struct probe_audit_step all = *st;
    bool version_ok = (fs->versions & (1u << TLS_V13)) != 0;

    memset(&r, 0, sizeof(r));
    if (st->n == 0) {
        all.n = tls13_probe_suites(all.suites, PROBE_AUDIT_MAX_SUITES);
    }
    uint16_t id = version_ok ? pick(fs, &all) : 0;
    if (id != 0) {
        r.accepted = true;
        r.version = TLS_V13;
        r.cipher_id = id;
        snprintf(r.cipher, sizeof(r.cipher), "%s", tls_cipher_name(id));
    } else {
        r.alert_received = true;
        r.alert_description = version_ok ? 40 : 70;
        snprintf(r.alert_name, sizeof(r.alert_name), "%s",
                 version_ok ? "handshake_failure" : "protocol_version");
    }
    probe_audit_plan_record_tls13(p, &r, true, false, false);
}

/* One connection: what the server does with the step, recorded into the planner. */
static void answer(struct probe_audit_plan *p, const struct fake *fs,
                   const struct probe_audit_step *st)
{
    struct tls_info ti;
    bool version_ok = (fs->versions & (1u << st->version)) != 0;

    if (st->version == TLS_V13) {
        answer13(p, fs, st);
        return;
    }
    memset(&ti, 0, sizeof(ti));
    if (fs->mode == FAKE_TIMEOUT_NO_TLS) {
        probe_audit_plan_record(p, st, NULL, false, true, false);
        return;
    }
    if (fs->mode == FAKE_TIMEOUT_AFTER_CH || (fs->timeout_versions & (1u << st->version))) {
        ti.stage = TLS_STAGE_CLIENT_HELLO_SENT;
        probe_audit_plan_record(p, st, &ti, false, true, false);
        return;
    }
    uint16_t id = version_ok ? pick(fs, st) : 0;
    if (!version_ok) {
        refuse(&ti, 70); /* protocol_version */
    } else if (id == 0) {
        refuse(&ti, 40); /* handshake_failure */
    } else {
        ti.stage = TLS_STAGE_SERVER_HELLO;
        ti.version = st->version;
        ti.cipher_id = id;
        snprintf(ti.cipher, sizeof(ti.cipher), "%s",
                 tls_cipher_name(id) != NULL ? tls_cipher_name(id) : "?");
    }
    probe_audit_plan_record(p, st, &ti, id != 0, false, false);
}

/* Runs the audit to its end (at most 500 steps: a planner that loops fails here). */
static void drive(struct probe_audit_plan *p, const struct fake *fs, struct run *r)
{
    struct probe_audit_step st;

    memset(r, 0, sizeof(*r));
    while (probe_audit_plan_next(p, &st)) {
        assert_true(r->steps < 500);
        assert_int_equal(st.suites[st.n], 0); /* 0-terminated for tls_config_opts */
        if (r->steps < 64) {
            r->versions[r->steps] = st.version;
            r->offered[r->steps] = st.n;
        }
        r->steps++;
        answer(p, fs, &st);
    }
    assert_false(probe_audit_plan_next(p, &st)); /* stays done */
}

/* The suites the planner offers for TLS 1.2 (its own rule: min_version <= 1.2), in order. */
static size_t tls12_offer(uint16_t *out, size_t cap)
{
    uint16_t all[512];
    size_t n = tls_default_suites(all, 512), k = 0;

    for (size_t i = 0; i < n && k < cap; i++) {
        struct tls_suite_info si;
        if (tls_suite_info(all[i], &si) && si.min_version <= TLS_V12) {
            out[k++] = all[i];
        }
    }
    return k;
}

struct tls12_fixture {
    uint16_t offer[PROBE_AUDIT_MAX_SUITES];
    size_t n_offer;
    uint16_t prefs[3];
};

/* Three accepted suites in an order unlike the offer: the 5th, 2nd and 9th offered. */
static void tls12_fixture(struct tls12_fixture *x)
{
    x->n_offer = tls12_offer(x->offer, PROBE_AUDIT_MAX_SUITES);
    assert_true(x->n_offer >= 10);
    x->prefs[0] = x->offer[4];
    x->prefs[1] = x->offer[1];
    x->prefs[2] = x->offer[8];
}

/* A TLS 1.2-only server accepting the fixture's first n_prefs suites, by its own order. */
static struct fake tls12_server(struct tls12_fixture *x, size_t n_prefs)
{
    struct fake fs = {.versions = 1u << TLS_V12, .prefs = x->prefs, .n_prefs = n_prefs};

    tls12_fixture(x);
    return fs;
}

/* Plans a whole audit (arguments as probe_audit_plan_init takes them), drives it against fs and
 * returns the results as the writers see them. */
static struct probe_audit audit_of(const struct fake *fs, bool protocols, bool ciphers,
                                   unsigned budget, struct run *r)
{
    struct probe_audit_plan plan;

    probe_audit_plan_init(&plan, protocols, ciphers, budget);
    drive(&plan, fs, r);
    return plan.audit;
}

static void assert_tls12_only_versions(const struct probe_audit *a, const struct run *r)
{
    assert_int_equal(a->proto[TLS_V10].state, PROBE_PROTO_REJECTED);
    assert_string_equal(a->proto[TLS_V10].how, "alert protocol_version");
    assert_int_equal(a->proto[TLS_V11].state, PROBE_PROTO_REJECTED);
    assert_int_equal(a->proto[TLS_V12].state, PROBE_PROTO_ACCEPTED);
    assert_int_equal(a->proto[TLS_V13].state, PROBE_PROTO_NOT_TESTED);
    assert_int_equal(r->versions[0], TLS_V10);
    assert_int_equal(r->versions[1], TLS_V11);
    assert_int_equal(r->versions[2], TLS_V12);
}

/* Every TLS 1.0-1.2 version ended `state`, described as `how` (NULL: any description). */
static void assert_versions_all(const struct probe_audit *a, enum probe_proto_state state,
                                const char *how)
{
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        assert_int_equal(a->proto[v].state, state);
        if (how != NULL) {
            assert_string_equal(a->proto[v].how, how);
        }
    }
}

static void test_tls12_server_order(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    /* 3 versions + 3 picks + 1 refusal + 1 order check */
    assert_int_equal(r.steps, 8);
    assert_int_equal(a.connections, 8);
    assert_tls12_only_versions(&a, &r);
    assert_int_equal(a.proto[TLS_V12].cipher, x.prefs[0]);
    assert_int_equal(a.ciphers[TLS_V12].n, 3);
    assert_memory_equal(a.ciphers[TLS_V12].ids, x.prefs, sizeof(x.prefs));
    assert_true(a.ciphers[TLS_V12].order_known);
    assert_true(a.ciphers[TLS_V12].server_order);
    assert_false(a.ciphers[TLS_V12].incomplete);
    assert_false(a.budget_hit);
    /* each pick shrinks the offer by one; the order check offers just two */
    assert_int_equal(r.offered[3], x.n_offer);
    assert_int_equal(r.offered[4], x.n_offer - 1);
    assert_int_equal(r.offered[6], x.n_offer - 3);
    assert_int_equal(r.offered[7], 2);
    assert_int_equal(a.ciphers[TLS_V10].n, 0);
    assert_int_equal(a.ciphers[TLS_V11].n, 0);
}

static void test_tls12_client_order(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    fs.client_order = true;
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    assert_int_equal(r.steps, 8);
    assert_tls12_only_versions(&a, &r);
    /* by the client's order, the walk meets them in offer order */
    const uint16_t want[3] = {x.offer[1], x.offer[4], x.offer[8]};
    assert_int_equal(a.ciphers[TLS_V12].n, 3);
    assert_memory_equal(a.ciphers[TLS_V12].ids, want, sizeof(want));
    assert_true(a.ciphers[TLS_V12].order_known);
    assert_false(a.ciphers[TLS_V12].server_order);
}

static void test_one_suite_no_order_check(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 1);

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    /* 3 versions + 1 pick + 1 refusal; one suite has no order to check */
    assert_int_equal(r.steps, 5);
    assert_int_equal(a.ciphers[TLS_V12].n, 1);
    assert_false(a.ciphers[TLS_V12].order_known);
}

static void test_protocols_only(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, false, 100, &r);

    assert_int_equal(r.steps, 3);
    assert_tls12_only_versions(&a, &r);
    assert_int_equal(a.ciphers[TLS_V12].n, 0);
}

static void test_every_version_walked(void **state)
{
    struct run r;
    /* two suites every version can use (the 2nd and 5th offered may be TLS 1.2-only) */
    uint16_t legacy[2] = {0xc014, 0x002f};
    struct fake fs = {.versions = (1u << TLS_V10) | (1u << TLS_V11) | (1u << TLS_V12),
                      .prefs = legacy, .n_prefs = 2};

    (void)state;
    assert_true(tls_cipher_supported(0xc014) && tls_cipher_supported(0x002f));
    /* --ciphers alone implies the versions */
    const struct probe_audit a = audit_of(&fs, false, true, 100, &r);

    /* 3 versions, then per version 2 picks + 1 refusal + 1 order check */
    assert_int_equal(r.steps, 3 + 3 * 4);
    assert_versions_all(&a, PROBE_PROTO_ACCEPTED, NULL);
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        assert_int_equal(a.ciphers[v].n, 2);
        assert_memory_equal(a.ciphers[v].ids, legacy, sizeof(legacy));
        assert_true(a.ciphers[v].server_order);
    }
    assert_int_equal(r.versions[3], TLS_V10);
    assert_int_equal(r.versions[14], TLS_V12);
}

static void test_rejects_everything(void **state)
{
    struct run r;
    uint16_t none[1] = {0};
    struct fake fs = {.versions = 0, .prefs = none, .n_prefs = 0};

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    assert_int_equal(r.steps, 3); /* nothing accepted: no suite walk at all */
    assert_versions_all(&a, PROBE_PROTO_REJECTED, "alert protocol_version");
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        assert_int_equal(a.ciphers[v].n, 0);
    }
    assert_false(a.budget_hit);
}

static void test_budget_during_walk(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 5, &r);

    assert_int_equal(r.steps, 5); /* 3 versions + 2 picks, then the budget */
    assert_true(a.budget_hit);
    assert_true(a.ciphers[TLS_V12].incomplete);
    assert_int_equal(a.ciphers[TLS_V12].n, 2);
    assert_memory_equal(a.ciphers[TLS_V12].ids, x.prefs, 2 * sizeof(x.prefs[0]));
    assert_false(a.ciphers[TLS_V12].order_known);
}

static void test_budget_during_versions(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 2, &r);

    assert_int_equal(r.steps, 2);
    assert_true(a.budget_hit);
    assert_int_equal(a.proto[TLS_V11].state, PROBE_PROTO_REJECTED);
    assert_int_equal(a.proto[TLS_V12].state, PROBE_PROTO_NOT_TESTED);
}

static void test_rogue_pick_not_offered(void **state)
{
    struct run r;
    uint16_t none[1] = {0};
    struct tls12_fixture x;
    struct fake fs = {.versions = 1u << TLS_V12, .prefs = none, .n_prefs = 0,
                      .mode = FAKE_ROGUE, .rogue = 0x0004};

    (void)state;
    /* RC4-MD5 is never in the default offer: a server answering with it ignores our list */
    tls12_fixture(&x);
    for (size_t i = 0; i < x.n_offer; i++) {
        assert_int_not_equal(x.offer[i], 0x0004);
    }
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    assert_int_equal(r.steps, 4); /* 3 versions + 1 walk step that stops the walk */
    assert_int_equal(a.ciphers[TLS_V12].n, 0);
    assert_false(a.budget_hit);
}

static void test_rogue_repeats_first_pick(void **state)
{
    struct tls12_fixture x;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    /* the same suite every time, even once it is no longer offered */
    fs.mode = FAKE_ROGUE;
    fs.rogue = x.prefs[0];
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    assert_int_equal(r.steps, 5); /* 3 versions + the pick + the repeat that ends the walk */
    assert_int_equal(a.ciphers[TLS_V12].n, 1);
    assert_int_equal(a.ciphers[TLS_V12].ids[0], x.prefs[0]);
}

static void test_timeout_before_tls_is_error(void **state)
{
    struct run r;
    struct fake fs = {.versions = 1u << TLS_V12, .mode = FAKE_TIMEOUT_NO_TLS};

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, true, 100, &r);

    assert_int_equal(r.steps, 3);
    assert_versions_all(&a, PROBE_PROTO_ERROR, "timeout");
}

/* A server that goes silent after the ClientHello has not said no: the engine passes the
 * session's info (stage client_hello_sent) with timed_out, and that is still "could not tell". */
static void test_timeout_after_client_hello_is_error(void **state)
{
    struct run r;
    uint16_t legacy[2] = {0xc014, 0x002f};
    struct fake fs = {.versions = (1u << TLS_V11) | (1u << TLS_V12), .prefs = legacy,
                      .n_prefs = 2, .timeout_versions = 1u << TLS_V10};

    (void)state;
    const struct probe_audit a = audit_of(&fs, true, false, 100, &r);

    assert_int_equal(r.steps, 3);
    assert_int_equal(a.proto[TLS_V10].state, PROBE_PROTO_ERROR);
    assert_string_equal(a.proto[TLS_V10].how, "timeout");
    assert_int_equal(a.proto[TLS_V11].state, PROBE_PROTO_ACCEPTED);
    assert_int_equal(a.proto[TLS_V12].state, PROBE_PROTO_ACCEPTED);
}

/* Steps n connections of the plan, each answered by fs. */
static void answer_steps(struct probe_audit_plan *plan, const struct fake *fs, int n)
{
    struct probe_audit_step st;

    for (int i = 0; i < n; i++) {
        assert_true(probe_audit_plan_next(plan, &st));
        answer(plan, fs, &st);
    }
}

/* The time budget runs out during the suite walk, with a step under way: that step's outcome
 * is dropped (the record that follows does nothing), the walk is incomplete, no more steps. */
static void test_time_budget_during_walk(void **state)
{
    struct tls12_fixture x;
    struct probe_audit_plan plan;
    struct probe_audit_step st;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    probe_audit_plan_init(&plan, true, true, 100);
    answer_steps(&plan, &fs, 4); /* 3 versions and the first pick */
    assert_true(probe_audit_plan_next(&plan, &st)); /* the second pick, under way */
    probe_audit_plan_stop(&plan, PROBE_AUDIT_LIMIT_TIME);
    answer(&plan, &fs, &st);
    assert_false(probe_audit_plan_next(&plan, &st));
    const struct probe_audit a = plan.audit;

    assert_true(a.budget_hit);
    assert_int_equal(a.limit, PROBE_AUDIT_LIMIT_TIME);
    assert_int_equal(a.connections, 5);
    assert_int_equal(a.proto[TLS_V12].state, PROBE_PROTO_ACCEPTED);
    assert_true(a.ciphers[TLS_V12].incomplete);
    assert_int_equal(a.ciphers[TLS_V12].n, 1); /* the step under way counted for nothing */
    assert_int_equal(a.ciphers[TLS_V12].ids[0], x.prefs[0]);
    assert_false(a.ciphers[TLS_V12].order_known);
}

/* The time budget runs out while a version step is under way: that version and the ones after
 * it stay not tested; stopping a complete audit changes nothing. */
static void test_time_budget_during_versions(void **state)
{
    struct tls12_fixture x;
    struct probe_audit_plan plan;
    struct probe_audit_step st;
    struct run r;
    struct fake fs = tls12_server(&x, 3);

    (void)state;
    fs.timeout_versions = 1u << TLS_V10;
    probe_audit_plan_init(&plan, true, false, 100);
    probe_audit_plan_enable_tls13(&plan);
    answer_steps(&plan, &fs, 1); /* TLS 1.0 ran to its own deadline: could not tell */
    assert_true(probe_audit_plan_next(&plan, &st));
    assert_int_equal(st.version, TLS_V11);
    probe_audit_plan_stop(&plan, PROBE_AUDIT_LIMIT_TIME);
    answer(&plan, &fs, &st);
    assert_false(probe_audit_plan_next(&plan, &st));
    assert_true(plan.audit.budget_hit);
    assert_int_equal(plan.audit.limit, PROBE_AUDIT_LIMIT_TIME);
    assert_int_equal(plan.audit.proto[TLS_V10].state, PROBE_PROTO_ERROR);
    assert_string_equal(plan.audit.proto[TLS_V10].how, "timeout");
    for (int v = TLS_V11; v <= TLS_V13; v++) {
        assert_int_equal(plan.audit.proto[v].state, PROBE_PROTO_NOT_TESTED);
        assert_string_equal(plan.audit.proto[v].how, "");
    }

    probe_audit_plan_init(&plan, true, false, 100);
    drive(&plan, &fs, &r);
    probe_audit_plan_stop(&plan, PROBE_AUDIT_LIMIT_TIME);
    assert_false(plan.audit.budget_hit);
    assert_string_equal(probe_audit_limit_text(PROBE_AUDIT_LIMIT_TIME),
                        "audit time budget reached");
    assert_string_equal(probe_audit_limit_text(PROBE_AUDIT_LIMIT_CONNECTIONS),
                        "connection budget reached");
}

/* A TLS 1.3-only strict server: the detection's pick is the walk's first, then the other two
 * suites one by one, then the order check - three more connections, all TLS 1.3. */
static void test_tls13_suite_walk(void **state)
{
    static const uint16_t prefs[] = { 0x1302, 0x1303, 0x1301 };
    struct fake fs = {.versions = 1u << TLS_V13, .prefs = prefs, .n_prefs = 3};
    struct probe_audit_plan plan;
    struct run r;

    (void)state;
    probe_audit_plan_init(&plan, true, true, 100);
    probe_audit_plan_enable_tls13(&plan);
    drive(&plan, &fs, &r);
    assert_int_equal(r.steps, 7); /* 1.0, 1.1, 1.2, 1.3 detection, two walk steps, order */
    assert_int_equal(r.versions[3], TLS_V13);
    assert_int_equal(r.offered[3], 0);
    for (unsigned i = 4; i < 7; i++) {
        assert_int_equal(r.versions[i], TLS_V13);
    }
    assert_int_equal(r.offered[4], 2);
    assert_int_equal(r.offered[5], 1);
    assert_int_equal(r.offered[6], 2);
    const struct probe_cipher_list *cl = &plan.audit.ciphers[TLS_V13];
    assert_int_equal(cl->n, 3);
    assert_memory_equal(cl->ids, prefs, sizeof(prefs));
    assert_true(cl->order_known);
    assert_true(cl->server_order);
    assert_false(cl->incomplete);
    assert_int_equal(plan.audit.proto[TLS_V13].state, PROBE_PROTO_ACCEPTED);
    assert_int_equal(plan.audit.ciphers[TLS_V12].n, 0);

    /* client order, two suites allowed (ciphersuites13 = CHACHA20:AES_128): the detection
     * picks the client's first allowed one */
    static const uint16_t two[] = { 0x1303, 0x1301 };
    struct fake fc = {.versions = 1u << TLS_V13, .prefs = two, .n_prefs = 2,
                      .client_order = true};
    probe_audit_plan_init(&plan, true, true, 100);
    probe_audit_plan_enable_tls13(&plan);
    drive(&plan, &fc, &r);
    assert_int_equal(r.steps, 7); /* the last walk step is refused; then the order check */
    assert_int_equal(cl->n, 2);
    assert_int_equal(cl->ids[0], 0x1301);
    assert_int_equal(cl->ids[1], 0x1303);
    assert_true(cl->order_known);
    assert_false(cl->server_order);

    /* --protocols alone: no walk */
    probe_audit_plan_init(&plan, true, false, 100);
    probe_audit_plan_enable_tls13(&plan);
    drive(&plan, &fs, &r);
    assert_int_equal(r.steps, 4);
    assert_int_equal(cl->n, 0);
}

/* The transport follows the client's own connection: TLS first (TDS 8.0) exactly when that
 * connection ran strict, whatever else the facts say; the plan starts at TDS 7.x and keeps what
 * it is given. */
static void test_transport_decision(void **state)
{
    struct probe_facts f;
    struct probe_audit_plan plan;

    (void)state;
    memset(&f, 0, sizeof(f));
    f.got_prelogin = true;
    assert_int_equal(probe_audit_transport_for(&f), PROBE_AUDIT_TDS7);
    f.tds8 = true; /* --encrypt strict: the client's own connection went TLS first */
    assert_int_equal(probe_audit_transport_for(&f), PROBE_AUDIT_TDS8);
    f.got_prelogin = false; /* strict over TLS 1.3 reads no PRELOGIN: still TDS 8.0 */
    assert_int_equal(probe_audit_transport_for(&f), PROBE_AUDIT_TDS8);
    f.tds8 = false;
    f.scope = TDS_TLS_LOGIN_ONLY;
    assert_int_equal(probe_audit_transport_for(&f), PROBE_AUDIT_TDS7);

    probe_audit_plan_init(&plan, true, true, 100);
    assert_int_equal(plan.audit.transport, PROBE_AUDIT_TDS7);
    probe_audit_plan_set_transport(&plan, PROBE_AUDIT_TDS8);
    assert_int_equal(plan.audit.transport, PROBE_AUDIT_TDS8);
    assert_string_equal(probe_audit_transport_name(plan.audit.transport), "tds8");
}

/* A strict-only server with TLS 1.2 alone, over the TDS 8.0 transport: the plan's steps are the
 * same as over TDS 7.x (the transport is the engine's business), and the walk finds the
 * server's suites in its order. */
static void test_tds8_transport_same_steps(void **state)
{
    static const uint16_t prefs[] = { 0xc030, 0xc02f };
    struct fake fs = { .versions = 1u << TLS_V12, .prefs = prefs, .n_prefs = 2 };
    struct probe_audit_plan a, b;
    struct run ra, rb;

    (void)state;
    probe_audit_plan_init(&a, true, true, 100);
    probe_audit_plan_enable_tls13(&a);
    drive(&a, &fs, &ra);
    probe_audit_plan_init(&b, true, true, 100);
    probe_audit_plan_enable_tls13(&b);
    probe_audit_plan_set_transport(&b, PROBE_AUDIT_TDS8);
    drive(&b, &fs, &rb);
    assert_int_equal(ra.steps, rb.steps);
    assert_int_equal(rb.steps, 4 + 3 + 1); /* 4 versions, 2 picks + the refusal, the order */
    assert_int_equal(b.audit.proto[TLS_V12].state, PROBE_PROTO_ACCEPTED);
    assert_int_equal(b.audit.proto[TLS_V10].state, PROBE_PROTO_REJECTED);
    assert_int_equal(b.audit.ciphers[TLS_V12].n, 2);
    assert_int_equal(b.audit.ciphers[TLS_V12].ids[0], 0xc030);
    assert_true(b.audit.ciphers[TLS_V12].server_order);
    assert_int_equal(b.audit.transport, PROBE_AUDIT_TDS8);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(probe_proto_state_name(PROBE_PROTO_ACCEPTED), "accepted");
    assert_string_equal(probe_proto_state_name(PROBE_PROTO_REJECTED), "rejected");
    assert_string_equal(probe_proto_state_name(PROBE_PROTO_ERROR), "error");
    assert_string_equal(probe_proto_state_name(PROBE_PROTO_NOT_TESTED), "not_tested");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_server_order),
        cmocka_unit_test(test_tls12_client_order),
        cmocka_unit_test(test_one_suite_no_order_check),
        cmocka_unit_test(test_protocols_only),
        cmocka_unit_test(test_every_version_walked),
        cmocka_unit_test(test_rejects_everything),
        cmocka_unit_test(test_budget_during_walk),
        cmocka_unit_test(test_budget_during_versions),
        cmocka_unit_test(test_time_budget_during_walk),
        cmocka_unit_test(test_time_budget_during_versions),
        cmocka_unit_test(test_rogue_pick_not_offered),
        cmocka_unit_test(test_rogue_repeats_first_pick),
        cmocka_unit_test(test_timeout_before_tls_is_error),
        cmocka_unit_test(test_timeout_after_client_hello_is_error),
        cmocka_unit_test(test_tls13_suite_walk),
        cmocka_unit_test(test_transport_decision),
        cmocka_unit_test(test_tds8_transport_same_steps),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
