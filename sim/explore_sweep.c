/* Parameter sweeps: `explore -P timeout=150,300 -P d=1,2,3` runs the seed
 * range once per combination (the grid, last -P varying fastest) and
 * prints, per algorithm metric, its mean, p50 and p99 over the seeds of
 * each combination, with the pass/fail counts — "fixed vs phi" or
 * "d = 1, 2, 3" without a shell loop. With --json the file holds
 * {"grid": [one explore document per combination]}. */
#include "sim/explore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine.h"

#define GRID_MAX 4096

struct axis { char name[64]; const char *vals[64]; int n; };

static int split_axes(const struct explore_opts *e, struct axis *ax, char **store)
{
    int na = 0;
    for (int i = 0; i < e->run.nparams; i++) {
        const char *p = e->run.params[i];
        const char *eq = strchr(p, '=');
        struct axis *a = &ax[na++];
        memset(a, 0, sizeof *a);
        snprintf(a->name, sizeof a->name, "%.*s", (int)(eq - p), p);
        char *copy = strdup(eq + 1);
        if (!copy)
            abort();
        store[i] = copy;
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t && a->n < 64; t = strtok_r(NULL, ",", &save))
            a->vals[a->n++] = t;
        if (a->n == 0)
            a->vals[a->n++] = "";
    }
    return na;
}

static void combo_label(const struct axis *ax, int na, const int *idx, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < na && len < n; i++)
        if (ax[i].n > 1)
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", len ? " " : "", ax[i].name, ax[i].vals[idx[i]]);
}

int explore_grid(struct explore_opts *e)
{
    int grid = 0;
    for (int i = 0; i < e->run.nparams; i++)
        if (strchr(strchr(e->run.params[i], '=') + 1, ','))
            grid = 1;
    if (!grid)
        return explore(e);
    struct axis ax[64];
    char *store[64] = { 0 };
    int na = split_axes(e, ax, store);
    long total = 1;
    for (int i = 0; i < na; i++)
        total *= ax[i].n;
    if (total > GRID_MAX) {
        fprintf(stderr, "clustersim explore: the -P grid has %ld combinations (at most %d)\n", total, GRID_MAX);
        for (int i = 0; i < na; i++)
            free(store[i]);
        return EXIT_USAGE;
    }
    struct explore_summary *rows = calloc((size_t)total, sizeof *rows);
    char (*labels)[256] = calloc((size_t)total, sizeof *labels);
    char (*pbuf)[256] = calloc((size_t)na, sizeof *pbuf);
    char **pv = calloc((size_t)na + 1, sizeof *pv);
    if (!rows || !labels || !pbuf || !pv)
        abort();
    FILE *json = NULL;
    char part[64] = "";
    if (e->json_path) {
        json = strcmp(e->json_path, "-") == 0 ? stdout : fopen(e->json_path, "w");
        if (!json) {
            fprintf(stderr, "clustersim explore: cannot write '%s': %s\n", e->json_path, strerror(errno));
            return EXIT_IOERR;
        }
        snprintf(part, sizeof part, "/tmp/clustersim-grid-%ld.json", (long)getpid());
        fprintf(json, "{\"grid\":[");
    }
    FILE *rep = json == stdout ? stderr : stdout;
    int idx[64] = { 0 }, worst = 0;
    for (long c = 0; c < total && !sim_interrupted; c++) {
        long r = c;
        for (int i = na - 1; i >= 0; i--) {    /* the last -P varies fastest */
            idx[i] = (int)(r % ax[i].n);
            r /= ax[i].n;
        }
        for (int i = 0; i < na; i++) {
            snprintf(pbuf[i], sizeof pbuf[i], "%.60s=%.190s", ax[i].name, ax[i].vals[idx[i]]);
            pv[i] = pbuf[i];
        }
        combo_label(ax, na, idx, labels[c], sizeof labels[c]);
        fprintf(rep, "== -P %s\n", labels[c]);
        fflush(rep);
        struct explore_opts one = *e;
        one.run.params = pv;
        one.run.nparams = na;
        one.summary = &rows[c];
        one.json_path = json ? part : NULL;
        int code = explore(&one);
        if (code > worst && code != EXIT_FAILED && code != EXIT_INCONCLUSIVE)
            worst = code;
        else if (code == EXIT_FAILED && (worst == 0 || worst == EXIT_INCONCLUSIVE))
            worst = code;
        else if (code == EXIT_INCONCLUSIVE && worst == 0)
            worst = code;
        if (json) {
            FILE *f = fopen(part, "r");
            if (f) {
                char buf[8192];
                size_t k;
                if (c)
                    fputc(',', json);
                while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
                    while (k && (buf[k - 1] == '\n'))
                        k--;
                    fwrite(buf, 1, k, json);
                }
                fclose(f);
            }
            unlink(part);
        }
    }
    /* The table: pass/fail per combination, then each metric. */
    fprintf(rep, "\ngrid over %ld combinations, seeds %llu..%llu:\n", total, (unsigned long long)e->seed_lo,
            (unsigned long long)e->seed_hi);
    fprintf(rep, "  %-40s %8s %8s %8s\n", "combination", "seeds", "passed", "failed");
    for (long c = 0; c < total; c++)
        fprintf(rep, "  %-40s %8zu %8zu %8zu\n", labels[c], rows[c].runs, rows[c].passed, rows[c].failed);
    for (int m = 0; m < rows[0].nm; m++) {
        fprintf(rep, "  %-40s %12s %12s %12s\n", rows[0].m[m].name, "mean", "p50", "p99");
        for (long c = 0; c < total; c++) {
            int k = 0;
            while (k < rows[c].nm && strcmp(rows[c].m[k].name, rows[0].m[m].name) != 0)
                k++;
            if (k < rows[c].nm)
                fprintf(rep, "    %-38s %12.4g %12.4g %12.4g\n", labels[c], rows[c].m[k].mean, rows[c].m[k].p50,
                        rows[c].m[k].p99);
        }
    }
    if (json) {
        fprintf(json, "]}\n");
        if (json != stdout && fclose(json) != 0)
            worst = EXIT_IOERR;
    }
    for (int i = 0; i < na; i++)
        free(store[i]);
    free(rows);
    free(labels);
    free(pbuf);
    free(pv);
    return worst;
}
