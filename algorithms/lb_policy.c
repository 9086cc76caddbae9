/* The balancer's view of the servers and the seven policies.
 *
 *   round_robin           the next healthy server in id order;
 *   random                a uniformly random healthy server;
 *   weighted_round_robin  nginx's smooth weighted round robin
 *                         (ngx_http_upstream_get_peer): every pick adds each
 *                         server's weight to its current weight, takes the
 *                         largest, and subtracts the total from it, so a
 *                         server of weight 5 among 1s is spread out, not
 *                         picked five times in a row. O(servers) per pick,
 *                         as in nginx;
 *   least_connections     fewest outstanding requests at this balancer (or
 *                         the smallest reported load), ties at random;
 *   power_of_d            d distinct servers at random (Floyd's sampling,
 *                         without replacement), then the least loaded of
 *                         them (Mitzenmacher's supermarket model);
 *   consistent_hash       by the request's key, on the placements of
 *                         hash_place.c over the healthy servers;
 *   peak_ewma             as Finagle's PeakEwma and Linkerd: d random
 *                         choices (two by default) compared by
 *                         cost = EWMA(latency) x (outstanding + 1); the
 *                         EWMA jumps to any latency above it ("peak") and
 *                         otherwise decays with time constant `decay`, its
 *                         weight exp(-elapsed / decay) for unevenly spaced
 *                         observations; a server with no history but
 *                         requests in flight is penalised.
 *
 * The load of a server is the balancer's own outstanding count
 * (report_interval = 0) or the last report it received. The healthy
 * servers are kept ordered by that load (struct lb_lset), so a least-loaded
 * pick over 10,000 servers is O(1) and a load change by one is O(1). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lb_int.h"
#include "sim/dmath.h"

/* ------------------------------------------------ the load-ordered set */

static void ls_grow(struct lb_lset *ls, int need)
{
    if (need < ls->cap)
        return;
    int cap = ls->cap ? ls->cap : 16;
    while (cap <= need)
        cap *= 2;
    int *f = realloc(ls->first, (size_t)cap * sizeof *f);
    if (!f)
        abort();
    for (int i = ls->cap; i < cap; i++)
        f[i] = ls->nh;
    ls->first = f;
    ls->cap = cap;
}

static void ls_swap(struct lb_lset *ls, int i, int j)
{
    int a = ls->order[i], b = ls->order[j];
    ls->order[i] = b;
    ls->order[j] = a;
    ls->pos[a] = j;
    ls->pos[b] = i;
}

static void ls_inc(struct lb_lset *ls, int s)
{
    int l = ls->key[s];
    ls_grow(ls, l + 2);
    ls_swap(ls, ls->pos[s], ls->first[l + 1] - 1);
    ls->first[l + 1]--;
    ls->key[s] = l + 1;
    if (l + 1 > ls->top)
        ls->top = l + 1;
}

static void ls_dec(struct lb_lset *ls, int s)
{
    int l = ls->key[s];
    assert(l > 0);
    ls_swap(ls, ls->pos[s], ls->first[l]);
    ls->first[l]++;
    ls->key[s] = l - 1;
    while (ls->top > 0 && ls->first[ls->top] == ls->nh)
        ls->top--;
}

static void ls_set(struct lb_lset *ls, int s, int v)
{
    assert(v >= 0);
    if (ls->pos[s] < 0)
        return;              /* not healthy: the key is set when it comes back */
    while (ls->key[s] < v)
        ls_inc(ls, s);
    while (ls->key[s] > v)
        ls_dec(ls, s);
}

static void ls_remove(struct lb_lset *ls, int s)
{
    if (ls->pos[s] < 0)
        return;
    int target = ls->top + 1;
    while (ls->key[s] < target)
        ls_inc(ls, s);
    assert(ls->pos[s] == ls->nh - 1);
    ls->nh--;
    for (int l = target; l < ls->cap; l++)
        ls->first[l] = ls->nh;
    ls->pos[s] = -1;
    ls->key[s] = 0;
    while (ls->top > 0 && ls->first[ls->top] == ls->nh)
        ls->top--;
}

static void ls_add(struct lb_lset *ls, int s, int v)
{
    if (ls->pos[s] >= 0)
        return;
    int k = ls->nh == 0 ? 0 : ls->top + 1;
    ls_grow(ls, k + 2);
    ls->order[ls->nh] = s;
    ls->pos[s] = ls->nh;
    ls->nh++;
    ls->key[s] = k;
    for (int l = k + 1; l < ls->cap; l++)
        ls->first[l] = ls->nh;
    ls->top = k;
    ls_set(ls, s, v);
}

int lb_lset_ok(const struct lb_lset *ls, int s, char *why, size_t n)
{
    int p = ls->pos[s];
    if (p < 0)
        return 1;
    int k = ls->key[s];
    if (p >= ls->nh || ls->order[p] != s) {
        snprintf(why, n, "server %d is at position %d of the load order, which holds server %d", s, p,
                 p < ls->nh ? ls->order[p] : -1);
        return 0;
    }
    if (k < 0 || k + 1 >= ls->cap || ls->first[k] > p || ls->first[k + 1] <= p) {
        snprintf(why, n, "server %d (load %d) at position %d is outside its run", s, k, p);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ the view */

static int load_of(const struct lb_balancer *b, const struct lb_params *p, int s)
{
    return p->report_interval > 0 ? b->v[s].reported : b->v[s].outstanding;
}

void lb_view_init(struct node *n, struct lb_balancer *b, const struct lb_params *p)
{
    (void)n;
    int S = p->servers;
    b->v = calloc((size_t)S + 1, sizeof *b->v);
    b->ls.order = malloc((size_t)S * sizeof(int));
    b->ls.pos = malloc(((size_t)S + 1) * sizeof(int));
    b->ls.key = calloc((size_t)S + 1, sizeof(int));
    if (!b->v || !b->ls.order || !b->ls.pos || !b->ls.key)
        abort();
    b->ls.pos[0] = -1;
    for (int s = 1; s <= S; s++) {
        b->v[s].healthy = 1;
        b->ls.order[s - 1] = s;
        b->ls.pos[s] = s - 1;
    }
    b->ls.nh = S;
    ls_grow(&b->ls, 2);
    b->ls.first[0] = 0;
    b->rr_next = 1;
    b->place_dirty = 1;
    if (p->policy == LB_POWER_OF_D || p->policy == LB_PEAK_EWMA) {
        b->chosen = malloc((size_t)p->d * sizeof *b->chosen);
        b->mark = calloc((size_t)S, sizeof *b->mark);
        if (!b->chosen || !b->mark)
            abort();
    }
}

void lb_view_free(struct lb_balancer *b)
{
    free(b->v);
    free(b->ls.order);
    free(b->ls.pos);
    free(b->ls.key);
    free(b->ls.first);
    free(b->chosen);
    free(b->mark);
    b->chosen = NULL;
    b->mark = NULL;
    if (b->place_built)
        hash_place_free(&b->place);
    b->v = NULL;
    memset(&b->ls, 0, sizeof b->ls);
    b->place_built = 0;
}

void lb_sent(struct node *n, struct lb_balancer *b, int s)
{
    const struct lb_params *p = lb_prm(n);
    b->v[s].outstanding++;
    if (p->report_interval == 0)
        ls_set(&b->ls, s, b->v[s].outstanding);
}

/* Finagle's PeakEwma.observe: the weight of the old cost decays with the
 * time since the last observation. */
static void ewma_observe(struct lb_view *v, sim_time now, double rtt, sim_time tau)
{
    sim_time td = now > v->stamp ? now - v->stamp : 0;
    double w = det_exp(-(double)td / (double)tau);
    if (rtt > v->cost)
        v->cost = rtt;
    else
        v->cost = v->cost * w + rtt * (1.0 - w);
    v->stamp = now;
}

void lb_done(struct node *n, struct lb_balancer *b, int s, sim_time rtt)
{
    const struct lb_params *p = lb_prm(n);
    assert(b->v[s].outstanding > 0);
    b->v[s].outstanding--;
    if (p->report_interval == 0)
        ls_set(&b->ls, s, b->v[s].outstanding);
    if (rtt >= 0 && p->policy == LB_PEAK_EWMA)
        ewma_observe(&b->v[s], node_now(n), (double)rtt, p->decay);
}

void lb_reported(struct node *n, struct lb_balancer *b, int s, int load)
{
    (void)n;
    if (load < 0)
        load = 0;
    b->v[s].reported = load;
    ls_set(&b->ls, s, load);
}

void lb_set_healthy(struct node *n, struct lb_balancer *b, int s, int healthy)
{
    const struct lb_params *p = lb_prm(n);
    b->v[s].healthy = healthy;
    if (healthy)
        ls_add(&b->ls, s, load_of(b, p, s));
    else
        ls_remove(&b->ls, s);
    b->place_dirty = 1;
}

/* ----------------------------------------------------------- policies */

static int pick_rr(struct lb_balancer *b, const struct lb_params *p, int avoid)
{
    int S = p->servers;
    for (int tries = 0; tries < S; tries++) {
        int s = b->rr_next;
        b->rr_next = s % S + 1;
        if (b->v[s].healthy && (s != avoid || b->ls.nh == 1))
            return s;
    }
    return 0;
}

/* A uniformly random healthy server other than avoid (when possible). */
static int pick_random(struct node *n, struct lb_balancer *b, int avoid)
{
    const struct lb_lset *ls = &b->ls;
    int skip = avoid && ls->pos[avoid] >= 0 && ls->nh > 1 ? ls->pos[avoid] : -1;
    int m = ls->nh - (skip >= 0);
    int i = (int)node_random_below(n, (uint64_t)m);
    if (skip >= 0 && i >= skip)
        i++;
    return ls->order[i];
}

static int pick_wrr(struct lb_balancer *b, const struct lb_params *p, int avoid)
{
    int best = 0;
    double total = 0;
    for (int s = 1; s <= p->servers; s++) {
        struct lb_view *v = &b->v[s];
        if (!v->healthy || (s == avoid && b->ls.nh > 1))
            continue;
        double w = p->nweights ? p->weight[s - 1] : 1.0;
        v->current += w;
        total += w;
        if (!best || v->current > b->v[best].current)
            best = s;
    }
    if (best)
        b->v[best].current -= total;
    return best;
}

static int pick_least(struct node *n, struct lb_balancer *b, int avoid)
{
    const struct lb_lset *ls = &b->ls;
    int min = ls->key[ls->order[0]];
    int run = ls->first[min + 1];      /* order[0..run) are the least loaded */
    int i = (int)node_random_below(n, (uint64_t)run);
    int s = ls->order[i];
    if (s == avoid && ls->nh > 1)
        s = run > 1 ? ls->order[(i + 1) % run] : ls->order[run];
    return s;
}

/* Peak EWMA cost of sending one more request to s (Finagle's Metric.get). */
static double ewma_cost(struct node *n, struct lb_balancer *b, const struct lb_params *p, int s)
{
    struct lb_view *v = &b->v[s];
    ewma_observe(v, node_now(n), 0.0, p->decay);
    if (v->cost == 0.0 && v->outstanding != 0)
        return (double)(INT64_MAX >> 16) + v->outstanding;
    return v->cost * (v->outstanding + 1);
}

/* d distinct healthy servers by Floyd's algorithm (avoid excluded when
 * possible), the least costly of them; ties at random. */
static int pick_d(struct node *n, struct lb_balancer *b, const struct lb_params *p, int avoid)
{
    const struct lb_lset *ls = &b->ls;
    int skip = avoid && ls->pos[avoid] >= 0 && ls->nh > 1 ? ls->pos[avoid] : -1;
    int m = ls->nh - (skip >= 0);
    int d = p->d < m ? p->d : m;
    int *c = b->chosen;
    uint32_t e = ++b->epoch;
    if (e == 0) {            /* wrapped: forget every old mark */
        memset(b->mark, 0, (size_t)p->servers * sizeof *b->mark);
        e = b->epoch = 1;
    }
    int k = 0;
    for (int j = m - d; j < m; j++) {
        int t = (int)node_random_below(n, (uint64_t)j + 1);
        if (b->mark[t] == e)
            t = j;           /* Floyd: t was taken, so j (not yet drawable before) joins */
        b->mark[t] = e;
        c[k++] = t;
    }
    int best = 0, ties = 0;
    double best_cost = 0;
    for (int i = 0; i < k; i++) {
        int idx = c[i] + (skip >= 0 && c[i] >= skip);
        int s = ls->order[idx];
        double cost = p->policy == LB_PEAK_EWMA ? ewma_cost(n, b, p, s) : (double)load_of(b, p, s);
        if (!best || cost < best_cost) {
            best = s;
            best_cost = cost;
            ties = 1;
        } else if (cost == best_cost && node_random_below(n, (uint64_t)++ties) == 0) {
            best = s;        /* reservoir: each of the tied is kept with probability 1/ties */
        }
    }
    return best;
}

static int pick_hash(struct lb_balancer *b, const struct lb_params *p, const struct request *req)
{
    if (b->place_dirty) {
        if (b->place_built)
            hash_place_free(&b->place);
        b->place_built = 0;
        b->place_dirty = 0;
        int *ids = malloc((size_t)p->servers * sizeof *ids);
        if (!ids)
            abort();
        int k = 0;
        for (int s = 1; s <= p->servers; s++)
            if (b->v[s].healthy)
                ids[k++] = s;
        struct error err;
        struct hash_opts o = p->hash;
        if (o.scheme == HASH_MAGLEV && o.table_size < k)
            o.table_size = hash_prime_above(k);
        if (k > 0) {
            int rc = hash_place_build(&b->place, &o, ids, k, &err);
            assert(rc == 0);     /* the options were checked against all the servers in configure */
            (void)rc;
            b->place_built = 1;
        }
        free(ids);
    }
    if (!b->place_built)
        return 0;
    int slot = hash_place_lookup(&b->place, hash_key(req->key, strlen(req->key)), NULL);
    return b->place.ids[slot];
}

int lb_pick(struct node *n, struct lb_balancer *b, const struct request *req, int avoid)
{
    const struct lb_params *p = lb_prm(n);
    if (b->ls.nh == 0)
        return 0;
    switch (p->policy) {
    case LB_ROUND_ROBIN: return pick_rr(b, p, avoid);
    case LB_RANDOM: return pick_random(n, b, avoid);
    case LB_WRR: return pick_wrr(b, p, avoid);
    case LB_LEAST_CONN: return pick_least(n, b, avoid);
    case LB_POWER_OF_D:
    case LB_PEAK_EWMA: return pick_d(n, b, p, avoid);
    case LB_CONSISTENT_HASH: return pick_hash(b, p, req);
    }
    return 0;
}
