/* Shrinking a failing seed to a readable reproduction.
 *
 * 1. Delta debugging (Zeller & Hildebrandt, "Simplifying and Isolating
 *    Failure-Inducing Input", 2002) over the nemesis faults the run
 *    applied: a subset is tried by applying only those faults
 *    (--nemesis-only); the nemesis draws every fault anyway, so the kept
 *    ones start at the same moments as in the original run.
 * 2. The kept faults become explicit `sim.at(t, function() sim.fault{...})`
 *    lines in a standalone scenario: the original scenario's text with its
 *    random nemesis switched off. From here on every trial is the written
 *    scenario itself, so what is handed back is what was tested.
 * 3. The client operations invoked before the violation are ddmin'ed, as
 *    sim.client_only lists (the workload still draws the ones left out).
 * 4. Each fault is shortened (halved while the run still fails) and moved
 *    later; then the faults are ddmin'ed again on the written scenario, and
 *    the operations again if the faults changed.
 * When the drawn faults do not shrink below four, phase 1 also re-draws
 * (redraw below): new sparse schedules from the scenario's own fault list,
 * for the same seed, restricted to the entries the kept faults came from;
 * a failing one is ddmin'ed and replaces the drawn faults if smaller.
 * "Still fails" means the same invariant breaks (or, for a scenario
 * assertion, the run fails again). */
#include "sim/explore_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/dmath.h"
#include "sim/engine.h"

#include "sim/trace.h"

#include <cjson/cJSON.h>

/* The bounds, in runs of a few milliseconds each: phase 1 runs the original
 * scenario (and re-draws), the later phases the written one; a shrink is at
 * most SHRINK_MAX_RUNS + SHRINK_REDRAW_RUNS (+ SHRINK_REDRAW_MORE while
 * more than five faults are left) + SHRINK_EXPLICIT_RUNS runs, and a few
 * to record. */
#define SHRINK_MAX_RUNS 3000
#define SHRINK_EXPLICIT_RUNS 1000
#define SHRINK_MAX_OPS 2000
#define SHRINK_REDRAW_RUNS 2000
#define SHRINK_REDRAW_MORE 3000     /* further runs while more than five faults are left */

/* The shrinker's random streams (RNG_TOOL, from the seed): one per use,
 * so shrinking a seed is deterministic and no two searches share draws. */
enum { STREAM_SEARCH = 17, STREAM_AGAIN = 18 /* and 19: two rounds */, STREAM_REDRAW = 20 };

/* A client operation as the run invoked it, to be written as a sim.at line. */
struct xop {
    double at_ms;
    int client, node;          /* node: where its first attempt went (0: never sent) */
    int64_t seq;               /* the client's operation number, to match its first request */
    char op[16];
    char key[REQ_STR], value[REQ_STR], expect[REQ_STR];
    int64_t num;
};

struct shrinker {
    const struct explore_opts *e;
    const struct seed_result *orig;
    const char *tmp;
    int total;          /* faults drawn before the failure: the limit */
    int runs, limit;
    char trial[700];
    /* The explicit schedule: every fault the original run applied (the kept
     * ones shortened and moved as they go), and which of them are kept. */
    struct nemesis_fault_rec pool[EX_MAX_LOG];
    int npool;
    int fkeep[EX_MAX_LOG], nfkeep;
    /* Once the client operations are listed (sim.client_only). */
    int explicit_ops;
    struct xop *ops;
    int nops;
    int *okeep, nokeep;
    /* Phase 1's re-drawn schedule (run_opts' nemesis_redraw and the rest);
     * rd.stream 0 while the original run's own faults are shrunk. */
    struct redraw_knobs { uint64_t stream; unsigned menu; double sparse; int max; } rd;
    int drawn_kept;     /* what the drawn faults shrank to, before */
};

static const struct redraw_knobs no_redraw = { 0, 0, 0, -1 };

/* Does the failure persist for this subset (of faults, or of operations)? */
typedef int (*trial_fn)(struct shrinker *, const int *sub, int n);

static int budget(const struct shrinker *sh) { return sh->runs < sh->limit; }

static int same_failure(const struct shrinker *sh, const struct seed_result *r)
{
    if (r->exit_code != EXIT_FAILED)
        return 0;
    if (sh->orig->rep.invariant[0])
        return strcmp(r->rep.invariant, sh->orig->rep.invariant) == 0;
    return 1;
}

/* Does the run fail the same way with only these faults applied (n < 0:
 * every fault drawn)? */
static int fails_with(struct shrinker *sh, const int *only, int n, struct seed_result *out)
{
    static const int none = -1;
    struct run_opts o = sh->e->run;
    o.seed = sh->orig->seed;
    o.nemesis_skip = NULL;
    o.nnemesis_skip = 0;
    o.nemesis_only = n < 0 ? NULL : n ? only : &none;     /* non-NULL: an empty list applies no fault */
    o.nnemesis_only = n < 0 ? 0 : n;
    o.nemesis_limit = sh->rd.stream ? -1 : sh->total;
    o.nemesis_redraw = sh->rd.stream;
    o.nemesis_menu = sh->rd.menu;
    o.nemesis_sparse = sh->rd.sparse;
    o.nemesis_max = sh->rd.max;
    struct seed_result r;
    sh->runs++;
    if (ex_run_one(&o, sh->tmp, &r) != 0)
        return 0;
    if (out)
        *out = r;
    return same_failure(sh, &r);
}

static int test_nemesis(struct shrinker *sh, const int *sub, int n) { return fails_with(sh, sub, n, NULL); }

/* ddmin: the smallest subset of c[0..n) (1-minimal: no single element can
 * go) for which test still fails. Returns the new n; c is rewritten in place. */
static int ddmin(struct shrinker *sh, trial_fn test, int *c, int n)
{
    if (n == 0 || test(sh, c, 0))
        return 0;
    int *sub = malloc((size_t)n * sizeof *sub);
    if (!sub)
        abort();
    int parts = 2;
    while (n >= 2 && budget(sh)) {
        int found = 0;
        int size = (n + parts - 1) / parts;
        /* each part alone, then each complement */
        for (int pass = 0; pass < 2 && !found; pass++)
            for (int p = 0; p < parts && !found && budget(sh); p++) {
                int lo = p * size, hi = lo + size < n ? lo + size : n, k = 0;
                if (lo >= n)
                    break;
                for (int i = 0; i < n; i++)
                    if ((i >= lo && i < hi) == (pass == 0))
                        sub[k++] = c[i];
                if (k == 0 || k == n || !test(sh, sub, k))
                    continue;
                memcpy(c, sub, (size_t)k * sizeof *c);
                n = k;
                parts = pass == 0 ? 2 : (parts - 1 > 2 ? parts - 1 : 2);
                found = 1;
            }
        if (!found) {
            if (parts >= n)
                break;
            parts = parts * 2 < n ? parts * 2 : n;
        }
    }
    free(sub);
    return n;
}

static int by_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* A failing candidate t[0..k): ddmin it, and keep it if smaller than best. */
static int keep_smaller(struct shrinker *sh, trial_fn test, int *t, int k, int *best, int nbest)
{
    int m = ddmin(sh, test, t, k);
    if (m >= nbest)
        return nbest;
    memcpy(best, t, (size_t)m * sizeof *t);
    return m;
}

/* ddmin is only as good as failures are monotone in the faults, and a
 * cluster is chaotic: taking out an early fault moves every election
 * after it, so ddmin can stop at a large 1-minimal set. Runs are cheap,
 * so look for a small failing schedule directly too: the last k faults
 * before the failure, every window of up to six consecutive faults, then
 * random subsets of 1..6 faults (drawn from a stream of the seed, so
 * shrinking is deterministic), each found one ddmin'ed in turn. Keeps the
 * smallest. */
static int search_small(struct shrinker *sh, trial_fn test, uint64_t stream, const int *all, int nall, int *best,
                        int nbest)
{
    int *t = malloc((size_t)(nall + 1) * sizeof *t);
    if (!t)
        abort();
    for (int k = 1; k <= nall && k < nbest && k <= 12 && budget(sh); k++) {
        memcpy(t, all + nall - k, (size_t)k * sizeof *t);
        if (test(sh, t, k)) {
            nbest = keep_smaller(sh, test, t, k, best, nbest);
            break;
        }
    }
    for (int w = 1; w <= 6 && w < nbest && w <= nall; w++)
        for (int at = nall - w; at >= 0 && w < nbest && budget(sh); at--) {
            memcpy(t, all + at, (size_t)w * sizeof *t);
            if (test(sh, t, w))
                nbest = keep_smaller(sh, test, t, w, best, nbest);
        }
    struct rng r;
    rng_init(&r, sh->orig->seed, RNG_TOOL, stream);
    for (int size = 1; size <= 6 && size < nbest && size <= nall; size++)
        for (int tries = 0; tries < 400 && size < nbest && budget(sh); tries++) {
            int k = 0;
            while (k < size) {     /* size distinct faults, in schedule order */
                int pick = all[rng_below(&r, (uint64_t)nall)], dup = 0;
                for (int i = 0; i < k; i++)
                    dup |= t[i] == pick;
                if (!dup)
                    t[k++] = pick;
            }
            qsort(t, (size_t)k, sizeof *t, by_int);
            if (test(sh, t, k))
                nbest = keep_smaller(sh, test, t, k, best, nbest);
        }
    free(t);
    return nbest;
}

/* Phase 1b. Removing and recombining the faults a seed drew only gets as
 * far as some subset of them recreates the failure, and a failure that
 * took a long chaotic history (Figure 8's leader changes in order) keeps
 * many. So draw new schedules for the same seed (same cluster, network
 * and clients): the scenario's own fault list, but only the entries the
 * kept faults came from, each alone, in pairs, and all together (swarm
 * testing again: a schedule of leader partitions alone finds Figure 8 far
 * more often than the full mix), gaps two to eight times longer, and a cap
 * of four to twelve faults applied. Each failing draw is ddmin'ed; the
 * smallest replaces c[0..n) when smaller, and sh->rd then names its
 * schedule (no_redraw if none). Returns the new n. */
static int redraw(struct shrinker *sh, const struct seed_result *kept, int *c, int n, char *why, size_t whyn)
{
    int count[NEM_MAX_KINDS] = { 0 }, entry[NEM_MAX_KINDS], ne = 0;
    char name[NEM_MAX_KINDS][40];
    for (int i = 0; i < kept->rep.nlog; i++) {
        const struct nemesis_fault_rec *f = &kept->rep.log[i];
        if (f->menu < 1 || f->menu > NEM_MAX_KINDS)
            continue;
        if (count[f->menu - 1]++ == 0) {
            entry[ne++] = f->menu - 1;
            snprintf(name[f->menu - 1], sizeof name[0], "%s%s%s", nemesis_kind_name(f->kind), f->target ? "@" : "",
                     f->target ? nemesis_target_names[f->target] : "");
        }
    }
    for (int i = 1; i < ne; i++)      /* most used first; ties in list order */
        for (int j = i; j > 0 && (count[entry[j]] > count[entry[j - 1]] ||
                                  (count[entry[j]] == count[entry[j - 1]] && entry[j] < entry[j - 1]));
             j--) {
            int x = entry[j];
            entry[j] = entry[j - 1];
            entry[j - 1] = x;
        }
    /* the lists to draw from: each entry alone, pairs of the three most
     * used, all of them; with no entries (the simple scheme), the whole list */
    unsigned masks[NEM_MAX_KINDS + 4];
    int nmask = 0, hits[NEM_MAX_KINDS + 4] = { 0 };
    for (int i = 0; i < ne; i++)
        masks[nmask++] = 1u << entry[i];
    for (int i = 0; i < ne && i < 3; i++)
        for (int j = i + 1; j < ne && j < 3; j++)
            masks[nmask++] = (1u << entry[i]) | (1u << entry[j]);
    if (ne > 2 || ne == 0) {
        unsigned all = 0;
        for (int i = 0; i < ne; i++)
            all |= 1u << entry[i];
        masks[nmask++] = all;
    }
    struct rng r;
    rng_init(&r, sh->orig->seed, RNG_TOOL, STREAM_REDRAW);
    int *t = malloc(EX_MAX_LOG * sizeof *t);
    if (!t)
        abort();
    int best = n, saved_limit = sh->limit;
    struct redraw_knobs won = no_redraw;
    sh->limit = sh->runs + SHRINK_REDRAW_RUNS;
    int more = sh->limit + SHRINK_REDRAW_MORE;
    for (uint64_t trial = 0; best > 3; trial++) {
        /* a reproduction of more than five faults is hard to read: keep
         * drawing a while longer for one */
        if (!budget(sh) && best > 5 && sh->limit < more)
            sh->limit = more;
        if (!budget(sh))
            break;
        sh->rd.stream = trial + 1;
        /* every other trial takes each list in turn; the rest prefer the
         * ones that have failed the same way more often (weight 1 + 8 x
         * their failures), so one early lucky list does not take over */
        int pick = (int)(trial / 2 % (uint64_t)nmask);
        if (trial % 2) {
            uint64_t total = 0, u;
            for (int i = 0; i < nmask; i++)
                total += 1 + 8 * (uint64_t)hits[i];
            u = rng_below(&r, total);
            for (pick = 0; pick < nmask - 1 && u >= 1 + 8 * (uint64_t)hits[pick]; pick++)
                u -= 1 + 8 * (uint64_t)hits[pick];
        }
        sh->rd.menu = masks[pick];
        sh->rd.sparse = det_exp(det_log(2.0) + (det_log(8.0) - det_log(2.0)) * rng_double(&r));
        sh->rd.max = 4 + (int)rng_below(&r, 9);
        struct seed_result got;
        if (!fails_with(sh, NULL, -1, &got) || got.rep.nlog != got.rep.faults)
            continue;
        hits[pick]++;
        int k = 0;
        for (int i = 0; i < got.rep.nlog; i++)
            if (got.rep.log[i].index >= 0)     /* not the scenario's own sim.fault lines */
                t[k++] = got.rep.log[i].index;
        int m = ddmin(sh, test_nemesis, t, k);
        if (m < best && fails_with(sh, t, m, NULL)) {
            best = m;
            memcpy(c, t, (size_t)m * sizeof *c);
            won = sh->rd;
        }
    }
    free(t);
    sh->limit = saved_limit;
    sh->rd = won;
    /* what was drawn from: the winning list, or every entry tried */
    size_t len = 0;
    if (ne == 0)
        snprintf(why, whyn, "the whole fault list: the simple nemesis has no entries to choose from");
    else if (won.stream) {
        len = (size_t)snprintf(why, whyn, "drawn from ");
        for (int i = 0, any = 0; i < NEM_MAX_KINDS && len < whyn; i++)
            if (won.menu & (1u << i)) {
                len += (size_t)snprintf(why + len, whyn - len, "%s%s", any ? " and " : "", name[i]);
                any = 1;
            }
    } else {
        len = (size_t)snprintf(why, whyn, "drawn from the entries the kept faults came from, alone, in pairs%s: ",
                               ne > 2 ? " and all together" : "");
        for (int i = 0; i < ne && len < whyn; i++)
            len += (size_t)snprintf(why + len, whyn - len, "%s%s", i ? ", " : "", name[entry[i]]);
    }
    return best;
}

static const char *kind_name(unsigned k) { return nemesis_kind_name(k); }

static void op_words(const struct xop *o, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "t=%.1f ms client %d %s", o->at_ms, o->client, o->op);
#define ADD(...) (len < n ? (len += (size_t)snprintf(buf + len, n - len, __VA_ARGS__)) : len)
    if (o->key[0])
        ADD(" %s", o->key);
    if (o->expect[0])
        ADD(" from %s to %s", o->expect, o->value);
    else if (o->value[0])
        ADD(" = %s", o->value);
    if (o->num)
        ADD(" by %lld", (long long)o->num);
    if (o->node)
        ADD(" (sent to node %d)", o->node);
#undef ADD
}

/* The standalone scenario: the explicit faults (and operations), then the
 * original text. */
static int write_scenario(const struct shrinker *sh, const char *path, const int *fk, int nfk, const int *ok, int nok,
                          const char *words_header)
{
    FILE *in = fopen(sh->e->run.scenario, "r");
    if (!in)
        return -1;
    FILE *out = fopen(path, "w");
    if (!out) {
        fclose(in);
        return -1;
    }
    if (sh->rd.stream)
        fprintf(out, "-- %s, seed %" PRIu64 ", shrunk by clustersim: %d faults of a re-drawn schedule (the %d drawn kept %d)",
                sh->e->run.scenario, sh->orig->seed, nfk, sh->total, sh->drawn_kept);
    else
        fprintf(out, "-- %s, seed %" PRIu64 ", shrunk by clustersim: %d nemesis faults kept", sh->e->run.scenario,
                sh->orig->seed, nfk);
    if (sh->explicit_ops)
        fprintf(out, " and %d of %d client operations", nok, sh->nops);
    fprintf(out, ", as explicit lines.\n");
    if (sh->orig->rep.invariant[0])
        fprintf(out, "-- On its own this scenario breaks %s again.\n", sh->orig->rep.invariant);
    fputs(words_header ? words_header : "", out);
    fputs("sim.nemesis = function() end   -- the random schedule is replaced by the lines below\n", out);
    for (int i = 0; i < nfk; i++) {
        const struct nemesis_fault_rec *f = &sh->pool[fk[i]];
        fprintf(out, "sim.at(%.6f, function() sim.fault{kind = \"%s\"", f->at_ms, kind_name(f->kind));
        if (f->nodes[0]) {
            fprintf(out, ", nodes = {");
            for (int k = 0; k < 16 && f->nodes[k]; k++)
                fprintf(out, "%s%d", k ? ", " : "", f->nodes[k]);
            fprintf(out, "}");
        }
        fprintf(out, ", ms = %.6f", f->ms);
        if (f->partial && f->nodes[1])     /* one node cut off rejoins at once either way */
            fprintf(out, ", partial = true");
        if (f->dir)
            fprintf(out, ", dir = %d", f->dir);
        if (f->value != 0)
            fprintf(out, ", value = %.17g", f->value);
        fprintf(out, "} end)\n");
    }
    /* The kept operations, per client: sim.client_only lists them by number. */
    for (int i = 0; sh->explicit_ops && i < sh->nops; i++) {
        int cl = sh->ops[i].client, seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = sh->ops[j].client == cl;
        if (seen)
            continue;
        fprintf(out, "sim.client_only(%d, {", cl);
        for (int k = 0, any = 0; k < nok; k++)
            if (sh->ops[ok[k]].client == cl) {
                fprintf(out, "%s%" PRId64, any ? ", " : "", sh->ops[ok[k]].seq);
                any = 1;
            }
        fprintf(out, "})\n");
    }
    fprintf(out, "-- The original scenario, unchanged:\n");
    char buf[8192];
    size_t k;
    int first = 1;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
        size_t skip = 0;
        if (first && k > 2 && buf[0] == '#' && buf[1] == '!')    /* a #! line is only allowed first */
            while (skip < k && buf[skip] != '\n')
                skip++;
        fwrite(buf + skip, 1, k - skip, out);
        first = 0;
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

/* Run a written scenario (traced to `trace` when not NULL). */
static int file_fails(struct shrinker *sh, const char *path, const char *trace)
{
    struct run_opts o = sh->e->run;
    o.scenario = path;
    o.seed = sh->orig->seed;
    o.nemesis_skip = NULL;
    o.nnemesis_skip = 0;
    o.nemesis_only = NULL;
    o.nnemesis_only = 0;
    o.nemesis_limit = -1;
    if (trace) {
        o.trace_path = trace;
        o.trace_level = TRACE_STATE;
    }
    struct seed_result r;
    sh->runs++;
    if (ex_run_one(&o, sh->tmp, &r) != 0)
        return 0;
    return same_failure(sh, &r);
}

static int test_faults(struct shrinker *sh, const int *sub, int n)
{
    if (write_scenario(sh, sh->trial, sub, n, sh->okeep, sh->nokeep, NULL) != 0)
        return 0;
    return file_fails(sh, sh->trial, NULL);
}

static int test_ops(struct shrinker *sh, const int *sub, int n)
{
    if (write_scenario(sh, sh->trial, sh->fkeep, sh->nfkeep, sub, n, NULL) != 0)
        return 0;
    return file_fails(sh, sh->trial, NULL);
}

static int current_fails(struct shrinker *sh) { return test_faults(sh, sh->fkeep, sh->nfkeep); }

static void copy_str(const cJSON *j, const char *name, char *dst, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    if (cJSON_IsString(v))
        snprintf(dst, cap, "%s", v->valuestring);
}

static double num_of(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The operations a trace's clients invoked (all, if ops is NULL: counted
 * only), with where each first went. Returns their number, -1 if the trace
 * cannot be read or holds more than SHRINK_MAX_OPS. */
static int read_ops(const char *trace, struct xop *ops)
{
    FILE *f = fopen(trace, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (getline(&line, &cap, f) > 0) {
        if (!strstr(line, "\"type\":\"invoke\"") && !(ops && strstr(line, "\"type\":\"request\"")))
            continue;
        cJSON *j = cJSON_Parse(line);
        if (!j)
            continue;
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
        int client = (int)num_of(j, "client");
        int invoke = cJSON_IsString(type) && strcmp(type->valuestring, "invoke") == 0;
        if (invoke && n >= SHRINK_MAX_OPS) {
            n = -1;
            cJSON_Delete(j);
            break;
        }
        if (invoke && ops) {
            struct xop *o = &ops[n];
            memset(o, 0, sizeof *o);
            o->at_ms = num_of(j, "t") / 1000.0;    /* the trace's microseconds */
            o->client = client;
            o->seq = (int64_t)num_of(j, "seq");
            o->num = (int64_t)num_of(j, "num");
            copy_str(j, "op", o->op, sizeof o->op);
            copy_str(j, "key", o->key, sizeof o->key);
            copy_str(j, "value", o->value, sizeof o->value);
            copy_str(j, "expect", o->expect, sizeof o->expect);
        } else if (!invoke && ops) {
            int64_t seq = (int64_t)num_of(j, "seq");
            for (int i = n - 1; i >= 0; i--)     /* its invoke is a record or two before */
                if (ops[i].client == client && ops[i].seq == seq) {
                    if (!ops[i].node)
                        ops[i].node = (int)num_of(j, "node");
                    break;
                }
        }
        n += invoke;
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    return n;
}

/* The operations a client workload generates (sim.client_only can leave
 * them out); the lock workload's follow from each other's answers. */
static int generated(const char *op)
{
    static const char *const ok[] = { "get", "put", "cas", "incr", "read", "enq", "deq", "serve", NULL };
    for (int i = 0; ok[i]; i++)
        if (strcmp(op, ok[i]) == 0)
            return 1;
    return 0;
}

/* Phase 3: the operations the failing run of the written scenario invoked
 * (all of them before the violation: the run stops there), ddmin'ed
 * through sim.client_only, which still draws every operation it leaves
 * out. Returns 0, or -1 with why. */
static int shrink_ops(struct shrinker *sh, const char **why)
{
    char trace[760];
    snprintf(trace, sizeof trace, "%s/ops.jsonl", sh->tmp);
    if (write_scenario(sh, sh->trial, sh->fkeep, sh->nfkeep, NULL, 0, NULL) != 0 || !file_fails(sh, sh->trial, trace)) {
        unlink(trace);
        *why = "the traced run did not fail";
        return -1;
    }
    sh->ops = malloc(SHRINK_MAX_OPS * sizeof *sh->ops);
    sh->okeep = malloc(SHRINK_MAX_OPS * sizeof *sh->okeep);
    if (!sh->ops || !sh->okeep)
        abort();
    int n = read_ops(trace, sh->ops);
    unlink(trace);
    if (n < 0) {
        *why = "more operations before the violation than the shrinker lists (SHRINK_MAX_OPS)";
        return -1;
    }
    sh->nops = 0;
    for (int i = 0; i < n; i++)
        if (generated(sh->ops[i].op))
            sh->ops[sh->nops++] = sh->ops[i];
    if (sh->nops == 0) {
        *why = "no generated operation before the violation";
        return -1;
    }
    sh->explicit_ops = 1;
    for (int i = 0; i < sh->nops; i++)
        sh->okeep[i] = i;
    sh->nokeep = sh->nops;
    /* Every operation listed is the run itself up to the violation. */
    if (!test_ops(sh, sh->okeep, sh->nokeep)) {
        sh->explicit_ops = 0;
        *why = "the run with every operation listed does not fail";
        return -1;
    }
    sh->nokeep = ddmin(sh, test_ops, sh->okeep, sh->nokeep);
    return 0;
}

/* Phase 4: with the load fixed in time, removing a fault perturbs less:
 * ddmin the faults again on the written scenario, search every fault the
 * original run applied for a smaller schedule when more than three are
 * left, and ddmin the operations again when the faults changed. */
static void faults_again(struct shrinker *sh)
{
    for (int round = 0; round < 2 && budget(sh); round++) {
        int was = sh->nfkeep;
        int t[EX_MAX_LOG];
        memcpy(t, sh->fkeep, (size_t)sh->nfkeep * sizeof *t);
        int n = ddmin(sh, test_faults, t, sh->nfkeep);
        if (n > 3) {
            int all[EX_MAX_LOG];
            for (int i = 0; i < sh->npool; i++)
                all[i] = i;
            n = search_small(sh, test_faults, STREAM_AGAIN + (uint64_t)round, all, sh->npool, t, n);
        }
        if (n > sh->nfkeep || !test_faults(sh, t, n))
            break;
        memcpy(sh->fkeep, t, (size_t)n * sizeof *t);
        sh->nfkeep = n;
        if (n == was || !sh->explicit_ops)
            break;
        int before = sh->nokeep;
        sh->nokeep = ddmin(sh, test_ops, sh->okeep, sh->nokeep);
        if (sh->nokeep == before)
            break;
    }
}

/* Each kept fault halved in length, then moved later, while it still fails. */
static void shorten_and_move(struct shrinker *sh)
{
    for (int i = 0; i < sh->nfkeep && budget(sh); i++) {
        struct nemesis_fault_rec *f = &sh->pool[sh->fkeep[i]];
        for (int t = 0; t < 6 && f->ms > 0.5 && budget(sh); t++) {
            double was = f->ms;
            f->ms = was / 2;
            if (!current_fails(sh)) {
                f->ms = was;
                break;
            }
        }
        double was = f->at_ms, step = f->ms > 1 ? f->ms : 1;
        for (int t = 0; t < 3 && budget(sh); t++) {
            f->at_ms = was + step;
            if (!current_fails(sh)) {
                f->at_ms = was;
                break;
            }
            was = f->at_ms;
        }
    }
}

static void base_name(const char *path, char *buf, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && strcmp(dot, ".lua") == 0)
        *dot = 0;
}

/* The explicit schedule's pool: the faults the original run applied (or,
 * re-drawn, the kept run's), with the ones phase 1 kept as that run
 * applied them; fkeep names those. A fault the scenario applies by hand
 * (sim.fault, index -1) is left out: the scenario's text applies it. */
static void fill_pool(struct shrinker *sh, const struct seed_result *kept)
{
    const struct child_report *o = &sh->orig->rep;
    int nk = kept->rep.nlog < EX_MAX_LOG ? kept->rep.nlog : EX_MAX_LOG;
    sh->npool = 0;
    if (!sh->rd.stream && o->nlog < EX_MAX_LOG && o->nlog == o->faults)
        for (int i = 0; i < o->nlog; i++)
            if (o->log[i].index >= 0)
                sh->pool[sh->npool++] = o->log[i];
    sh->nfkeep = 0;
    for (int i = 0; i < nk; i++) {
        const struct nemesis_fault_rec *f = &kept->rep.log[i];
        if (f->index < 0)
            continue;
        int at = -1;
        for (int j = 0; j < sh->npool && at < 0; j++)
            if (sh->pool[j].index == f->index)
                at = j;
        if (at < 0) {      /* not in the original's record: the kept ones alone */
            sh->npool = sh->nfkeep = 0;
            for (int k = 0; k < nk; k++)
                if (kept->rep.log[k].index >= 0) {
                    sh->pool[sh->npool] = kept->rep.log[k];
                    sh->fkeep[sh->nfkeep++] = sh->npool++;
                }
            return;
        }
        sh->pool[at] = *f;
        sh->fkeep[sh->nfkeep++] = at;
    }
}

void explore_shrink_seed(const struct explore_opts *e, const struct seed_result *failed, const char *tmp, FILE *out,
                         FILE *json, int *first_json)
{
    struct shrinker sh;
    memset(&sh, 0, sizeof sh);
    sh.e = e;
    sh.orig = failed;
    sh.tmp = tmp;
    sh.total = failed->rep.drawn;
    sh.limit = SHRINK_MAX_RUNS;
    sh.rd = no_redraw;
    int total = failed->rep.drawn;
    fprintf(out, "shrinking seed %" PRIu64 ": %d nemesis faults drawn before the failure\n", failed->seed, total);
    if (total == 0) {
        fprintf(out, "  nothing to shrink: the failure needs no nemesis fault\n");
        return;
    }
    /* Phase 1, on the original scenario: the candidates are the faults the
     * run applied (those drawn but refused never mattered); all drawn ones
     * if the record was cut short. */
    int *c = malloc((size_t)(total + 1) * sizeof *c);
    if (!c)
        abort();
    int n = 0;
    if (failed->rep.nlog < EX_MAX_LOG && failed->rep.nlog == failed->rep.faults) {
        for (int i = 0; i < failed->rep.nlog; i++)
            if (failed->rep.log[i].index >= 0 && failed->rep.log[i].index < total)
                c[n++] = failed->rep.log[i].index;
    } else {
        for (int i = 0; i < total; i++)
            c[n++] = i;
    }
    int before = n;
    int *all = malloc((size_t)(n + 1) * sizeof *all);
    if (!all)
        abort();
    memcpy(all, c, (size_t)n * sizeof *all);
    n = ddmin(&sh, test_nemesis, c, n);
    if (n > 3)
        n = search_small(&sh, test_nemesis, STREAM_SEARCH, all, before, c, n);
    free(all);
    struct seed_result kept;
    memset(&kept, 0, sizeof kept);
    int still = fails_with(&sh, c, n, &kept);
    struct run_opts o = e->run;
    o.seed = failed->seed;
    o.nemesis_only = c;
    o.nnemesis_only = n;
    fprintf(out, "  seed %" PRIu64 " still fails with %d of %d faults%s\n  ", failed->seed, n, total,
            still ? "" : " [the shrunk run no longer fails: the schedule is not replayable]");
    print_repro(out, &o);
    fprintf(out, "  %d runs: ddmin over the %d faults applied, then windows and small subsets, with the scenario's own client load\n",
            sh.runs, before);
    /* the drawn faults' result, to go back to if a re-drawn schedule does
     * not fail as explicit lines */
    int n0 = n, *c0 = malloc((size_t)(n + 1) * sizeof *c0);
    struct seed_result *kept0 = malloc(sizeof *kept0);
    if (!c0 || !kept0)
        abort();
    memcpy(c0, c, (size_t)n * sizeof *c);
    *kept0 = kept;
    sh.drawn_kept = n;
    if (still && n > 3) {
        char from[300];
        int had = n, runs0 = sh.runs;
        n = redraw(&sh, &kept, c, n, from, sizeof from);
        if (sh.rd.stream) {
            still = fails_with(&sh, c, n, &kept);
            fprintf(out, "  re-drawn: a new schedule for seed %" PRIu64 " breaks %s with %d faults, not %d (%d runs of "
                         "sparse schedules from the scenario's fault list; this one %s)\n",
                    failed->seed, failed->rep.invariant[0] ? failed->rep.invariant : "the scenario", n, had,
                    sh.runs - runs0, from);
        } else {
            fprintf(out, "  re-drawing: no smaller schedule in %d runs of sparse schedules from the scenario's fault list, "
                         "%s\n",
                    sh.runs - runs0, from);
        }
    }

    /* Phases 2-4, on the written scenario itself, so what is handed back is
     * what was tested. */
    sh.limit = sh.runs + SHRINK_EXPLICIT_RUNS;
    fill_pool(&sh, &kept);
    char dir[512], name[128], path[700];
    /* not the current directory by default: a sweep run from a source tree
     * would leave files in it */
    const char *tmpd = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s", e->shrink_out ? e->shrink_out : tmpd && *tmpd ? tmpd : "/tmp");
    base_name(e->run.scenario, name, sizeof name);
    snprintf(path, sizeof path, "%s/shrunk-%s-%" PRIu64 ".lua", dir, name, failed->seed);
    snprintf(sh.trial, sizeof sh.trial, "%s/trial.lua", tmp);
    int standalone = still && current_fails(&sh);
    if (!standalone && sh.rd.stream) {
        fprintf(out, "  the re-drawn faults do not fail as explicit lines: back to the %d drawn ones\n", n0);
        sh.rd = no_redraw;
        memcpy(c, c0, (size_t)n0 * sizeof *c);
        n = n0;
        kept = *kept0;
        still = 1;     /* it was, or nothing was re-drawn */
        fill_pool(&sh, &kept);
        standalone = current_fails(&sh);
    }
    free(c0);
    free(kept0);
    const char *why = NULL;
    if (standalone && shrink_ops(&sh, &why) == 0)
        fprintf(out, "  client operations: %d of %d kept (ddmin over those invoked before the violation at t=%.1f ms)\n",
                sh.nokeep, sh.nops, (sh.rd.stream ? &kept : failed)->rep.violation_at_ms);
    else if (standalone)
        fprintf(out, "  client operations: the generated load is kept: %s\n", why);
    if (standalone) {
        /* shorter faults disturb less, so ddmin gets further after */
        shorten_and_move(&sh);
        int had = sh.nfkeep;
        faults_again(&sh);
        if (sh.nfkeep != had) {
            fprintf(out, "  on the written scenario, %d of the %d faults fail it\n", sh.nfkeep, had);
            shorten_and_move(&sh);
        }
        standalone = current_fails(&sh);
    }
    unlink(sh.trial);
    int nfinal = standalone ? sh.nfkeep : n;
    char of[80];
    if (sh.rd.stream)
        snprintf(of, sizeof of, "%d re-drawn faults", nfinal);
    else
        snprintf(of, sizeof of, "%d of %d faults", nfinal, total);
    if (standalone && sh.explicit_ops)
        fprintf(out, "  the written scenario fails with %s and %d of %d client operations (%d runs in all):\n", of,
                sh.nokeep, sh.nops, sh.runs);
    else if (standalone)
        fprintf(out, "  the written scenario fails with %s (%d runs in all):\n", of, sh.runs);
    else
        fprintf(out, "  the faults kept (%d runs in all):\n", sh.runs);
    /* The faults and operations in words, in the scenario's header too. */
    char *words = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&words, &wlen);
    if (!w)
        abort();
    int nf = standalone ? sh.nfkeep : (kept.rep.nlog < EX_MAX_LOG ? kept.rep.nlog : EX_MAX_LOG);
    for (int i = 0; i < nf; i++) {
        char line[200];
        nemesis_describe(standalone ? &sh.pool[sh.fkeep[i]] : &kept.rep.log[i], line, sizeof line);
        fprintf(out, "    %s\n", line);
        fprintf(w, "--   %s\n", line);
    }
    if (standalone && sh.explicit_ops) {
        /* what the kept operations were in the written scenario's own run */
        char trace[760];
        snprintf(trace, sizeof trace, "%s/ops.jsonl", tmp);
        struct xop *ran = malloc(SHRINK_MAX_OPS * sizeof *ran);
        if (!ran)
            abort();
        int nran = write_scenario(&sh, sh.trial, sh.fkeep, sh.nfkeep, sh.okeep, sh.nokeep, NULL) == 0 &&
                           file_fails(&sh, sh.trial, trace)
                       ? read_ops(trace, ran)
                       : -1;
        unlink(trace);
        unlink(sh.trial);
        for (int i = 0; i < nran; i++) {
            char line[300];
            op_words(&ran[i], line, sizeof line);
            fprintf(out, "    %s\n", line);
            fprintf(w, "--   %s\n", line);
        }
        free(ran);
    }
    fclose(w);
    int written = 0;
    if (standalone) {
        if (write_scenario(&sh, path, sh.fkeep, sh.nfkeep, sh.okeep, sh.nokeep, words) == 0) {
            written = 1;
            struct run_opts ro = e->run;
            ro.scenario = path;
            ro.seed = failed->seed;
            ro.nemesis_skip = NULL;
            ro.nnemesis_skip = 0;
            fprintf(out, "  wrote %s (the faults as sim.at lines%s); it fails on its own:\n  ", path,
                    sh.explicit_ops ? ", the operations as sim.client_only lists" : "");
            print_repro(out, &ro);
        } else {
            fprintf(out, "  cannot write %s: %s\n", path, strerror(errno));
        }
    } else if (still) {
        fprintf(out, "  the faults as explicit lines do not fail on their own; use the command above\n");
    }
    if (json) {
        fprintf(json, "%s{\"seed\":\"%" PRIu64 "\",\"faults\":%d,\"kept\":%d,\"drawn_kept\":%d,\"only\":",
                *first_json ? "" : ",", failed->seed, total, nfinal, sh.drawn_kept);
        if (sh.rd.stream) {      /* re-drawn: --nemesis-only cannot name its faults; the scenario does */
            fprintf(json, "null");
        } else {
            fprintf(json, "[");
            for (int i = 0; i < n; i++)
                fprintf(json, "%s%d", i ? "," : "", c[i]);
            fprintf(json, "]");
        }
        fprintf(json, ",\"redrawn\":%s,\"ops\":%d,\"ops_kept\":", sh.rd.stream ? "true" : "false",
                sh.explicit_ops ? sh.nops : -1);
        if (standalone && sh.explicit_ops)
            fprintf(json, "%d", sh.nokeep);
        else
            fprintf(json, "null");
        fprintf(json, ",\"runs\":%d,\"words\":[", sh.runs);
        int first = 1;
        char *p = words;
        while (p && *p) {      /* the header's lines, without their "--   " */
            char *nl = strchr(p, '\n');
            if (nl)
                *nl = 0;
            fprintf(json, "%s", first ? "" : ",");
            ex_json_str(json, p + 5);
            first = 0;
            p = nl ? nl + 1 : p + strlen(p);
        }
        fprintf(json, "],\"scenario\":");
        if (written)
            ex_json_str(json, path);
        else
            fprintf(json, "null");
        fprintf(json, "}");
        *first_json = 0;
    }
    free(words);
    free(sh.ops);
    free(sh.okeep);
    free(c);
}

int explore_shrink_one(struct explore_opts *e, uint64_t seed)
{
    e->seed_lo = e->seed_hi = seed;
    e->seeds_set = 1;
    e->shrink = 1;
    e->max_failures = 1;
    return explore(e);
}
