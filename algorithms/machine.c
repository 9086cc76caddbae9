/* Client sessions and snapshots around a state machine (see machine.h). */
#include "algorithms/machine.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "algorithms/rsm.h"

const char *const machine_names[] = { "kv", "lock", "counter", "queue", NULL };
static const struct machine_ops *const machines[] = { &machine_kv, &machine_lock, &machine_counter, &machine_queue };

const struct machine_ops *machine_by_index(int i)
{
    assert(i >= 0 && i < (int)(sizeof machines / sizeof machines[0]));
    return machines[i];
}

void machine_buf_put(struct machine_buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->p = rsm_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void machine_buf_free(struct machine_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void machine_read(struct machine_reader *r, void *out, size_t len)
{
    if (r->bad || len > r->len - r->off) {
        r->bad = 1;
        memset(out, 0, len);
        return;
    }
    memcpy(out, r->p + r->off, len);
    r->off += len;
}

void machine_read_str(struct machine_reader *r, char out[REQ_STR])
{
    size_t k = 0;
    for (;;) {
        char ch;
        machine_read(r, &ch, 1);
        if (r->bad || !ch)
            break;
        if (k == REQ_STR - 1) {
            r->bad = 1;
            break;
        }
        out[k++] = ch;
    }
    /* Every byte defined: values are copied whole into results, results
     * into sessions, sessions byte for byte into the next snapshot. */
    memset(out + k, 0, REQ_STR - k);
}

void machine_init(struct machine *m, const struct machine_ops *ops)
{
    memset(m, 0, sizeof *m);
    m->ops = ops;
    m->state = rsm_xcalloc(1, ops->state_size);
    ops->init(m->state);
}

static void sessions_free(struct machine *m)
{
    for (int i = 0; i < m->nsessions; i++)
        free(m->sessions[i]);
    free(m->sessions);
    m->sessions = NULL;
    m->nsessions = 0;
}

void machine_free(struct machine *m)
{
    if (!m->ops)
        return;
    m->ops->free(m->state);
    free(m->state);
    sessions_free(m);
    memset(m, 0, sizeof *m);
}

static struct machine_session *session(struct machine *m, int client)
{
    if (client >= m->nsessions) {
        int n = client + 1;
        m->sessions = rsm_xrealloc(m->sessions, (size_t)n * sizeof *m->sessions);
        memset(m->sessions + m->nsessions, 0, (size_t)(n - m->nsessions) * sizeof *m->sessions);
        m->nsessions = n;
    }
    if (!m->sessions[client])
        m->sessions[client] = rsm_xcalloc(1, sizeof **m->sessions);
    return m->sessions[client];
}

/* The machine's exec answers an op it does not have with RESULT_FAIL
 * itself (the replicas refuse it alike); classifying here as well would cost
 * a string compare per applied entry. */
static int exec(struct machine *m, const struct request *cmd, uint64_t index, struct result *out)
{
    memset(out, 0, sizeof *out);
    return m->ops->exec(m->state, cmd, index, out);
}

int machine_apply(struct machine *m, const struct request *cmd, uint64_t index, struct result *out)
{
    m->applied++;
    if (cmd->client <= 0 || m->no_dedup)  /* not from a client session */
        return exec(m, cmd, index, out);
    struct machine_session *s = session(m, cmd->client);
    /* §6.3: a command whose (client, seq) was applied before answers with
     * the result of the first application and changes nothing. */
    for (int i = 0; i < s->count; i++)
        if (s->ring[i].seq == cmd->seq) {
            m->duplicates++;
            memcpy(out, &s->ring[i].res, sizeof *out);
            return 0;
        }
    if (cmd->seq <= s->evicted_max) {
        /* Older than the window: it may have been applied; applying it again
         * could break exactly-once, so it is refused (deterministically, on
         * every replica). */
        m->expired++;
        memset(out, 0, sizeof *out);
        out->status = RESULT_UNKNOWN;
        snprintf(out->error, sizeof out->error, "session expired");
        return 0;
    }
    int changed = exec(m, cmd, index, out);
    struct machine_cached *c;
    if (s->count < MACHINE_SESSION_WINDOW) {
        c = &s->ring[s->count++];
    } else {
        c = &s->ring[s->head];
        s->head = (s->head + 1) % MACHINE_SESSION_WINDOW;
        if (c->seq > s->evicted_max)
            s->evicted_max = c->seq;
    }
    /* memcpy, not assignment: the session is saved byte for byte into
     * snapshots, padding included, so every byte must be defined. */
    c->seq = cmd->seq;
    memcpy(&c->res, out, sizeof *out);
    return changed;
}

void machine_query(const struct machine *m, const struct request *cmd, struct result *out)
{
    memset(out, 0, sizeof *out);
    assert(m->ops->kind(cmd->op) == MACHINE_OP_READ);
    m->ops->query(m->state, cmd, out);
}

int machine_kind(const struct machine *m, const char *op) { return m->ops->kind(op); }

void machine_peek(const struct machine *m, const struct request *cmd, struct result *out)
{
    memset(out, 0, sizeof *out);
    m->ops->query(m->state, cmd, out);
}

int machine_propose(struct machine *m, sim_time now, struct request *out, int max)
{
    return m->ops->propose ? m->ops->propose(m->state, now, out, max) : 0;
}

/* The snapshot layout: "MSNP", the machine's name, the state's bytes (its
 * own format), then the sessions: count, and per present session its client
 * id and the session record as stored (results included: a duplicate after
 * the snapshot must answer with the first result, byte for byte). */
void machine_save(const struct machine *m, struct machine_buf *out, int with_sessions)
{
    char name[16] = {0};
    snprintf(name, sizeof name, "%s", m->ops->name);
    machine_buf_put(out, "MSNP", 4);
    machine_buf_put(out, name, sizeof name);
    m->ops->save(m->state, out);
    uint32_t n = 0;
    if (with_sessions)
        for (int i = 0; i < m->nsessions; i++)
            n += m->sessions[i] != NULL;
    machine_buf_put(out, &n, sizeof n);
    for (int i = 0; with_sessions && i < m->nsessions; i++)
        if (m->sessions[i]) {
            int32_t client = i;
            machine_buf_put(out, &client, sizeof client);
            machine_buf_put(out, m->sessions[i], sizeof *m->sessions[i]);
        }
    machine_buf_put(out, &m->applied, sizeof m->applied);
}

int machine_load(struct machine *m, const unsigned char *p, size_t len)
{
    const struct machine_ops *ops = m->ops;
    machine_free(m);
    machine_init(m, ops);
    struct machine_reader r = { p, len, 0, 0 };
    char magic[4], name[16];
    machine_read(&r, magic, sizeof magic);
    machine_read(&r, name, sizeof name);
    if (r.bad || memcmp(magic, "MSNP", 4) != 0 || strncmp(name, ops->name, sizeof name) != 0)
        goto bad;
    ops->load(m->state, &r);
    uint32_t n;
    machine_read(&r, &n, sizeof n);
    for (uint32_t k = 0; k < n && !r.bad; k++) {
        int32_t client;
        machine_read(&r, &client, sizeof client);
        if (r.bad || client <= 0 || client > (1 << 24))
            goto bad;
        machine_read(&r, session(m, client), sizeof **m->sessions);
    }
    machine_read(&r, &m->applied, sizeof m->applied);
    if (!r.bad && r.off == r.len)
        return 0;
bad:
    machine_free(m);
    machine_init(m, ops);
    return -1;
}

void machine_inspect(const struct machine *m, struct inspector *in)
{
    if (m->ops->inspect)
        m->ops->inspect(m->state, in);
}
