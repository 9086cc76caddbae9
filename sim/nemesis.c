/* The nemesis (see nemesis.h). */
#include "sim/nemesis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nemesis_fault_names[] = { "crash", "pause", "partition", "clock", "loss", "kill", "restart_fast",
                                            "isolate", "one_way", "clog", "duplicate", "reorder", "hold", NULL };
const char *const nemesis_target_names[] = { "any", "leader", "follower", "minority", "majority", NULL };


unsigned nemesis_fault_bit(const char *name)
{
    for (int i = 0; nemesis_fault_names[i]; i++)
        if (strcmp(nemesis_fault_names[i], name) == 0)
            return 1u << i;
    return 0;
}

void nemesis_cfg_default(struct nemesis_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->faults = NEM_CRASH | NEM_PARTITION;
    c->interval = SIM_MS(1000);
    c->duration = SIM_MS(500);
    c->start = 0;
    c->stop = SIM_TIME_MAX;
    c->clock_ms = 100;
    c->loss = 0.5;
    c->dup = 0.1;
}

void nemesis_arm(struct sim *s, int kind, int64_t aux2, sim_time at)
{
    struct event *e = queue_alloc(&s->q);
    e->kind = EV_NEMESIS;
    e->aux = kind;
    e->aux2 = aux2;
    queue_push(&s->q, e, at);
}

static void schedule_next(struct sim *s, struct nemesis *nm)
{
    sim_time gap;
    if (nm->cfg.extended)
        gap = (sim_time)((double)dist_sample(&nm->cfg.interval_d, &nm->rng) * nm->scale);
    else
        gap = sim_ms_to_ns(rng_exponential(&nm->rng, sim_ns_to_ms(nm->cfg.interval)));
    if (s->nemesis_sparse > 0)
        gap = (sim_time)((double)gap * s->nemesis_sparse);
    if (gap < 1 && nm->cfg.extended)
        gap = 1;      /* a zero gap would start faults forever at one instant */
    sim_time at = s->now + gap;
    if (at < nm->cfg.start)
        at = nm->cfg.start + gap;
    if (at > nm->cfg.stop)
        return;
    nemesis_arm(s, NEV_START, 0, at);
}

struct nemesis *nemesis_get(struct sim *s)
{
    if (!s->nemesis) {
        s->nemesis = calloc(1, sizeof *s->nemesis);
        if (!s->nemesis)
            abort();
        /* a re-drawn schedule has a stream of its own, far from stream 0 */
        rng_init(&s->nemesis->rng, s->seed, RNG_NEMESIS, s->nemesis_redraw ? (1ull << 32) + s->nemesis_redraw : 0);
        s->nemesis->scale = 1;
    }
    return s->nemesis;
}

void nemesis_start(struct sim *s, const struct nemesis_cfg *cfg)
{
    struct nemesis *nm = nemesis_get(s);
    nm->cfg = *cfg;
    nm->swarm_on = (1u << cfg->nkinds) - 1;
    if (cfg->extended && s->nemesis_menu)
        nm->swarm_on &= s->nemesis_menu;     /* a re-drawn schedule's entries, instead of the swarm's */
    else if (cfg->extended && cfg->swarm)
        nemesis_draw_swarm(s, nm);
    schedule_next(s, nm);
}

void nemesis_free(struct sim *s)
{
    struct nemesis *nm = s->nemesis;
    if (!nm)
        return;
    for (int i = 0; i < nm->nact; i++)
        if (nm->act[i]) {
            free(nm->act[i]->saved);
            free(nm->act[i]->saved_had);
            free(nm->act[i]);
        }
    free(nm->act);
    free(nm->log);
    free(nm);
    s->nemesis = NULL;
}

int nemesis_count(const struct sim *s) { return s->nemesis ? s->nemesis->applied : 0; }
int nemesis_drawn(const struct sim *s) { return s->nemesis ? s->nemesis->drawn : 0; }

static int pick(struct sim *s, struct nemesis *nm, int need_up)
{
    int n = s->nnodes, cand[4096], k = 0;
    for (int i = 1; i <= n && k < 4096; i++) {
        struct node *nd = s->nodes[i];
        if (nd->member && (!need_up || (nd->up && !nd->paused)))
            cand[k++] = i;
    }
    return k ? cand[rng_below(&nm->rng, (uint64_t)k)] : 0;
}

int nemesis_skipped(struct sim *s, int index)
{
    if (s->nemesis_limit >= 0 && index >= s->nemesis_limit)
        return 1;
    if (s->nemesis_max >= 0 && s->nemesis && s->nemesis->drawn_applied >= s->nemesis_max)
        return 1;
    for (int i = 0; i < s->nnemesis_skip; i++)
        if (s->nemesis_skip[i] == index)
            return 1;
    if (s->nemesis_only) {
        for (int i = 0; i < s->nnemesis_only; i++)
            if (s->nemesis_only[i] == index)
                return 0;
        return 1;
    }
    return 0;
}

void nemesis_note(struct sim *s, int index, const char *fault, const char *phase, int node)
{
    if (!sim_wants(s, "nemesis", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "nemesis", s->now);
    record_int(&r, "n", index);
    record_str(&r, "fault", fault);
    record_str(&r, "phase", phase);
    if (node)
        record_int(&r, "node", node);
    sim_emit(s, &r, TRACE_STATE);
}

static int lead_in(const int *v, int n, int lead)
{
    for (int i = 0; i < n; i++)
        if (v[i] == lead)
            return 1;
    return 0;
}

/* Draw everything a fault needs first, then apply it unless skipped: the
 * stream advances the same way either way. */
static void start_fault(struct sim *s, struct nemesis *nm)
{
    int index = nm->drawn++;
    unsigned kinds[8];
    int nk = 0;
    for (int i = 0; nemesis_fault_names[i]; i++)
        if (nm->cfg.faults & (1u << i))
            kinds[nk++] = 1u << i;
    if (nk == 0)
        return;
    unsigned f = kinds[rng_below(&nm->rng, (uint64_t)nk)];
    int node = pick(s, nm, 1);
    int64_t step_us = rng_range(&nm->rng, -(int64_t)(nm->cfg.clock_ms * 1000), (int64_t)(nm->cfg.clock_ms * 1000));
    int perm[4096], n = 0;
    for (int i = 1; i <= s->nnodes && n < 4096; i++)
        if (s->nodes[i]->member)
            perm[n++] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(&nm->rng, (uint64_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int cut = n > 1 ? 1 + (int)rng_below(&nm->rng, (uint64_t)(n / 2)) : 0;
    const char *name = nemesis_fault_names[__builtin_ctz(f)];
    if (nemesis_skipped(s, index) || node == 0)
        return;
    nm->applied++;
    nm->drawn_applied++;
    int kind = __builtin_ctz(f), lead = s->alg->leader ? s->alg->leader(&s->cluster) : 0;
    nm->st.fired[kind]++;
    if (lead && (f == NEM_PARTITION ? lead_in(perm, cut, lead) : node == lead))
        nm->st.leader[kind]++;
    struct nemesis_fault_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.index = index;
    rec.kind = f;
    rec.ms = sim_ns_to_ms(nm->cfg.duration);
    if (f == NEM_PARTITION)
        for (int i = 0; i < cut && i < 15; i++)
            rec.nodes[i] = perm[i];
    else if (f != NEM_LOSS)
        rec.nodes[0] = node;
    rec.value = f == NEM_CLOCK ? (double)step_us / 1000.0 : f == NEM_LOSS ? nm->cfg.loss : 0;
    if (f != NEM_PARTITION || cut)
        nemesis_log_add(s, nm, &rec);
    struct error err;
    sim_time end = s->now + nm->cfg.duration;
    switch (f) {
    case NEM_CRASH:
    case NEM_KILL: {
        int saved = s->lose_unsynced;
        if (f == NEM_KILL)
            s->lose_unsynced = 1;
        nemesis_note(s, index, name, "start", node);
        sim_crash(s, node, &err);
        s->lose_unsynced = saved;
        nemesis_arm(s, NEV_END, ((int64_t)index << 40) | ((int64_t)f << 32) | node, end);
        break;
    }
    case NEM_PAUSE:
        nemesis_note(s, index, name, "start", node);
        sim_pause(s, node, nm->cfg.duration, &err);
        break;
    case NEM_PARTITION: {
        if (cut == 0)
            return;
        const int *groups[2] = { perm, perm + cut };
        int counts[2] = { cut, n - cut };
        nemesis_note(s, index, name, "start", 0);
        sim_partition(s, 2, groups, counts);
        nm->partitions_active++;
        nemesis_arm(s, NEV_END, ((int64_t)index << 40) | ((int64_t)f << 32), end);
        break;
    }
    case NEM_CLOCK:
        nemesis_note(s, index, name, "start", node);
        sim_clock_step(s, node, SIM_US(step_us));
        break;
    case NEM_LOSS:
        nemesis_note(s, index, name, "start", 0);
        if (nm->loss_active++ == 0)
            nm->saved_loss = s->net.defaults.loss;
        s->net.defaults.loss = nm->cfg.loss;
        nemesis_arm(s, NEV_END, ((int64_t)index << 40) | ((int64_t)f << 32), end);
        break;
    }
}

static void end_fault(struct sim *s, struct nemesis *nm, int64_t aux2)
{
    int index = (int)(aux2 >> 40);
    unsigned f = (unsigned)((aux2 >> 32) & 0xff);
    int node = (int)(aux2 & 0xffffffff);
    struct error err;
    const char *name = nemesis_fault_names[__builtin_ctz(f)];
    switch (f) {
    case NEM_CRASH:
    case NEM_KILL:
        nemesis_note(s, index, name, "end", node);
        if (s->nodes[node]->member && !s->nodes[node]->up)
            sim_restart(s, node, &err);
        break;
    case NEM_PARTITION:
        /* A later partition fault replaced this one: only the last to end heals. */
        nemesis_note(s, index, name, "end", 0);
        if (--nm->partitions_active == 0)
            sim_heal(s);
        break;
    case NEM_LOSS:
        nemesis_note(s, index, name, "end", 0);
        if (--nm->loss_active == 0)
            s->net.defaults.loss = nm->saved_loss;
        break;
    default:
        break;
    }
}

int nemesis_event(struct sim *s, struct event *e)
{
    struct nemesis *nm = s->nemesis;
    if (e->aux == NEV_START) {
        if (nm->cfg.extended)
            nemesis_start_ext(s, nm);
        else
            start_fault(s, nm);
        schedule_next(s, nm);
    } else if (e->aux == NEV_END) {
        end_fault(s, nm, e->aux2);
    } else if (e->aux == NEV_END2) {
        nemesis_end_ext(s, nm, (int)e->aux2);
    } else {
        nemesis_tick_ext(s, nm, (int)e->aux2);
    }
    return 0;
}

