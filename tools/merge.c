/* clustersim merge A.json B.json ...: the results of explore shards (or of
 * any sweeps of one scenario) as one, in explore's --json format: counts
 * summed, failures and shrunk seeds sorted by seed, fault coverage summed,
 * and each metric's histogram merged so its mean, p50 and p99 are what one
 * unsharded sweep would give. */
#include "tools/cmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

static cJSON *load(const char *path, int *code)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "clustersim merge: cannot open '%s': %s\n", path, strerror(errno));
        *code = EXIT_NOINPUT;
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (!buf)
        abort();
    buf[len] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j || !cJSON_IsObject(j) || !cJSON_GetObjectItem(j, "runs") || !cJSON_GetObjectItem(j, "coverage")) {
        fprintf(stderr, "clustersim merge: '%s' is not the --json output of one clustersim explore sweep\n", path);
        cJSON_Delete(j);
        *code = EXIT_SCRIPT;
        return NULL;
    }
    return j;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static uint64_t seed_of(const cJSON *o)
{
    const cJSON *s = cJSON_GetObjectItem(o, "seed");
    return cJSON_IsString(s) ? strtoull(s->valuestring, NULL, 10) : 0;
}

static int by_seed(const void *a, const void *b)
{
    uint64_t x = seed_of(*(cJSON *const *)a), y = seed_of(*(cJSON *const *)b);
    return x < y ? -1 : x > y;
}

/* Items of every input's array `key`, sorted by seed, into a new array. */
static cJSON *merged_list(cJSON **in, int n, const char *key)
{
    size_t cnt = 0, cap = 16;
    cJSON **v = malloc(cap * sizeof *v);
    if (!v)
        abort();
    for (int i = 0; i < n; i++) {
        cJSON *a = cJSON_GetObjectItem(in[i], key), *it;
        cJSON_ArrayForEach(it, a) {
            if (cnt == cap) {
                cap *= 2;
                v = realloc(v, cap * sizeof *v);
                if (!v)
                    abort();
            }
            v[cnt++] = it;
        }
    }
    qsort(v, cnt, sizeof *v, by_seed);     /* ties keep no order: a seed appears in one shard */
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; i < cnt; i++)
        cJSON_AddItemToArray(out, cJSON_Duplicate(v[i], 1));
    free(v);
    return out;
}

struct hv { double v; double c; };

static int by_value(const void *a, const void *b)
{
    double x = ((const struct hv *)a)->v, y = ((const struct hv *)b)->v;
    return x < y ? -1 : x > y;
}

static cJSON *merged_metric(cJSON **in, int n, const char *name)
{
    size_t cnt = 0, cap = 64;
    struct hv *h = malloc(cap * sizeof *h);
    if (!h)
        abort();
    for (int i = 0; i < n; i++) {
        cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(in[i], "coverage"), "metrics"), name);
        cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(m, "hist")) {
            if (cnt == cap) {
                cap *= 2;
                h = realloc(h, cap * sizeof *h);
                if (!h)
                    abort();
            }
            h[cnt].v = cJSON_GetArrayItem(p, 0) ? cJSON_GetArrayItem(p, 0)->valuedouble : 0;
            h[cnt].c = cJSON_GetArrayItem(p, 1) ? cJSON_GetArrayItem(p, 1)->valuedouble : 0;
            cnt++;
        }
    }
    qsort(h, cnt, sizeof *h, by_value);
    /* fold equal values */
    size_t u = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (u && h[u - 1].v == h[i].v)
            h[u - 1].c += h[i].c;
        else
            h[u++] = h[i];
    }
    double total = 0, sum = 0;
    for (size_t i = 0; i < u; i++) {
        total += h[i].c;
        sum += h[i].v * h[i].c;
    }
    /* the same ranks as explore: p50 at (n-1)/2, p99 the nearest rank */
    size_t nn = (size_t)total, r50 = nn ? (nn - 1) / 2 : 0, r99 = nn ? (size_t)((double)nn * 0.99 + 0.999999) : 0;
    r99 = r99 ? r99 - 1 : 0;
    double p50 = 0, p99 = 0, seen = 0;
    int got50 = 0, got99 = 0;
    for (size_t i = 0; i < u; i++) {
        seen += h[i].c;
        if (!got50 && seen > (double)r50) {
            p50 = h[i].v;
            got50 = 1;
        }
        if (!got99 && seen > (double)r99) {
            p99 = h[i].v;
            got99 = 1;
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", total);
    cJSON_AddNumberToObject(o, "mean", nn ? sum / total : 0);
    cJSON_AddNumberToObject(o, "p50", p50);
    cJSON_AddNumberToObject(o, "p99", p99);
    cJSON *ha = cJSON_AddArrayToObject(o, "hist");
    for (size_t i = 0; i < u; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(h[i].v));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(h[i].c));
        cJSON_AddItemToArray(ha, pair);
    }
    free(h);
    return o;
}

int cmd_merge(int argc, char **argv)
{
    const char *out_path = NULL;
    cJSON *in[1024];
    int n = 0, code = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs("usage: clustersim merge A.json B.json ... [-o OUT.json]\n\n"
                  "Combines the --json results of explore shards (--shard I/N) into one summary in the same\n"
                  "format: counts summed, failures sorted by seed, coverage summed, metric percentiles as one\n"
                  "sweep would give them. Prints the summary line; the JSON goes to OUT (default: stdout).\n",
                  stdout);
            for (int k = 0; k < n; k++)
                cJSON_Delete(in[k]);
            return 0;
        }
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "clustersim merge: unknown option '%s' (known: -o, --help)\n", argv[i]);
            code = EXIT_USAGE;
            break;
        }
        if (n == 1024) {
            fprintf(stderr, "clustersim merge: at most 1024 files\n");
            code = EXIT_USAGE;
            break;
        }
        if (!(in[n] = load(argv[i], &code)))
            break;
        n++;
    }
    if (!code && n == 0) {
        fprintf(stderr, "clustersim merge: no files given: clustersim merge A.json B.json ...\n");
        code = EXIT_USAGE;
    }
    const char *scen = NULL;
    for (int i = 0; !code && i < n; i++) {
        const cJSON *s = cJSON_GetObjectItem(in[i], "scenario");
        const char *sv = cJSON_IsString(s) ? s->valuestring : "";
        if (!scen)
            scen = sv;
        else if (strcmp(scen, sv) != 0) {
            fprintf(stderr, "clustersim merge: %s and %s are results of different scenarios\n", scen, sv);
            code = EXIT_SCRIPT;
        }
    }
    if (code) {
        for (int k = 0; k < n; k++)
            cJSON_Delete(in[k]);
        return code;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *sd = cJSON_GetObjectItem(in[i], "seeds");
        uint64_t a = strtoull(cJSON_GetArrayItem(sd, 0) ? cJSON_GetArrayItem(sd, 0)->valuestring : "0", NULL, 10);
        uint64_t b = strtoull(cJSON_GetArrayItem(sd, 1) ? cJSON_GetArrayItem(sd, 1)->valuestring : "0", NULL, 10);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scenario", scen);
    cJSON *seeds = cJSON_AddArrayToObject(o, "seeds");
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, lo);
    cJSON_AddItemToArray(seeds, cJSON_CreateString(b));
    snprintf(b, sizeof b, "%" PRIu64, hi);
    cJSON_AddItemToArray(seeds, cJSON_CreateString(b));
    static const char *const counts[] = { "runs", "passed", "failed", "inconclusive", "errors", NULL };
    double cv[5] = { 0 };
    for (int k = 0; counts[k]; k++) {
        for (int i = 0; i < n; i++)
            cv[k] += num(in[i], counts[k]);
        cJSON_AddNumberToObject(o, counts[k], cv[k]);
    }
    cJSON *cov = cJSON_AddObjectToObject(o, "coverage");
    cJSON *faults = cJSON_AddObjectToObject(cov, "faults");
    double refused = 0;
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_GetObjectItem(in[i], "coverage"), *k;
        refused += num(c, "refused");
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(c, "faults")) {
            cJSON *t = cJSON_GetObjectItem(faults, k->string);
            if (!t) {
                t = cJSON_AddObjectToObject(faults, k->string);
                cJSON_AddNumberToObject(t, "fired", 0);
                cJSON_AddNumberToObject(t, "leader", 0);
            }
            cJSON_SetNumberValue(cJSON_GetObjectItem(t, "fired"), num(t, "fired") + num(k, "fired"));
            cJSON_SetNumberValue(cJSON_GetObjectItem(t, "leader"), num(t, "leader") + num(k, "leader"));
        }
    }
    cJSON_AddNumberToObject(cov, "refused", refused);
    cJSON *metrics = cJSON_AddObjectToObject(cov, "metrics");
    for (int i = 0; i < n; i++) {
        cJSON *k;
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(cJSON_GetObjectItem(in[i], "coverage"), "metrics"))
            if (!cJSON_GetObjectItem(metrics, k->string))
                cJSON_AddItemToObject(metrics, k->string, merged_metric(in, n, k->string));
    }
    /* invariants: evaluations and seeds summed, by name as explore prints them */
    cJSON *inv = cJSON_AddObjectToObject(cov, "invariants");
    const char *names[256];
    int nn = 0;
    for (int i = 0; i < n; i++) {
        cJSON *k;
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(cJSON_GetObjectItem(in[i], "coverage"), "invariants")) {
            int j = 0;
            while (j < nn && strcmp(names[j], k->string) < 0)
                j++;
            if ((j < nn && strcmp(names[j], k->string) == 0) || nn == 256)
                continue;
            memmove(&names[j + 1], &names[j], (size_t)(nn - j) * sizeof names[0]);
            names[j] = k->string;
            nn++;
        }
    }
    for (int j = 0; j < nn; j++) {
        double ev = 0, in_seeds = 0;
        for (int i = 0; i < n; i++) {
            cJSON *k = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(in[i], "coverage"), "invariants"),
                                           names[j]);
            ev += num(k, "evaluated");
            in_seeds += num(k, "seeds");
        }
        cJSON *t = cJSON_AddObjectToObject(inv, names[j]);
        cJSON_AddNumberToObject(t, "evaluated", ev);
        cJSON_AddNumberToObject(t, "seeds", in_seeds);
    }
    cJSON_AddItemToObject(o, "failures", merged_list(in, n, "failures"));
    cJSON_AddItemToObject(o, "shrunk", merged_list(in, n, "shrunk"));
    char *text = cJSON_PrintUnformatted(o);
    FILE *f = out_path ? fopen(out_path, "w") : stdout;
    int rc = (cv[4] > 0) ? EXIT_INTERNAL : cv[2] > 0 ? EXIT_FAILED : cv[3] > 0 ? EXIT_INCONCLUSIVE : 0;
    if (!f || !text || fprintf(f, "%s\n", text) < 0 || (f != stdout && fclose(f) != 0) || fflush(stdout) != 0) {
        fprintf(stderr, "clustersim merge: cannot write '%s': %s\n", out_path ? out_path : "standard output",
                strerror(errno ? errno : EIO));
        rc = EXIT_IOERR;
    }
    fprintf(stderr, "merge %s: %.0f seeds, %.0f passed, %.0f failed, %.0f inconclusive, %.0f errors (%d files)\n",
            scen, cv[0], cv[1], cv[2], cv[3], cv[4], n);
    free(text);
    cJSON_Delete(o);
    for (int k = 0; k < n; k++)
        cJSON_Delete(in[k]);
    return rc;
}
