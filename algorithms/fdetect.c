/* Heartbeat failure detectors.
 *
 * Every node sends a heartbeat every `interval` ms (local clock) to its
 * peers: all other nodes, or `peers` = k of them drawn from the node's own
 * stream. A receiver monitors every node it hears from, with one of two
 * detectors:
 *
 *   fixed  suspect when no heartbeat arrived for `timeout` ms;
 *   phi    the accrual detector of Hayashibara et al. (SRDS 2004).
 *
 * The window and both rules live in hb_detect.[ch], shared with the load
 * balancer's health checks.
 *
 * Both suspicion conditions are monotone in time since the last heartbeat,
 * so each has an exact deadline; a node keeps one timer at its earliest
 * deadline instead of polling, and a heartbeat only moves a deadline later.
 * Since healthy peers have all been heard within one interval, the timer
 * fires rarely and detection is exact to the nanosecond of local time.
 *
 * All times are the observer's local clock: a node whose clock runs fast
 * sees heartbeats arrive "late" and suspects early.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/algorithm.h"
#include "algorithms/hb_detect.h"
#include "sim/dmath.h"
#include "sim/pairmap.h"

enum { MSG_HEARTBEAT = 0 };
enum { T_HEARTBEAT = 0, T_CHECK = 1 };

struct fd_params {
    sim_time interval;
    struct hb_params hb;     /* the detector and its options */
    int peers;               /* 0: all */
};

struct heartbeat { uint64_t seq; };

struct fd_state {
    uint64_t seq;
    int *targets;            /* who this node heartbeats */
    int ntargets;
    struct hb_mon *mons;        /* who this node monitors, in first-heard order */
    int nmons, capmons;
    struct pairmap slot;     /* peer id -> index into mons: sparse, so 10,000 nodes
                                that each hear from 3 peers stay small */
    sim_time armed_at;       /* local deadline the check timer is armed for, or -1 */
};

struct fd_ghost {
    double *detect_ms;       /* crash-to-suspicion times of real crashes */
    size_t ndetect, capdetect;
    uint64_t false_suspicions, paused_suspicions, suspicions, trusts;
};

static int fd_configure(struct config *c, void *params, struct error *err)
{
    struct fd_params *p = params;
    int64_t window, peers;
    if (config_ms(c, "interval", 50, 0.001, 1e9, &p->interval, err) ||
        config_choice(c, "detector", hb_detector_names, HB_FIXED, &p->hb.detector, err) ||
        config_ms(c, "timeout", 200, 0.001, 1e9, &p->hb.timeout, err) ||
        config_double(c, "threshold", 8, 0.01, 300, &p->hb.threshold, err) ||
        config_int(c, "window", 100, 2, 100000, &window, err) ||
        config_ms(c, "min_std", 5, 0, 1e9, &p->hb.min_std, err) ||
        config_int(c, "peers", 0, 0, 1000000, &peers, err))
        return -1;
    p->hb.window = (int)window;
    p->peers = (int)peers;
    hb_params_finish(&p->hb);
    return 0;
}

static struct fd_state *st(struct node *n) { return node_state(n); }
static const struct fd_params *prm(const struct node *n) { return node_params(n); }

static void fd_free(struct node *n)
{
    struct fd_state *s = st(n);
    for (int i = 0; i < s->nmons; i++)
        hb_mon_free(&s->mons[i]);
    free(s->mons);
    pairmap_free(&s->slot);
    free(s->targets);
}

static void choose_targets(struct node *n)
{
    struct fd_state *s = st(n);
    const struct fd_params *p = prm(n);
    int count = node_count(n), me = node_id(n);
    free(s->targets);
    s->targets = NULL;
    s->ntargets = 0;
    if (p->peers == 0)
        return;
    s->targets = malloc(sizeof *s->targets * (size_t)p->peers);
    if (!s->targets)
        abort();
    if (p->peers >= count - 1) {
        for (int i = 1; i <= count; i++)
            if (i != me)
                s->targets[s->ntargets++] = i;
        return;
    }
    /* k distinct peers from the node's own stream, by rejection: k is far
     * below n here (k >= n - 1 took the branch above; a large k/n ratio
     * only costs a few extra draws). */
    while (s->ntargets < p->peers) {
        int cand = 1 + (int)node_random_below(n, (uint64_t)count);
        int dup = cand == me;
        for (int i = 0; i < s->ntargets && !dup; i++)
            dup = s->targets[i] == cand;
        if (!dup)
            s->targets[s->ntargets++] = cand;
    }
}

static void fd_start(struct node *n)
{
    struct fd_state *s = st(n);
    s->armed_at = -1;
    choose_targets(n);
    /* First beat at a random phase of the interval, so nodes do not beat in lockstep. */
    node_timer(n, T_HEARTBEAT, (sim_time)node_random_below(n, (uint64_t)prm(n)->interval + 1));
}

static void send_beats(struct node *n)
{
    struct fd_state *s = st(n);
    struct heartbeat hb = { ++s->seq };
    if (prm(n)->peers == 0) {
        /* all peers, as the configuration stands now (it may have grown) */
        int count = node_count(n), me = node_id(n);
        for (int i = 1; i <= count; i++)
            if (i != me && node_is_member(n, i))
                node_send(n, i, MSG_HEARTBEAT, &hb, sizeof hb);
        return;
    }
    for (int i = 0; i < s->ntargets; i++)
        if (node_is_member(n, s->targets[i]))
            node_send(n, s->targets[i], MSG_HEARTBEAT, &hb, sizeof hb);
}

static void arm_check(struct node *n)
{
    struct fd_state *s = st(n);
    const struct fd_params *p = prm(n);
    sim_time best = -1;
    for (int i = 0; i < s->nmons; i++) {
        if (s->mons[i].suspected)
            continue;
        sim_time d = hb_deadline(&p->hb, &s->mons[i]);
        if (best < 0 || d < best)
            best = d;
    }
    if (best < 0) {
        node_cancel(n, T_CHECK);
        s->armed_at = -1;
        return;
    }
    sim_time now = node_now(n);
    s->armed_at = best;
    node_timer(n, T_CHECK, best > now ? best - now : 0);
}

static void record_suspicion(struct node *n, struct hb_mon *m, int suspect, double phi)
{
    const struct fd_params *p = prm(n);
    struct fd_ghost *g = node_ghost(n);
    const struct cluster *c = node_checker_view(n);
    if (suspect) {
        g->suspicions++;
        sim_time down = cluster_node_down_since(c, m->peer);
        if (down >= 0) {
            if (g->ndetect == g->capdetect) {
                g->capdetect = g->capdetect ? 2 * g->capdetect : 64;
                g->detect_ms = realloc(g->detect_ms, g->capdetect * sizeof *g->detect_ms);
                if (!g->detect_ms)
                    abort();
            }
            g->detect_ms[g->ndetect++] = sim_ns_to_ms(cluster_true_now(c) - down);
        } else if (cluster_node_paused(c, m->peer)) {
            g->paused_suspicions++;
        } else {
            g->false_suspicions++;
        }
    } else {
        g->trusts++;
    }
    struct record *r = node_note_begin(n, suspect ? "suspect" : "trust", 1);
    record_int(r, "target", m->peer);
    if (p->hb.detector == HB_PHI)
        record_num(r, "phi", phi);
    node_note_end(n, r);
}

static void check_all(struct node *n)
{
    struct fd_state *s = st(n);
    const struct fd_params *p = prm(n);
    sim_time now = node_now(n);
    for (int i = 0; i < s->nmons; i++) {
        struct hb_mon *m = &s->mons[i];
        if (!m->suspected && hb_deadline(&p->hb, m) <= now) {
            m->suspected = 1;
            record_suspicion(n, m, 1, hb_phi(&p->hb, m, now));
        }
    }
    arm_check(n);
}

static struct hb_mon *monitor(struct node *n, int peer)
{
    struct fd_state *s = st(n);
    const struct fd_params *p = prm(n);
    int64_t *idx = pairmap_get(&s->slot, (uint64_t)peer);
    if (idx)
        return &s->mons[*idx];
    if (s->nmons == s->capmons) {
        s->capmons = s->capmons ? 2 * s->capmons : 8;
        s->mons = realloc(s->mons, sizeof *s->mons * (size_t)s->capmons);
        if (!s->mons)
            abort();
    }
    struct hb_mon *m = &s->mons[s->nmons++];
    hb_mon_init(m, peer, p->hb.window);
    *pairmap_put(&s->slot, (uint64_t)peer, 0) = s->nmons - 1;
    return m;
}

static void fd_on_message(struct node *n, const struct message *msg)
{
    assert(msg->type == MSG_HEARTBEAT);
    const struct fd_params *p = prm(n);
    struct fd_state *s = st(n);
    struct hb_mon *m = monitor(n, msg->src);
    sim_time now = node_now(n);
    hb_mon_beat(m, &p->hb, now);
    if (m->suspected) {
        m->suspected = 0;
        record_suspicion(n, m, 0, hb_phi(&p->hb, m, now));
    }
    /* The new deadline is later than the old one; only a first heartbeat or a
     * timer that is not armed needs re-arming now. */
    if (s->armed_at < 0)
        arm_check(n);
}

static void fd_on_timer(struct node *n, int id)
{
    if (id == T_HEARTBEAT) {
        send_beats(n);
        node_timer(n, T_HEARTBEAT, prm(n)->interval);
    } else {
        st(n)->armed_at = -1;
        check_all(n);
    }
}

static void fd_inspect(const struct node *n, struct inspector *in)
{
    const struct fd_state *s = node_state_const(n);
    int suspected = 0;
    char list[256];
    size_t len = 0;
    list[0] = 0;
    for (int i = 0; i < s->nmons; i++)
        if (s->mons[i].suspected) {
            suspected++;
            if (len < sizeof list - 12)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", len ? "," : "", s->mons[i].peer);
        }
    inspect_str(in, "role", "monitor");
    inspect_int(in, "monitored", s->nmons);
    inspect_int(in, "suspected", suspected);
    inspect_str(in, "suspects", list);
    inspect_int(in, "heartbeats_sent", (int64_t)s->seq);
}

static void fd_describe(int type, const void *payload, size_t len, struct record *args)
{
    (void)type;
    struct heartbeat hb;
    if (len >= sizeof hb) {
        memcpy(&hb, payload, sizeof hb);
        record_int(args, "seq", (int64_t)hb.seq);
    }
}

static void fd_ghost_free(void *ghost)
{
    struct fd_ghost *g = ghost;
    free(g->detect_ms);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fd_metrics(const struct cluster *c, struct inspector *in)
{
    struct fd_ghost *g = cluster_ghost(c);
    inspect_int(in, "suspicions", (int64_t)g->suspicions);
    inspect_int(in, "trusts", (int64_t)g->trusts);
    inspect_int(in, "false_suspicions", (int64_t)g->false_suspicions);
    inspect_int(in, "paused_suspicions", (int64_t)g->paused_suspicions);
    inspect_int(in, "detections", (int64_t)g->ndetect);
    if (g->ndetect == 0)
        return;
    double *t = malloc(g->ndetect * sizeof *t);
    if (!t)
        abort();
    memcpy(t, g->detect_ms, g->ndetect * sizeof *t);
    qsort(t, g->ndetect, sizeof *t, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < g->ndetect; i++)
        sum += t[i];
    inspect_num(in, "detection_mean_ms", sum / (double)g->ndetect);
    inspect_num(in, "detection_min_ms", t[0]);
    inspect_num(in, "detection_p50_ms", t[(g->ndetect - 1) / 2]);
    size_t r99 = (size_t)ceil(0.99 * (double)g->ndetect);
    inspect_num(in, "detection_p99_ms", t[(r99 ? r99 : 1) - 1]);
    inspect_num(in, "detection_max_ms", t[g->ndetect - 1]);
    free(t);
}

static const char *const fd_msg_names[] = { "Heartbeat" };

const struct algorithm fdetect_algorithm = {
    .name = "fdetect",
    .summary = "heartbeat failure detectors: fixed timeout and phi accrual",
    .state_size = sizeof(struct fd_state),
    .params_size = sizeof(struct fd_params),
    .ghost_size = sizeof(struct fd_ghost),
    .configure = fd_configure,
    .start = fd_start,
    .on_message = fd_on_message,
    .on_timer = fd_on_timer,
    .inspect = fd_inspect,
    .describe = fd_describe,
    .msg_names = fd_msg_names,
    .msg_count = 1,
    .supports_membership = 1,
    .ghost_free = fd_ghost_free,
    .state_free = fd_free,
    .metrics = fd_metrics,
};
