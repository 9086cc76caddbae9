/* The load balancer's omniscient side: observations node code leaves in the
 * ghost (true time), the invariants `check` holds after every event, and
 * the figures of sim.metrics().lb.
 *
 * Invariants:
 *   answered_once     no request attempt is answered twice to its client;
 *   conservation      requests the balancers received = answered ok +
 *                     answered fail + lost with a crashed balancer + in
 *                     flight at the balancers;
 *   fifo              a server starts jobs in the order they arrived;
 *   work_conserving   no worker idles while a job waits, busy <= concurrency;
 *   queue_accounting  a server's queue is what arrived minus what left;
 *   balancer_view     a balancer's outstanding counts are its requests in
 *                     flight, none negative, and its load order is sorted
 *                     (audited in full on small clusters, and every 1024th
 *                     check on large ones, where it costs O(servers)).
 *
 * Latency is measured at the balancer, from a request's arrival to its
 * answer, for requests that arrived after `warmup`; percentiles come from a
 * histogram of 1 %-wide logarithmic buckets (reported at the bucket's
 * geometric middle, so within 0.5 %), the mean and maximum are exact, and
 * the 95 % confidence interval of the mean is by batch means (between 32
 * and 64 batches of consecutive completions, the batch length doubling as
 * the run grows, so batches outgrow the queue's correlation time). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lb_int.h"
#include "sim/dmath.h"

#define LOG_STEP 0.00995033085316808   /* ln 1.01 */

void lb_ghost_init(void *ghost, const void *params, int nodes)
{
    (void)nodes;
    struct lb_ghost *g = ghost;
    const struct lb_params *p = params;
    g->servers = p->servers;
    g->balancers = p->balancers;
    g->concurrency = p->concurrency;
    g->warmup = p->warmup;
    size_t n = (size_t)p->servers + 1;
    g->insys = calloc(n, sizeof *g->insys);
    g->busy = calloc(n, sizeof *g->busy);
    g->busy_last = calloc(n, sizeof *g->busy_last);
    g->busy_area = calloc(n, sizeof *g->busy_area);
    g->served = calloc(n, sizeof *g->served);
    g->last_start_arrival = calloc(n, sizeof *g->last_start_arrival);
    if (!g->insys || !g->busy || !g->busy_last || !g->busy_area || !g->served || !g->last_start_arrival)
        abort();
    g->bs = 1;
}

void lb_ghost_free(void *ghost)
{
    struct lb_ghost *g = ghost;
    free(g->insys);
    free(g->busy);
    free(g->busy_last);
    free(g->busy_area);
    free(g->served);
    free(g->last_start_arrival);
    free(g->answered);
}

static sim_time now_of(struct node *n) { return cluster_true_now(node_checker_view(n)); }

static void fail(struct lb_ghost *g, const char *inv, const char *fmt, int a, int64_t b, int64_t c)
{
    if (g->violation[0])
        return;
    snprintf(g->violation, sizeof g->violation, "%s", inv);
    snprintf(g->detail, sizeof g->detail, fmt, a, (long long)b, (long long)c);
}

/* Integrate `value` over [last, now], counting from warmup on into *area
 * and from 0 into *all (either may be NULL). */
static void integrate(const struct lb_ghost *g, double value, sim_time *last, sim_time now, double *area, double *all)
{
    sim_time from = *last > g->warmup ? *last : g->warmup;
    if (area && now > from)
        *area += value * (double)(now - from);
    if (all && now > *last)
        *all += value * (double)(now - *last);
    *last = now;
}

static void level_change(struct lb_ghost *g, int level, int delta, sim_time now)
{
    if (level < 1 || level > LB_LEVELS)
        return;
    integrate(g, g->cnt_ge[level], &g->level_last[level], now, &g->level_area[level], &g->level_area_all[level]);
    g->cnt_ge[level] += delta;
}

void lb_g_insys(struct node *n, int s, int delta)
{
    struct lb_ghost *g = node_ghost(n);
    sim_time now = now_of(n);
    int q = g->insys[s];
    level_change(g, delta > 0 ? q + 1 : q, delta, now);
    integrate(g, (double)g->total_insys, &g->sys_last, now, &g->sys_area, &g->sys_area_all);
    g->insys[s] += delta;
    g->total_insys += delta;
    if (delta < 0)
        g->served[s]++;
}

void lb_g_busy(struct node *n, int s, int delta)
{
    struct lb_ghost *g = node_ghost(n);
    integrate(g, g->busy[s], &g->busy_last[s], now_of(n), &g->busy_area[s], NULL);
    g->busy[s] += delta;
}

void lb_g_start(struct node *n, int s, sim_time arrived)
{
    struct lb_ghost *g = node_ghost(n);
    CHECK_EVALUATED(node_checker_view(n), "fifo");
    if (arrived < g->last_start_arrival[s])
        fail(g, "fifo", "server %d started a job that arrived at %lld us before one that arrived at %lld us", s,
             arrived / 1000, g->last_start_arrival[s] / 1000);
    g->last_start_arrival[s] = arrived;
}

void lb_g_lost_at(struct node *n, int s)
{
    struct lb_ghost *g = node_ghost(n);
    sim_time now = now_of(n);
    g->lost += (uint64_t)g->insys[s];
    while (g->insys[s] > 0) {
        level_change(g, g->insys[s], -1, now);
        integrate(g, (double)g->total_insys, &g->sys_last, now, &g->sys_area, &g->sys_area_all);
        g->insys[s]--;
        g->total_insys--;
    }
    integrate(g, g->busy[s], &g->busy_last[s], now, &g->busy_area[s], NULL);
    g->busy[s] = 0;
}

static void add_latency(struct lb_ghost *g, double ms)
{
    double us = ms * 1000.0;
    int b = us < 1 ? 0 : 1 + (int)(det_log(us) / LOG_STEP);
    if (b >= LB_HIST_BUCKETS)
        b = LB_HIST_BUCKETS - 1;
    g->lat_hist[b]++;
    g->lat_n++;
    g->lat_sum += ms;
    if (ms > g->lat_max)
        g->lat_max = ms;
    g->batch_acc += ms;
    if (++g->in_batch == g->bs) {
        g->batch[g->nb++] = g->batch_acc / (double)g->bs;
        g->batch_acc = 0;
        g->in_batch = 0;
        if (g->nb == 64) {       /* merge pairs: 32 batches twice as long */
            for (int i = 0; i < 32; i++)
                g->batch[i] = (g->batch[2 * i] + g->batch[2 * i + 1]) / 2;
            g->nb = 32;
            g->bs *= 2;
        }
    }
}

void lb_g_answer(struct node *n, const struct request *req, int ok, sim_time arrived)
{
    struct lb_ghost *g = node_ghost(n);
    uint64_t id = req->id;
    if (id / 8 >= g->cap_answered) {
        uint64_t cap = g->cap_answered ? g->cap_answered : 4096;
        while (cap <= id / 8)
            cap *= 2;
        uint8_t *a = realloc(g->answered, cap);
        if (!a)
            abort();
        memset(a + g->cap_answered, 0, cap - g->cap_answered);
        g->answered = a;
        g->cap_answered = cap;
    }
    uint8_t bit = (uint8_t)(1u << (id % 8));
    CHECK_EVALUATED(node_checker_view(n), "answered_once");
    if (g->answered[id / 8] & bit)
        fail(g, "answered_once", "balancer %d answered request id %lld of client %lld a second time", node_id(n),
             (int64_t)id, req->client);
    g->answered[id / 8] |= bit;
    sim_time now = now_of(n);
    if (ok) {
        g->ok++;
        double ms = sim_ns_to_ms(now - arrived);
        g->lat_sum_all += ms;
        g->lat_n_all++;
        if (arrived >= g->warmup)
            add_latency(g, ms);
    } else {
        g->failed++;
    }
}

/* ---------------------------------------------------------------- check */

static int check_server(const struct cluster *c, const struct lb_ghost *g, int id, struct violation *v)
{
    const struct lb_state *x = cluster_node_state(c, id);
    if (!x)
        return 0;
    CHECK_EVALUATED(c, "work_conserving");
    CHECK_EVALUATED(c, "queue_accounting");
    const struct lb_server *s = &x->s;
    if (s->busy < 0 || s->busy > g->concurrency || s->qlen < 0 || (s->qlen > 0 && s->busy < g->concurrency)) {
        snprintf(v->invariant, sizeof v->invariant, "work_conserving");
        snprintf(v->detail, sizeof v->detail, "server %d has %d busy of %d workers and %d waiting", id, s->busy,
                 g->concurrency, s->qlen);
        return 1;
    }
    if (g->insys[id] != s->qlen + s->busy) {
        snprintf(v->invariant, sizeof v->invariant, "queue_accounting");
        snprintf(v->detail, sizeof v->detail, "server %d holds %d requests but %d arrived and did not leave", id,
                 s->qlen + s->busy, g->insys[id]);
        return 1;
    }
    return 0;
}

static int audit_balancer(const struct cluster *c, int id, struct violation *v)
{
    const struct lb_params *p = cluster_params(c);
    const struct lb_state *x = cluster_node_state(c, id);
    const struct lb_balancer *b = &x->b;
    CHECK_EVALUATED(c, "balancer_view");
    int64_t sum = 0;
    for (int s = 1; s <= p->servers; s++) {
        int k = p->report_interval > 0 ? b->v[s].reported : b->v[s].outstanding;
        char why[200];
        if (b->v[s].outstanding < 0 || !lb_lset_ok(&b->ls, s, why, sizeof why) ||
            (b->ls.pos[s] >= 0 && b->ls.key[s] != k) || (b->ls.pos[s] >= 0) != (b->v[s].healthy != 0)) {
            if (b->v[s].outstanding < 0)
                snprintf(why, sizeof why, "outstanding %d at server %d", b->v[s].outstanding, s);
            else if (b->ls.pos[s] >= 0 && b->ls.key[s] != k)
                snprintf(why, sizeof why, "server %d is ordered by load %d but its load is %d", s, b->ls.key[s], k);
            else if ((b->ls.pos[s] >= 0) != (b->v[s].healthy != 0))
                snprintf(why, sizeof why, "server %d is %s but %s the load order", s,
                         b->v[s].healthy ? "healthy" : "drained", b->ls.pos[s] >= 0 ? "in" : "not in");
            snprintf(v->invariant, sizeof v->invariant, "balancer_view");
            snprintf(v->detail, sizeof v->detail, "balancer %d: %s", id, why);
            return 1;
        }
        sum += b->v[s].outstanding;
    }
    int live = 0;
    for (int i = 0; i < b->cappend; i++)
        live += b->pend[i].live;
    if (sum != b->npend || live != b->npend) {
        snprintf(v->invariant, sizeof v->invariant, "balancer_view");
        snprintf(v->detail, sizeof v->detail,
                 "balancer %d counts %lld outstanding over its servers, %d requests in flight and %d live slots", id,
                 (long long)sum, b->npend, live);
        return 1;
    }
    return 0;
}

int lb_check(const struct cluster *c, struct violation *v)
{
    struct lb_ghost *g = cluster_ghost(c);
    const struct lb_params *p = cluster_params(c);
    if (g->violation[0]) {
        snprintf(v->invariant, sizeof v->invariant, "%s", g->violation);
        snprintf(v->detail, sizeof v->detail, "%s", g->detail);
        return 1;
    }
    CHECK_EVALUATED(c, "conservation");
    uint64_t inflight = 0;
    for (int id = p->servers + 1; id <= p->servers + p->balancers; id++) {
        const struct lb_state *x = cluster_node_state(c, id);
        if (x)
            inflight += (uint64_t)x->b.npend;
    }
    if (g->arrived != g->ok + g->failed + g->lost_balancer + inflight) {
        snprintf(v->invariant, sizeof v->invariant, "conservation");
        snprintf(v->detail, sizeof v->detail,
                 "%llu requests reached the balancers but %llu were answered ok, %llu failed, %llu were lost with a "
                 "balancer and %llu are in flight", (unsigned long long)g->arrived, (unsigned long long)g->ok,
                 (unsigned long long)g->failed, (unsigned long long)g->lost_balancer, (unsigned long long)inflight);
        return 1;
    }
    int full = p->servers <= 32 || (++g->audits & 1023) == 0;
    int n = g->dirty_all ? p->servers + p->balancers : g->ndirty;
    for (int i = 0; i < n; i++) {
        int id = g->dirty_all ? i + 1 : g->dirty[i];
        if (id <= p->servers ? check_server(c, g, id, v)
                             : (full && cluster_node_state(c, id) && audit_balancer(c, id, v)))
            return 1;
    }
    g->ndirty = 0;
    g->dirty_all = 0;
    return 0;
}

/* -------------------------------------------------------------- metrics */

static double hist_pct(const struct lb_ghost *g, double q)
{
    if (g->lat_n == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)g->lat_n);
    if (rank < 1)
        rank = 1;
    uint64_t cum = 0;
    for (int b = 0; b < LB_HIST_BUCKETS; b++) {
        cum += g->lat_hist[b];
        if (cum >= rank) {
            if (b == 0)
                return 0.0005;
            double mid = det_exp(((double)b - 0.5) * LOG_STEP) / 1000.0;
            return mid < g->lat_max ? mid : g->lat_max;
        }
    }
    return g->lat_max;
}

void lb_metrics(const struct cluster *c, struct inspector *in)
{
    struct lb_ghost *g = cluster_ghost(c);
    const struct lb_params *p = cluster_params(c);
    sim_time now = cluster_true_now(c);
    uint64_t inflight = 0;
    for (int id = p->servers + 1; id <= p->servers + p->balancers; id++) {
        const struct lb_state *x = cluster_node_state(c, id);
        if (x)
            inflight += (uint64_t)x->b.npend;
    }
    inspect_int(in, "requests", (int64_t)g->arrived);
    inspect_int(in, "ok", (int64_t)g->ok);
    inspect_int(in, "failed", (int64_t)g->failed);
    inspect_int(in, "in_flight", (int64_t)inflight);
    inspect_int(in, "retried", (int64_t)g->retried);
    inspect_int(in, "timeouts", (int64_t)g->timeouts);
    inspect_int(in, "late", (int64_t)g->late);
    inspect_int(in, "lost", (int64_t)g->lost);
    inspect_int(in, "lost_balancer", (int64_t)g->lost_balancer);
    inspect_int(in, "dropped", (int64_t)g->dropped);
    inspect_int(in, "reports", (int64_t)g->reports);
    inspect_int(in, "latency_count", (int64_t)g->lat_n);
    if (g->lat_n) {
        inspect_num(in, "latency_mean", g->lat_sum / (double)g->lat_n);
        inspect_num(in, "latency_p50", hist_pct(g, 0.5));
        inspect_num(in, "latency_p90", hist_pct(g, 0.9));
        inspect_num(in, "latency_p99", hist_pct(g, 0.99));
        inspect_num(in, "latency_p999", hist_pct(g, 0.999));
        inspect_num(in, "latency_max", g->lat_max);
    }
    if (g->nb >= 10) {
        double m = 0, ss = 0;
        for (int i = 0; i < g->nb; i++)
            m += g->batch[i];
        m /= g->nb;
        for (int i = 0; i < g->nb; i++)
            ss += (g->batch[i] - m) * (g->batch[i] - m);
        double sd = sqrt(ss / (g->nb - 1));
        /* Student's t, 97.5 %, for nb - 1 degrees of freedom (31..63): within 0.5 % */
        double t = 1.96 + 2.4 / (g->nb - 1);
        inspect_num(in, "latency_ci95", t * sd / sqrt((double)g->nb));
        inspect_int(in, "latency_batches", g->nb);
    }
    inspect_num(in, "latency_sum_all", g->lat_sum_all);
    inspect_int(in, "latency_count_all", (int64_t)g->lat_n_all);
    /* time averages: bring every integral to now */
    for (int i = 1; i <= LB_LEVELS; i++)
        integrate(g, g->cnt_ge[i], &g->level_last[i], now, &g->level_area[i], &g->level_area_all[i]);
    integrate(g, (double)g->total_insys, &g->sys_last, now, &g->sys_area, &g->sys_area_all);
    double span = now > g->warmup ? (double)(now - g->warmup) : 0;
    inspect_num(in, "time_ms", sim_ns_to_ms(now));
    inspect_num(in, "measured_ms", span / 1e6);
    char name[48];
    if (span > 0) {
        inspect_num(in, "queue_mean", g->sys_area / span / p->servers);
        for (int i = 1; i <= LB_LEVELS; i++) {
            double f = g->level_area[i] / span / p->servers;
            snprintf(name, sizeof name, "queue_ge[%d]", i);
            inspect_num(in, name, f);
            if (f == 0)
                break;
        }
    }
    inspect_num(in, "queue_area_all", g->sys_area_all / 1e6);
    for (int i = 1; i <= LB_LEVELS; i++) {
        snprintf(name, sizeof name, "queue_area[%d]", i);
        inspect_num(in, name, g->level_area_all[i] / 1e6);
    }
    double umin = 1e300, umax = 0;
    uint64_t smin = UINT64_MAX, smax = 0;
    for (int s = 1; s <= p->servers; s++) {
        integrate(g, g->busy[s], &g->busy_last[s], now, &g->busy_area[s], NULL);
        double u = span > 0 ? g->busy_area[s] / span / p->concurrency : 0;
        snprintf(name, sizeof name, "utilisation[%d]", s);
        inspect_num(in, name, u);
        snprintf(name, sizeof name, "served[%d]", s);
        inspect_int(in, name, (int64_t)g->served[s]);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
        smin = g->served[s] < smin ? g->served[s] : smin;
        smax = g->served[s] > smax ? g->served[s] : smax;
    }
    inspect_num(in, "utilisation_min", umin);
    inspect_num(in, "utilisation_max", umax);
    inspect_int(in, "served_min", (int64_t)smin);
    inspect_int(in, "served_max", (int64_t)smax);
}
