/* The nemesis's extended scheme (see nemesis.h): fault tables with targets
 * and durations of their own, the new kinds, nesting, partial heals,
 * max_down and swarm draws. Network cuts are kept by the nemesis as a list
 * of sides and recomputed into one partition whenever one starts or ends,
 * so a partition inside a partition, an isolation inside it, and a partial
 * heal all compose instead of replacing one another. */
#include "sim/nemesis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dmath.h"

const char *nemesis_kind_name(unsigned bit)
{
    return bit ? nemesis_fault_names[__builtin_ctz(bit)] : "?";
}

int nemesis_target_code(const char *name)
{
    for (int i = 0; nemesis_target_names[i]; i++)
        if (strcmp(nemesis_target_names[i], name) == 0)
            return i;
    return -1;
}

/* Each listed kind is in with probability 1/2 (at least one is), and the
 * whole schedule runs faster or slower by a log-uniform factor in [1/4, 4]:
 * Groce et al.'s swarm testing, so that one seed hammers crashes alone and
 * the next mixes slow partitions with clock steps. */
void nemesis_draw_swarm(struct sim *s, struct nemesis *nm)
{
    int n = nm->cfg.nkinds;
    unsigned on = 0;
    for (int i = 0; i < n; i++)
        if (rng_double(&nm->rng) < 0.5)
            on |= 1u << i;
    int forced = (int)rng_below(&nm->rng, (uint64_t)(n ? n : 1));
    if (!on && n)
        on = 1u << forced;
    nm->swarm_on = on;
    nm->scale = det_exp(det_log(0.25) + (det_log(4.0) - det_log(0.25)) * rng_double(&nm->rng));
    size_t len = 0;
    char *b = nm->st.swarm;
    for (int i = 0; i < n; i++)
        if (on & (1u << i)) {
            const struct nemesis_kind *k = &nm->cfg.kinds[i];
            len += (size_t)snprintf(b + len, sizeof nm->st.swarm - len, "%s%s%s%s", len ? "," : "",
                                    nemesis_kind_name(k->kind), k->target ? "@" : "",
                                    k->target ? nemesis_target_names[k->target] : "");
            if (len >= sizeof nm->st.swarm)
                len = sizeof nm->st.swarm - 1;
        }
    snprintf(b + len, sizeof nm->st.swarm - len, " x%.2f", nm->scale);
    if (sim_wants(s, "nemesis", TRACE_STATE)) {
        struct record r;
        record_init(&r, "nemesis", s->now);
        record_str(&r, "phase", "swarm");
        record_str(&r, "drawn", nm->st.swarm);
        record_num(&r, "scale", nm->scale);
        sim_emit(s, &r, TRACE_STATE);
    }
}

/* ------------------------------------------------------------ the network */

static int in_list(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

static int is_cut(unsigned k) { return k == NEM_PARTITION || k == NEM_ISOLATE; }

/* Rebuild the network from the cuts and one-way blocks in progress: two
 * nodes talk when every active cut has them on the same side. */
static void recompute_net(struct sim *s, struct nemesis *nm)
{
    sim_heal(s);
    int n = s->nnodes;
    uint64_t *key = calloc((size_t)n + 1, sizeof *key);
    int *grp = calloc((size_t)n + 1, sizeof *grp);
    if (!key || !grp)
        abort();
    int bit = 0, any = 0;
    for (int a = 0; a < nm->nact; a++) {
        struct active *x = nm->act[a];
        if (!x || !is_cut(x->f.kind))
            continue;
        any = 1;
        for (int i = 0; i < x->nnodes; i++)
            if (x->f.nodes[i] > 0 && x->f.nodes[i] <= n)
                key[x->f.nodes[i]] |= 1ull << (bit & 63);
        bit++;
    }
    if (any) {
        uint64_t keys[64];
        int nkeys = 0, counts[64] = { 0 };
        const int *groups[64];
        int *lists = calloc((size_t)(n + 1) * 64, sizeof *lists);
        if (!lists)
            abort();
        for (int i = 1; i <= n; i++) {
            if (!s->nodes[i]->member)
                continue;
            int g = 0;
            while (g < nkeys && keys[g] != key[i])
                g++;
            if (g == nkeys && nkeys < 64)
                keys[nkeys++] = key[i];
            if (g < 64)
                lists[g * (n + 1) + counts[g]++] = i;
        }
        for (int g = 0; g < nkeys; g++)
            groups[g] = lists + g * (n + 1);
        if (nkeys > 1)
            sim_partition(s, nkeys, groups, counts);
        free(lists);
    }
    for (int a = 0; a < nm->nact; a++) {
        struct active *x = nm->act[a];
        if (!x || x->f.kind != NEM_ONE_WAY)
            continue;
        int v = x->f.nodes[0];
        for (int j = 1; j <= n; j++)
            if (j != v && s->nodes[j]->member) {
                if (x->f.dir == 0)
                    sim_block(s, v, j);
                else
                    sim_block(s, j, v);
            }
    }
    free(key);
    free(grp);
}

/* clog and hold change the latency of every link to and from one node; the
 * overrides there before are kept to be put back. */
static void save_links(struct sim *s, struct active *x, int v)
{
    int n = s->nnodes;
    x->saved = calloc((size_t)2 * (size_t)n, sizeof *x->saved);
    x->saved_had = calloc((size_t)2 * (size_t)n, sizeof *x->saved_had);
    if (!x->saved || !x->saved_had)
        abort();
    x->nsaved = 0;
    for (int j = 1; j <= n; j++) {
        if (j == v)
            continue;
        for (int d = 0; d < 2; d++) {
            int a = d ? j : v, b = d ? v : j;
            int64_t *idx = pairmap_get(&s->net.override_idx, pair_key(a, b));
            x->saved_had[x->nsaved] = idx != NULL;
            if (idx)
                x->saved[x->nsaved] = s->net.overrides[*idx];
            x->nsaved++;
        }
    }
}

static struct dist scaled(struct dist d, double f)
{
    switch (d.kind) {
    case DIST_LOGNORMAL: d.a += det_log(f); break;
    case DIST_PARETO: d.a *= f; break;
    case DIST_NORMAL: case DIST_UNIFORM: d.a *= f; d.b *= f; break;
    default: d.a *= f; break;
    }
    return d;
}

static void set_links(struct sim *s, struct active *x, int v, int clog, struct dist lat)
{
    int n = s->nnodes, k = 0;
    for (int j = 1; j <= n; j++) {
        if (j == v)
            continue;
        for (int d = 0; d < 2; d++, k++) {
            int a = d ? j : v, b = d ? v : j;
            struct link_override o = { LINK_LATENCY, s->net.defaults };
            if (clog) {
                struct dist base = s->net.defaults.latency;
                if (x->saved_had[k] && (x->saved[k].mask & LINK_LATENCY))
                    base = x->saved[k].l.latency;
                o.l.latency = scaled(base, x->f.value);
            } else {
                o.l.latency = lat;
            }
            net_set_link(&s->net, a, b, &o);
        }
    }
}

static void restore_links(struct sim *s, struct active *x, int v)
{
    int n = s->nnodes, k = 0;
    for (int j = 1; j <= n; j++) {
        if (j == v)
            continue;
        for (int d = 0; d < 2; d++, k++) {
            int a = d ? j : v, b = d ? v : j;
            int64_t *idx = pairmap_get(&s->net.override_idx, pair_key(a, b));
            if (!idx)
                continue;
            if (x->saved_had[k])
                s->net.overrides[*idx] = x->saved[k];
            else
                s->net.overrides[*idx].mask = 0;     /* no override: the defaults again */
        }
    }
}

/* ------------------------------------------------------------ helpers */

static int node_down(struct sim *s, struct nemesis *nm, int i)
{
    struct node *nd = s->nodes[i];
    if (!nd->member)
        return 0;
    if (!nd->up || nd->paused)
        return 1;
    for (int a = 0; a < nm->nact; a++) {
        struct active *x = nm->act[a];
        if (x && (is_cut(x->f.kind) || x->f.kind == NEM_ONE_WAY || x->f.kind == NEM_HOLD) &&
            in_list(x->f.nodes, x->nnodes, i))
            return 1;
    }
    return 0;
}

/* Whether taking `nodes` down too keeps within max_down. */
static int within_max_down(struct sim *s, struct nemesis *nm, const int *nodes, int k)
{
    if (nm->cfg.max_down <= 0)
        return 1;
    int down = 0;
    for (int i = 1; i <= s->nnodes; i++)
        if (node_down(s, nm, i) || in_list(nodes, k, i))
            down++;
    return down <= nm->cfg.max_down;
}

static int busy_links(struct nemesis *nm, int v)
{
    for (int a = 0; a < nm->nact; a++) {
        struct active *x = nm->act[a];
        if (x && (x->f.kind == NEM_CLOG || x->f.kind == NEM_HOLD) && x->f.nodes[0] == v)
            return 1;
    }
    return 0;
}

static int add_active(struct nemesis *nm, const struct nemesis_fault_rec *f, int nnodes)
{
    int slot = 0;
    while (slot < nm->nact && nm->act[slot])
        slot++;
    if (slot == nm->nact) {
        if (nm->nact == nm->act_cap) {
            nm->act_cap = nm->act_cap ? nm->act_cap * 2 : 8;
            nm->act = realloc(nm->act, (size_t)nm->act_cap * sizeof *nm->act);
            if (!nm->act)
                abort();
        }
        nm->act[nm->nact++] = NULL;
    }
    struct active *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    x->f = *f;
    x->nnodes = nnodes;
    nm->act[slot] = x;
    return slot;
}

static void drop_active(struct nemesis *nm, int slot)
{
    struct active *x = nm->act[slot];
    free(x->saved);
    free(x->saved_had);
    free(x);
    nm->act[slot] = NULL;
}

static void note_fault(struct sim *s, const struct nemesis_fault_rec *f, int nnodes, const char *phase)
{
    if (!sim_wants(s, "nemesis", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "nemesis", s->now);
    record_int(&r, "n", f->index);
    record_str(&r, "fault", nemesis_kind_name(f->kind));
    record_str(&r, "phase", phase);
    if (nnodes == 1) {
        record_int(&r, "node", f->nodes[0]);
    } else if (nnodes > 1) {
        char buf[160];
        size_t len = (size_t)snprintf(buf, sizeof buf, "[");
        for (int i = 0; i < nnodes && len + 12 < sizeof buf; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d", i ? "," : "", f->nodes[i]);
        snprintf(buf + len, sizeof buf - len, "]");
        record_raw(&r, "nodes", buf);
    }
    if (strcmp(phase, "start") == 0)
        record_num(&r, "ms", f->ms);
    sim_emit(s, &r, TRACE_STATE);
}

static int count_nodes(const struct nemesis_fault_rec *f)
{
    int k = 0;
    while (k < (int)(sizeof f->nodes / sizeof f->nodes[0]) && f->nodes[k])
        k++;
    return k;
}

static int node_fault(unsigned k)
{
    return k != NEM_PARTITION && k != NEM_LOSS && k != NEM_DUPLICATE && k != NEM_REORDER;
}

/* ------------------------------------------------------------ applying */

void nemesis_log_add(struct sim *s, struct nemesis *nm, const struct nemesis_fault_rec *f)
{
    if (nm->nlog == nm->log_cap) {
        nm->log_cap = nm->log_cap ? nm->log_cap * 2 : 16;
        nm->log = realloc(nm->log, (size_t)nm->log_cap * sizeof *nm->log);
        if (!nm->log)
            abort();
    }
    struct nemesis_fault_rec *rec = &nm->log[nm->nlog++];
    *rec = *f;
    rec->at_ms = sim_ns_to_ms(s->now);
}

int nemesis_apply(struct sim *s, const struct nemesis_fault_rec *f, struct error *err)
{
    struct nemesis *nm = nemesis_get(s);
    int k = count_nodes(f), n = s->nnodes;
    for (int i = 0; i < k; i++)
        if (f->nodes[i] < 1 || f->nodes[i] > n || !s->nodes[f->nodes[i]]->member) {
            snprintf(err->msg, sizeof err->msg, "node %d does not exist (nodes are 1..%d)", f->nodes[i], n);
            return -1;
        }
    if (k == 0 && (node_fault(f->kind) || f->kind == NEM_PARTITION)) {
        snprintf(err->msg, sizeof err->msg, "%s needs nodes = {...}", nemesis_kind_name(f->kind));
        return -1;
    }
    if ((f->kind == NEM_CLOG || f->kind == NEM_HOLD) && busy_links(nm, f->nodes[0])) {
        snprintf(err->msg, sizeof err->msg, "node %d's links are already clogged or held", f->nodes[0]);
        return -1;
    }
    sim_time dur = sim_ms_to_ns(f->ms);
    sim_time end = s->now + dur;
    nm->applied++;
    nemesis_log_add(s, nm, f);
    note_fault(s, f, k, "start");
    struct error e2;
    switch (f->kind) {
    case NEM_CRASH:
    case NEM_KILL:
    case NEM_RESTART_FAST: {
        int saved = s->lose_unsynced;
        if (f->kind == NEM_KILL)
            s->lose_unsynced = 1;
        /* the end restarts only what this fault crashed, not a node
         * another, longer crash holds down */
        struct nemesis_fault_rec mine = *f;
        int nm_ = 0;
        memset(mine.nodes, 0, sizeof mine.nodes);
        for (int i = 0; i < k; i++)
            if (s->nodes[f->nodes[i]]->up && sim_crash(s, f->nodes[i], &e2) == 0)
                mine.nodes[nm_++] = f->nodes[i];
        s->lose_unsynced = saved;
        nemesis_arm(s, NEV_END2, add_active(nm, &mine, nm_), end);
        break;
    }
    case NEM_PAUSE:
        for (int i = 0; i < k; i++)
            if (s->nodes[f->nodes[i]]->up)
                sim_pause(s, f->nodes[i], dur, &e2);
        break;
    case NEM_CLOCK:
        for (int i = 0; i < k; i++)
            sim_clock_step(s, f->nodes[i], sim_ms_to_ns(f->value));
        break;
    case NEM_PARTITION:
    case NEM_ISOLATE:
    case NEM_ONE_WAY: {
        int slot = add_active(nm, f, k);
        recompute_net(s, nm);
        nemesis_arm(s, NEV_END2, slot, f->partial && f->kind == NEM_PARTITION && k > 1 ? s->now + dur / 2 : end);
        nm->act[slot]->end = end;
        break;
    }
    case NEM_CLOG:
    case NEM_HOLD: {
        int slot = add_active(nm, f, 1);
        struct active *x = nm->act[slot];
        x->end = end;
        save_links(s, x, f->nodes[0]);
        struct dist hold = { DIST_CONST, f->ms, 0 };
        set_links(s, x, f->nodes[0], f->kind == NEM_CLOG, hold);
        if (f->kind == NEM_HOLD && dur > 0)
            nemesis_arm(s, NEV_TICK, slot, s->now + dur / 8);
        nemesis_arm(s, NEV_END2, slot, end);
        break;
    }
    case NEM_LOSS:
    case NEM_DUPLICATE: {
        /* nested bursts: the first saves the network's value, the last puts it back */
        int first = f->kind == NEM_LOSS ? nm->loss_active++ == 0 : nm->dup_active++ == 0;
        double *field = f->kind == NEM_LOSS ? &s->net.defaults.loss : &s->net.defaults.duplicate;
        if (first)
            *(f->kind == NEM_LOSS ? &nm->saved_loss : &nm->saved_dup) = *field;
        *field = f->value;
        nemesis_arm(s, NEV_END2, add_active(nm, f, 0), end);
        break;
    }
    case NEM_REORDER: {
        if (nm->reorder_active++ == 0) {
            nm->saved_latency = s->net.defaults.latency;
            nm->saved_fifo = s->net.defaults.fifo;
        }
        /* Wide uniform latency and no FIFO: messages overtake each other. */
        double mean = dist_mean_ms(&nm->saved_latency);
        if (!(mean > 0) || mean > 1e6)
            mean = 1;
        struct dist d = { DIST_UNIFORM, 0, 4 * mean * (f->value > 0 ? f->value : 1) };
        s->net.defaults.latency = d;
        s->net.defaults.fifo = 0;
        nemesis_arm(s, NEV_END2, add_active(nm, f, 0), end);
        break;
    }
    default:
        break;
    }
    return 0;
}

/* A held node's messages are all released when the hold ends: while it
 * lasts, the latency of its links is the time left, updated in eighths. */
void nemesis_tick_ext(struct sim *s, struct nemesis *nm, int slot)
{
    struct active *x = slot < nm->nact ? nm->act[slot] : NULL;
    if (!x || x->f.kind != NEM_HOLD || s->now >= x->end)
        return;
    struct dist d = { DIST_CONST, sim_ns_to_ms(x->end - s->now), 0 };
    set_links(s, x, x->f.nodes[0], 0, d);
    sim_time step = sim_ms_to_ns(x->f.ms) / 8;
    if (s->now + step < x->end && step > 0)
        nemesis_arm(s, NEV_TICK, slot, s->now + step);
}

void nemesis_end_ext(struct sim *s, struct nemesis *nm, int slot)
{
    struct active *x = slot < nm->nact ? nm->act[slot] : NULL;
    if (!x)
        return;
    struct error err;
    const struct nemesis_fault_rec *f = &x->f;
    switch (f->kind) {
    case NEM_CRASH:
    case NEM_KILL:
    case NEM_RESTART_FAST:
        note_fault(s, f, x->nnodes, "end");
        for (int i = 0; i < x->nnodes; i++)
            if (s->nodes[f->nodes[i]]->member && !s->nodes[f->nodes[i]]->up)
                sim_restart(s, f->nodes[i], &err);
        break;
    case NEM_PARTITION:
        if (f->partial && x->phase == 0 && x->nnodes > 1) {
            /* The partial heal: the first half of the cut-off side rejoins
             * now, the rest at the end. */
            int keep = x->nnodes / 2;
            memmove(x->f.nodes, x->f.nodes + (x->nnodes - keep), (size_t)keep * sizeof x->f.nodes[0]);
            for (int i = keep; i < x->nnodes; i++)
                x->f.nodes[i] = 0;
            x->nnodes = keep;
            x->phase = 1;
            note_fault(s, &x->f, x->nnodes, "partial");
            recompute_net(s, nm);
            nemesis_arm(s, NEV_END2, slot, x->end);
            return;
        }
        /* fall through */
    case NEM_ISOLATE:
    case NEM_ONE_WAY:
        note_fault(s, f, x->nnodes, "end");
        nm->act[slot]->f.kind = 0;      /* out of the cut list before the rebuild */
        recompute_net(s, nm);
        break;
    case NEM_CLOG:
    case NEM_HOLD:
        note_fault(s, f, x->nnodes, "end");
        restore_links(s, x, f->nodes[0]);
        break;
    case NEM_LOSS:
        note_fault(s, f, 0, "end");
        if (--nm->loss_active == 0)
            s->net.defaults.loss = nm->saved_loss;
        break;
    case NEM_DUPLICATE:
        note_fault(s, f, 0, "end");
        if (--nm->dup_active == 0)
            s->net.defaults.duplicate = nm->saved_dup;
        break;
    case NEM_REORDER:
        note_fault(s, f, 0, "end");
        if (--nm->reorder_active == 0) {
            s->net.defaults.latency = nm->saved_latency;
            s->net.defaults.fifo = nm->saved_fifo;
        }
        break;
    default:
        break;
    }
    drop_active(nm, slot);
}

/* ------------------------------------------------------------ drawing */

static void shuffle(struct rng *r, int *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

static sim_time default_duration(const struct nemesis *nm, const struct nemesis_kind *k, struct rng *r)
{
    if (k->has_duration)
        return dist_sample(&k->duration, r);
    if (k->kind == NEM_RESTART_FAST) {
        /* crash and back within an election timeout or so: 1 to 150 ms, log-uniform */
        struct dist d = { DIST_LOGUNIFORM, 1, 150 };
        return dist_sample(&d, r);
    }
    return dist_sample(&nm->cfg.duration_d, r);
}

/* Every fault draws the same raw values from the nemesis stream — which
 * kind, a seed for its own choices — whatever it becomes; what depends on
 * the cluster (who leads, who is up) comes from that private seed. */
void nemesis_start_ext(struct sim *s, struct nemesis *nm)
{
    int index = nm->drawn++;
    double ukind = rng_double(&nm->rng);
    uint64_t sub = rng_next(&nm->rng);
    int on[NEM_MAX_KINDS], non = 0;
    for (int i = 0; i < nm->cfg.nkinds; i++)
        if (nm->swarm_on & (1u << i))
            on[non++] = i;
    if (non == 0)
        return;
    int entry = on[(int)(ukind * non) % non];
    const struct nemesis_kind *k = &nm->cfg.kinds[entry];
    struct rng r;
    rng_init(&r, sub, RNG_NEMESIS, 1);
    sim_time dur = (sim_time)((double)default_duration(nm, k, &r) * (k->has_duration ? 1 : nm->scale));
    double u1 = rng_double(&r), u2 = rng_double(&r);
    if (nemesis_skipped(s, index))
        return;

    int n = 0, up[4096], nup = 0, all[4096];
    for (int i = 1; i <= s->nnodes && n < 4096; i++) {
        struct node *nd = s->nodes[i];
        if (!nd->member)
            continue;
        all[n++] = i;
        if (nd->up && !nd->paused)
            up[nup++] = i;
    }
    int lead = s->alg->leader ? s->alg->leader(&s->cluster) : 0;
    struct nemesis_fault_rec f;
    memset(&f, 0, sizeof f);
    f.index = index;
    f.kind = k->kind;
    f.menu = entry + 1;
    f.target = k->target;
    f.ms = sim_ns_to_ms(dur);
    int maxn = (int)(sizeof f.nodes / sizeof f.nodes[0]) - 1, nn = 0;
    if (k->kind == NEM_PARTITION) {
        shuffle(&r, all, n);
        int cut = n > 1 ? 1 + (int)(u1 * (n / 2)) : 0;
        if (cut > maxn)
            cut = maxn;
        if (cut == 0)
            return;
        int want_in = k->target == TGT_LEADER || k->target == TGT_MINORITY;
        int want_out = k->target == TGT_FOLLOWER || k->target == TGT_MAJORITY;
        for (int i = 0; lead && i < n; i++)
            if (all[i] == lead) {
                int j = want_in ? 0 : want_out ? n - 1 : i;   /* the cut side is all[0..cut) */
                all[i] = all[j];
                all[j] = lead;
                break;
            }
        for (int i = 0; i < cut; i++)
            f.nodes[nn++] = all[i];
        f.partial = u2 < k->partial;
    } else if (node_fault(k->kind)) {
        int pool[4096], np = 0;
        for (int i = 0; i < nup; i++)
            if (k->target != TGT_FOLLOWER || up[i] != lead)
                pool[np++] = up[i];
        shuffle(&r, pool, np);
        int want = 1;
        if (k->target == TGT_MINORITY)
            want = (n - 1) / 2;
        else if (k->target == TGT_MAJORITY)
            want = n / 2 + 1;
        if (k->target == TGT_LEADER) {
            if (!lead || !in_list(up, nup, lead)) {
                nm->st.limited++;     /* no leader to hit right now */
                return;
            }
            f.nodes[nn++] = lead;
        } else {
            for (int i = 0; i < np && nn < want && nn < maxn; i++)
                f.nodes[nn++] = pool[i];
        }
        if (nn == 0)
            return;
        f.dir = k->kind == NEM_ONE_WAY && u1 >= 0.5;
        if (k->kind == NEM_CLOCK)
            f.value = (u2 * 2 - 1) * nm->cfg.clock_ms;
        else if (k->kind == NEM_CLOG)
            f.value = k->factor > 0 ? k->factor : 10;
    } else if (k->kind == NEM_LOSS) {
        f.value = nm->cfg.loss;
    } else if (k->kind == NEM_DUPLICATE) {
        f.value = nm->cfg.dup;
    }
    int downs = k->kind == NEM_CRASH || k->kind == NEM_KILL || k->kind == NEM_RESTART_FAST ||
                k->kind == NEM_PAUSE || k->kind == NEM_ISOLATE || k->kind == NEM_ONE_WAY ||
                k->kind == NEM_HOLD || k->kind == NEM_PARTITION;
    if ((downs && !within_max_down(s, nm, f.nodes, nn)) ||
        ((k->kind == NEM_CLOG || k->kind == NEM_HOLD) && busy_links(nm, f.nodes[0]))) {
        nm->st.limited++;
        return;
    }
    struct error err;
    if (nemesis_apply(s, &f, &err) != 0)
        return;
    nm->drawn_applied++;
    int kind = __builtin_ctz(k->kind);
    nm->st.fired[kind]++;
    if (lead && in_list(f.nodes, nn, lead))
        nm->st.leader[kind]++;
}

void nemesis_get_stats(const struct sim *s, struct nemesis_stats *st)
{
    if (s->nemesis)
        *st = s->nemesis->st;
    else
        memset(st, 0, sizeof *st);
}

const struct nemesis_fault_rec *nemesis_log(const struct sim *s, int *n)
{
    *n = s->nemesis ? s->nemesis->nlog : 0;
    return s->nemesis ? s->nemesis->log : NULL;
}

static size_t nodes_words(const struct nemesis_fault_rec *f, char *buf, size_t n)
{
    int k = count_nodes(f);
    size_t len = (size_t)snprintf(buf, n, "%s ", k == 1 ? "node" : "nodes");
    for (int i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", i ? (i == k - 1 ? " and " : ", ") : "", f->nodes[i]);
    return len < n ? len : n - 1;
}

void nemesis_describe(const struct nemesis_fault_rec *f, char *buf, size_t n)
{
    char who[96];
    nodes_words(f, who, sizeof who);
    size_t len = (size_t)snprintf(buf, n, "t=%.1f ms ", f->at_ms);
    if (len >= n)
        return;
    char *b = buf + len;
    size_t m = n - len;
    switch (f->kind) {
    case NEM_CRASH: snprintf(b, m, "crash %s for %.1f ms", who, f->ms); break;
    case NEM_KILL: snprintf(b, m, "kill %s (unsynced writes lost) for %.1f ms", who, f->ms); break;
    case NEM_RESTART_FAST: snprintf(b, m, "crash %s and restart it %.1f ms later", who, f->ms); break;
    case NEM_PAUSE: snprintf(b, m, "pause %s for %.1f ms", who, f->ms); break;
    case NEM_CLOCK: snprintf(b, m, "step the clock of %s by %+.1f ms", who, f->value); break;
    case NEM_PARTITION:
        snprintf(b, m, "cut %s off from the rest for %.1f ms%s", who, f->ms,
                 f->partial && count_nodes(f) > 1 ? " (half of them rejoin half-way)" : "");
        break;
    case NEM_ISOLATE: snprintf(b, m, "isolate %s for %.1f ms", who, f->ms); break;
    case NEM_ONE_WAY:
        snprintf(b, m, "%s %s for %.1f ms", f->dir ? "nothing reaches" : "nothing leaves", who, f->ms);
        break;
    case NEM_CLOG: snprintf(b, m, "slow the links of %s x%.0f for %.1f ms", who, f->value, f->ms); break;
    case NEM_HOLD: snprintf(b, m, "hold every message to or from %s for %.1f ms", who, f->ms); break;
    case NEM_LOSS: snprintf(b, m, "lose %.0f%% of messages for %.1f ms", f->value * 100, f->ms); break;
    case NEM_DUPLICATE: snprintf(b, m, "duplicate %.0f%% of messages for %.1f ms", f->value * 100, f->ms); break;
    case NEM_REORDER: snprintf(b, m, "reorder messages for %.1f ms", f->ms); break;
    default: snprintf(b, m, "fault %u", f->kind); break;
    }
}
