/* Shrinking a failing seed to a readable reproduction.
 *
 * 1. Delta debugging (Zeller & Hildebrandt, "Simplifying and Isolating
 *    Failure-Inducing Input", 2002) over the nemesis faults the run
 *    applied: a subset is tried by applying only those faults
 *    (--nemesis-only); the nemesis draws every fault anyway, so the kept
 *    ones start at the same moments as in the original run.
 * 2. The kept faults become explicit `sim.at(t, function() sim.fault{...})`
 *    lines in a standalone scenario: the original scenario's text with its
 *    random nemesis switched off. Each fault is then shortened (halved
 *    while the run still fails) and moved later, trying the written
 *    scenario itself, so what is handed back is what was tested.
 * "Still fails" means the same invariant breaks (or, for a scenario
 * assertion, the run fails again). */
#include "sim/explore_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine.h"

#define SHRINK_MAX_RUNS 3000

struct shrinker {
    const struct explore_opts *e;
    const struct seed_result *orig;
    const char *tmp;
    int total;          /* faults drawn before the failure: the limit */
    int runs;
};

static int same_failure(const struct shrinker *sh, const struct seed_result *r)
{
    if (r->exit_code != EXIT_FAILED)
        return 0;
    if (sh->orig->rep.invariant[0])
        return strcmp(r->rep.invariant, sh->orig->rep.invariant) == 0;
    return 1;
}

/* Does the run fail the same way with only these faults applied? */
static int fails_with(struct shrinker *sh, const int *only, int n, struct seed_result *out)
{
    static const int none = -1;
    struct run_opts o = sh->e->run;
    o.seed = sh->orig->seed;
    o.nemesis_skip = NULL;
    o.nnemesis_skip = 0;
    o.nemesis_only = n ? only : &none;     /* non-NULL: an empty list applies no fault */
    o.nnemesis_only = n;
    o.nemesis_limit = sh->total;
    struct seed_result r;
    sh->runs++;
    if (ex_run_one(&o, sh->tmp, &r) != 0)
        return 0;
    if (out)
        *out = r;
    return same_failure(sh, &r);
}

/* ddmin: the smallest subset of c[0..n) (1-minimal: no single fault can
 * go) that still fails. Returns the new n; c is rewritten in place. */
static int ddmin(struct shrinker *sh, int *c, int n)
{
    if (n == 0 || fails_with(sh, c, 0, NULL))
        return 0;
    int *sub = malloc((size_t)n * sizeof *sub);
    if (!sub)
        abort();
    int parts = 2;
    while (n >= 2 && sh->runs < SHRINK_MAX_RUNS) {
        int found = 0;
        int size = (n + parts - 1) / parts;
        /* each part alone, then each complement */
        for (int pass = 0; pass < 2 && !found; pass++)
            for (int p = 0; p < parts && !found && sh->runs < SHRINK_MAX_RUNS; p++) {
                int lo = p * size, hi = lo + size < n ? lo + size : n, k = 0;
                if (lo >= n)
                    break;
                for (int i = 0; i < n; i++)
                    if ((i >= lo && i < hi) == (pass == 0))
                        sub[k++] = c[i];
                if (k == 0 || k == n || !fails_with(sh, sub, k, NULL))
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
static int keep_smaller(struct shrinker *sh, int *t, int k, int *best, int nbest)
{
    int m = ddmin(sh, t, k);
    if (m >= nbest)
        return nbest;
    memcpy(best, t, (size_t)m * sizeof *t);
    return m;
}

/* ddmin is only as good as failures are monotone in the faults, and a
 * cluster is chaotic: taking out an early fault moves every election
 * after it, so ddmin can stop at a large 1-minimal set. Runs are cheap,
 * so look for a small failing schedule directly too: the last k faults
 * before the failure, then random subsets of 1..6 faults (drawn from a
 * stream of the seed, so shrinking is deterministic), each found one
 * ddmin'ed in turn. Keeps the smallest. */
static int search_small(struct shrinker *sh, const int *all, int nall, int *best, int nbest)
{
    int *t = malloc((size_t)(nall + 1) * sizeof *t);
    if (!t)
        abort();
    for (int k = 1; k <= nall && k < nbest && k <= 12 && sh->runs < SHRINK_MAX_RUNS; k++) {
        memcpy(t, all + nall - k, (size_t)k * sizeof *t);
        if (fails_with(sh, t, k, NULL)) {
            nbest = keep_smaller(sh, t, k, best, nbest);
            break;
        }
    }
    /* windows: w consecutive faults, anywhere in the schedule */
    for (int w = 1; w <= 6 && w < nbest && w <= nall; w++)
        for (int at = nall - w; at >= 0 && w < nbest && sh->runs < SHRINK_MAX_RUNS; at--) {
            memcpy(t, all + at, (size_t)w * sizeof *t);
            if (fails_with(sh, t, w, NULL))
                nbest = keep_smaller(sh, t, w, best, nbest);
        }
    struct rng r;
    rng_init(&r, sh->orig->seed, RNG_TOOL, 17);
    for (int size = 1; size <= 6 && size < nbest && size <= nall; size++)
        for (int tries = 0; tries < 400 && size < nbest && sh->runs < SHRINK_MAX_RUNS; tries++) {
            int k = 0;
            while (k < size) {     /* size distinct faults, in schedule order */
                int pick = all[rng_below(&r, (uint64_t)nall)], dup = 0;
                for (int i = 0; i < k; i++)
                    dup |= t[i] == pick;
                if (!dup)
                    t[k++] = pick;
            }
            qsort(t, (size_t)k, sizeof *t, by_int);
            if (fails_with(sh, t, k, NULL))
                nbest = keep_smaller(sh, t, k, best, nbest);
        }
    free(t);
    return nbest;
}

static const char *kind_name(unsigned k) { return nemesis_kind_name(k); }

/* The standalone scenario: the explicit faults, then the original text. */
static int write_scenario(const struct shrinker *sh, const char *path, const struct nemesis_fault_rec *f, int n,
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
    fprintf(out, "-- %s, seed %" PRIu64 ", shrunk by clustersim: %d nemesis faults kept, as explicit lines.\n",
            sh->e->run.scenario, sh->orig->seed, n);
    if (sh->orig->rep.invariant[0])
        fprintf(out, "-- On its own this scenario breaks %s again.\n", sh->orig->rep.invariant);
    fputs(words_header, out);
    fputs("sim.nemesis = function() end   -- the random schedule is replaced by the lines below\n", out);
    for (int i = 0; i < n; i++) {
        fprintf(out, "sim.at(%.6f, function() sim.fault{kind = \"%s\"", f[i].at_ms, kind_name(f[i].kind));
        if (f[i].nodes[0]) {
            fprintf(out, ", nodes = {");
            for (int k = 0; k < 16 && f[i].nodes[k]; k++)
                fprintf(out, "%s%d", k ? ", " : "", f[i].nodes[k]);
            fprintf(out, "}");
        }
        fprintf(out, ", ms = %.6f", f[i].ms);
        if (f[i].partial)
            fprintf(out, ", partial = true");
        if (f[i].dir)
            fprintf(out, ", dir = %d", f[i].dir);
        if (f[i].value != 0)
            fprintf(out, ", value = %.17g", f[i].value);
        fprintf(out, "} end)\n");
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

static int scenario_fails(struct shrinker *sh, const char *path, const struct nemesis_fault_rec *f, int n)
{
    if (write_scenario(sh, path, f, n, "") != 0)
        return 0;
    struct run_opts o = sh->e->run;
    o.scenario = path;
    o.seed = sh->orig->seed;
    o.nemesis_skip = NULL;
    o.nnemesis_skip = 0;
    o.nemesis_only = NULL;
    o.nnemesis_only = 0;
    o.nemesis_limit = -1;
    struct seed_result r;
    sh->runs++;
    if (ex_run_one(&o, sh->tmp, &r) != 0)
        return 0;
    return same_failure(sh, &r);
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

void explore_shrink_seed(const struct explore_opts *e, const struct seed_result *failed, const char *tmp, FILE *out,
                         FILE *json, int *first_json)
{
    struct shrinker sh = { e, failed, tmp, failed->rep.drawn, 0 };
    int total = failed->rep.drawn;
    fprintf(out, "shrinking seed %" PRIu64 ": %d nemesis faults drawn before the failure\n", failed->seed, total);
    if (total == 0) {
        fprintf(out, "  nothing to shrink: the failure needs no nemesis fault\n");
        return;
    }
    /* The candidates: the faults the run applied (those drawn but refused
     * never mattered); all drawn ones if the record was cut short. */
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
    n = ddmin(&sh, c, n);
    if (n > 3)
        n = search_small(&sh, all, before, c, n);
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
    fprintf(out, "  %d runs: ddmin over the %d faults applied, then windows and small subsets\n", sh.runs, before);

    /* Phase 2, on the explicit schedule. */
    int nf = kept.rep.nlog < EX_MAX_LOG ? kept.rep.nlog : EX_MAX_LOG;
    struct nemesis_fault_rec f[EX_MAX_LOG];
    memcpy(f, kept.rep.log, (size_t)nf * sizeof *f);
    char dir[512], name[128], path[700], trial[700];
    /* not the current directory by default: a sweep run from a source tree
     * would leave files in it */
    const char *tmpd = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s", e->shrink_out ? e->shrink_out : tmpd && *tmpd ? tmpd : "/tmp");
    base_name(e->run.scenario, name, sizeof name);
    snprintf(path, sizeof path, "%s/shrunk-%s-%" PRIu64 ".lua", dir, name, failed->seed);
    snprintf(trial, sizeof trial, "%s/trial.lua", tmp);
    int standalone = still && scenario_fails(&sh, trial, f, nf);
    if (standalone) {
        for (int i = 0; i < nf && sh.runs < SHRINK_MAX_RUNS; i++) {
            for (int t = 0; t < 6 && f[i].ms > 0.5 && sh.runs < SHRINK_MAX_RUNS; t++) {
                double was = f[i].ms;
                f[i].ms = was / 2;
                if (!scenario_fails(&sh, trial, f, nf)) {
                    f[i].ms = was;
                    break;
                }
            }
            double was = f[i].at_ms, step = f[i].ms > 1 ? f[i].ms : 1;
            for (int t = 0; t < 3 && sh.runs < SHRINK_MAX_RUNS; t++) {
                f[i].at_ms = was + step;
                if (!scenario_fails(&sh, trial, f, nf)) {
                    f[i].at_ms = was;
                    break;
                }
                was = f[i].at_ms;
            }
        }
        standalone = scenario_fails(&sh, trial, f, nf);
    }
    unlink(trial);
    /* The faults in words, in the scenario's header too. */
    char words[EX_MAX_LOG * 120 + 64];
    size_t wl = 0;
    words[0] = 0;
    for (int i = 0; i < nf; i++) {
        char line[200];
        nemesis_describe(&f[i], line, sizeof line);
        fprintf(out, "    %s\n", line);
        if (wl + strlen(line) + 8 < sizeof words)
            wl += (size_t)snprintf(words + wl, sizeof words - wl, "--   %s\n", line);
    }
    int written = 0;
    if (standalone) {
        if (write_scenario(&sh, path, f, nf, words) == 0) {
            written = 1;
            struct run_opts ro = e->run;
            ro.scenario = path;
            ro.seed = failed->seed;
            ro.nemesis_skip = NULL;
            ro.nnemesis_skip = 0;
            fprintf(out, "  wrote %s (the faults as sim.at lines); it fails on its own:\n  ", path);
            print_repro(out, &ro);
        } else {
            fprintf(out, "  cannot write %s: %s\n", path, strerror(errno));
        }
    } else if (still) {
        fprintf(out, "  the faults as explicit lines do not fail on their own; use the command above\n");
    }
    if (json) {
        fprintf(json, "%s{\"seed\":\"%" PRIu64 "\",\"faults\":%d,\"kept\":%d,\"only\":[", *first_json ? "" : ",",
                failed->seed, total, n);
        for (int i = 0; i < n; i++)
            fprintf(json, "%s%d", i ? "," : "", c[i]);
        fprintf(json, "],\"words\":[");
        for (int i = 0; i < nf; i++) {
            char line[200];
            nemesis_describe(&f[i], line, sizeof line);
            fprintf(json, "%s", i ? "," : "");
            ex_json_str(json, line);
        }
        fprintf(json, "],\"scenario\":");
        if (written)
            ex_json_str(json, path);
        else
            fprintf(json, "null");
        fprintf(json, "}");
        *first_json = 0;
    }
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
