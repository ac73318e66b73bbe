/* probe/engine/probe_engine_int.h: inside the engine. probe_engine.c runs jobs (start,
 * resolve, SQL Server Browser, deadline, audit, delivery, the queue, the API);
 * probe_engine_conn.c runs a job's TCP connections (the client's own, the strict TLS 1.2 retry,
 * the follow-up and the audit's), moving bytes between sockets and probe_conn. */
#ifndef PROBE_ENGINE_PROBE_ENGINE_INT_H
#define PROBE_ENGINE_PROBE_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "probe/engine/probe_engine.h"
#include "probe/engine/probe_job_state.h"
#include "probe/engine/probe_queue.h"

struct tls_config;

/* One read buffer for the whole engine: libuv hands it to one on_read at a time and every
 * byte is consumed (copied where kept) before on_read returns. */
#define READ_BUF 65536

struct job;

/* One TCP connection carrying one probe_conn. At most one is open per job (job->cur); the
 * job's state says which connection it is. */
struct attempt {
    struct job *job;
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct probe_conn *conn; /* owned by the job */
    bool closing;
};

struct job {
    struct probe_engine *e;
    struct job *prev, *next; /* the engine's running jobs, until the job ends */
    enum probe_job_state state;
    /* The target as the queue held it: 96 bytes where a struct probe_target is 3.7 KiB of fixed
     * text fields (issue 15: a thousand jobs in flight). text and host are the job's own; client,
     * cfg, wide and pin belong to the queue, which outlives every job. The full probe_target is
     * built only when the result is delivered (deliver, in the engine's scratch). */
    struct probe_queued t;
    struct probe_client *wide_client; /* the side connections' client, made on first use */
    uv_getaddrinfo_t gai;
    struct addrinfo *ai;
    struct addrinfo *ai_cur;
    uv_timer_t timer; /* the target's deadline */
    struct probe_browser *browser;
    struct attempt *cur;
    struct probe_conn *conn;  /* the client's own connection (res.tls points into it) */
    struct probe_conn *fconn; /* the current side connection: follow-up or audit step */
    struct probe_facts res;
    struct probe_facts *fres;      /* facts of the current side connection */
    struct probe_audit_run *audit; /* while the audit runs (and until its timer closed) */
    uint64_t t_start, t_mark;
    int last_err;
    int open; /* handles and requests whose callbacks are still to come */
};

struct probe_engine {
    uv_loop_t *loop;
    struct probe_engine_opts o;
    struct probe_queue queue; /* targets not started yet */
    struct job *running;      /* started, not ended: what probe_engine_cancel looks through */
    size_t in_flight;
    /* Inside on_result or probe_engine_cancel: jobs start only when it is over, so a job that
     * ends at once (a refused connect) never delivers into the result being delivered. */
    unsigned busy;
    struct probe_result *scratch; /* the one full result, built when a probe ends */
    struct probe_target *scratch_target; /* its target, filled from the job's */
    char rbuf[READ_BUF];
};

/* Shared by the two files: state changes (through the transition table), phase timing, the end
 * of a job, and the hand-overs between running a job and running its connections. */
void probe__job_enter(struct job *j, enum probe_job_state next);
void probe__job_mark(struct job *j, double *slot, enum probe_phase next);
void probe__job_finish(struct job *j);
void probe__job_audit_begin(struct job *j);
void probe__job_maybe_free(struct job *j);
void probe__job_connect_next(struct job *j);
void probe__attempt_close(struct attempt *a);
void probe__job_side_start(struct job *j, const struct tls_config *cfg, int min, int max);
void probe__job_bug(const struct job *j, const char *event);
void probe__job_audit_conn_done(struct job *j);

#endif
