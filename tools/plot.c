/* tools/plot.c: `clustersim plot` — draw a trace with gnuplot.
 *
 * The command streams the trace (trace_read.h), writes tab-separated data
 * files for the kind asked for into a temporary directory, and runs
 * `gnuplot -c plots/KIND.gp DATA... OUT` as a child process (no shell). The
 * scripts do all the drawing and are usable by hand on the same data files
 * (`--data DIR` keeps them and prints the command). Every data file starts
 * with a header row whose column names double as legend titles
 * (gnuplot's `columnheader`); a file with no rows gets one row of NaN so
 * gnuplot draws nothing without a warning.
 *
 * Where plots/ is: $CLUSTERSIM_PLOTS, else plots/ next to the executable or
 * one level up (a build directory), else CLUSTERSIM_DATADIR/plots (set by the Makefile at build time). */
#include "tools/cmd.h"
#include "tools/trace_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#ifndef CLUSTERSIM_DATADIR
#define CLUSTERSIM_DATADIR "/usr/local/share/clustersim"
#endif

#define PROG "plot"
#define US_PER_MS 1000.0
#define NO_TIME INT64_MAX

static const char *const kinds[] = {"timeline", "messages", "latency", "cdf", "commit", "load", "elections", NULL};

/* Colours: fixed for the roles everyone knows, a palette for the rest. */
static const unsigned palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
#define NPALETTE (sizeof palette / sizeof palette[0])

static unsigned role_colour(const char *role, size_t nth_unknown)
{
    static const struct { const char *name; unsigned rgb; } known[] = {
        {"follower", 0x9ecae1}, {"precandidate", 0xfdd49e}, {"candidate", 0xfd8d3c},
        {"leader", 0x238b45}, {"proposer", 0x6a51a3}, {"acceptor", 0x9ecae1},
        {"learner", 0xc7e9c0}, {"holder", 0x238b45}, {"waiting", 0xfd8d3c},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(role, known[i].name) == 0)
            return known[i].rgb;
    return palette[nth_unknown % NPALETTE];
}

/* ---- options ---- */

struct plot {
    const char *kind;
    const char *out;
    int64_t from_us, to_us;        /* the window asked for; NO_TIME if not */
    int *nodes;                    /* --nodes filter, NULL for all */
    size_t nnodes;
    const char *title;
    const char *keep_dir;          /* --data DIR */
    const char **traces;
    size_t ntraces;

    char dir[PATH_MAX];            /* where the data files go */
    char **files;                  /* data files passed to gnuplot, in order */
    size_t nfiles;
    char auto_title[512];
    char vars[512];                /* extra gnuplot assignments, "a=1; b=2" */
    int64_t view_from_us, view_to_us;   /* x range to draw; NO_TIME for gnuplot's choice */
    int64_t trace_end_us;
};

struct dfile {
    FILE *f;
    int ncols;
    long rows;
    int has_labels;    /* drawn `with labels`: see dfile_close */
};

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_usage_vs(PROG, "clustersim plot TRACE.jsonl [TRACE2 ...] --kind KIND -o OUT.(png|svg|pdf|-)\n"
                         "         [--from MS] [--to MS] [--nodes 1,2,3] [--title T] [--data DIR]", fmt, ap);
    va_end(ap);
    return rc;
}

static int parse_ms(const char *flag, const char *s, int64_t *out_us)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 9e12) {
        usage_error("%s wants a time in milliseconds (a number >= 0), not '%s'", flag, s);
        return -1;
    }
    *out_us = (int64_t)llround(v * US_PER_MS);
    return 0;
}

static int parse_nodes(struct plot *p, const char *s)
{
    const char *q = s;
    while (*q) {
        char *end;
        long a = strtol(q, &end, 10), b = a;
        if (end == q)
            goto bad;
        q = end;
        if (*q == '-') {
            q++;
            b = strtol(q, &end, 10);
            if (end == q)
                goto bad;
            q = end;
        }
        if (a > b || b - a > 100000 || a < -100000 || b > 100000)
            goto bad;
        for (long i = a; i <= b; i++) {
            p->nodes = xrealloc(p->nodes, (p->nnodes + 1) * sizeof *p->nodes);
            p->nodes[p->nnodes++] = (int)i;
        }
        if (*q == ',')
            q++;
        else if (*q)
            goto bad;
    }
    if (p->nnodes)
        return 0;
bad:
    usage_error("--nodes wants a list like 1,2,5 or 1-3, not '%s'", s);
    return -1;
}

/* Add "NAME=VALUE" to the variables given to the script with -e. */
static void gp_var(struct plot *p, const char *name, long value)
{
    size_t n = strlen(p->vars);
    snprintf(p->vars + n, sizeof p->vars - n, "%s%s=%ld", n ? "; " : "", name, value);
}

static int want_node(const struct plot *p, int64_t node)
{
    if (!p->nodes)
        return 1;
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i] == node)
            return 1;
    return 0;
}

static int in_window(const struct plot *p, int64_t t)
{
    return (p->from_us == NO_TIME || t >= p->from_us) && (p->to_us == NO_TIME || t <= p->to_us);
}

static double ms(int64_t us)
{
    return (double)us / US_PER_MS;
}

/* ---- data files ---- */

static int dfile_open(struct plot *p, struct dfile *d, const char *name, int ncols, const char *header)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    d->f = fopen(path, "w");
    d->ncols = ncols;
    d->rows = 0;
    if (!d->f) {
        tool_error(PROG, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(d->f, "%s\n", header);
    p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof *p->files);
    p->files[p->nfiles++] = xstrdup(path);
    return 0;
}

static void drow(struct dfile *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void drow(struct dfile *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->f, fmt, ap);
    va_end(ap);
    fputc('\n', d->f);
    d->rows++;
}

static int dfile_close(struct dfile *d)
{
    if (!d->f)
        return 0;
    /* An empty file gets one row so gnuplot draws nothing without a warning.
     * NaN does it for points and lines, but gnuplot 5.4 crashes drawing
     * `with labels` from a file with no valid point: those files get a row
     * far outside any range instead (their scripts always set the x range). */
    if (d->rows == 0) {
        for (int i = 0; i < d->ncols; i++)
            fprintf(d->f, "%s%s", i ? "\t" : "", d->has_labels ? "-1e30" : "NaN");
        fputc('\n', d->f);
    }
    int bad = ferror(d->f);
    if (fclose(d->f) != 0 || bad) {
        d->f = NULL;
        tool_error(PROG, "cannot write a data file: %s", strerror(errno));
        return -1;
    }
    d->f = NULL;
    return 0;
}

/* Text for a TSV cell or a column header: no tabs or newlines. */
static void cell(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src && *src && i + 1 < n; src++)
        dst[i++] = (*src == '\t' || *src == '\n' || *src == '\r') ? ' ' : *src;
    dst[i] = 0;
}

/* gnuplot's -c passes at most nine arguments, so a kind with a varying
 * number of series (roles, message types, nodes, traces) writes each series
 * to its own file first, then joins files[FIRST..] into one file NAME as
 * data blocks separated by two blank lines (gnuplot's `index`). */
static int merge_series(struct plot *p, size_t first, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    FILE *out = fopen(path, "w");
    if (!out) {
        tool_error(PROG, "cannot write %s: %s", path, strerror(errno));
        return EXIT_IOERR;
    }
    char buf[8192];
    for (size_t i = first; i < p->nfiles; i++) {
        FILE *in = fopen(p->files[i], "r");
        if (!in) {
            tool_error(PROG, "cannot read %s: %s", p->files[i], strerror(errno));
            fclose(out);
            return EXIT_IOERR;
        }
        if (i > first)
            fputs("\n\n", out);
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            fwrite(buf, 1, n, out);
        fclose(in);
        unlink(p->files[i]);
        free(p->files[i]);
    }
    p->nfiles = first;
    if (fclose(out) != 0) {
        tool_error(PROG, "cannot write %s: %s", path, strerror(errno));
        return EXIT_IOERR;
    }
    p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof *p->files);
    p->files[p->nfiles++] = xstrdup(path);
    return 0;
}

/* Move the last data file to the front of gnuplot's arguments. */
static void last_to_front(struct plot *p)
{
    char *f = p->files[p->nfiles - 1];
    memmove(p->files + 1, p->files, (p->nfiles - 1) * sizeof *p->files);
    p->files[0] = f;
}

/* ---- reading ---- */

typedef int (*rec_fn)(struct plot *p, void *ud, const cJSON *rec);

/* Stream one trace through FN. Returns 0, or an exit status. */
static int read_trace(struct plot *p, const char *path, rec_fn fn, void *ud, int quiet)
{
    struct trace_reader r;
    if (trace_reader_open(&r, path) != 0) {
        tool_error(PROG, "%s", r.err);
        return EXIT_NOINPUT;
    }
    cJSON *rec;
    int st, rc = 0;
    while ((st = trace_next(&r, &rec)) != TRACE_EOF) {
        if (st == TRACE_BAD_LINE && r.cut_short) {
            if (!quiet)       /* a trace still being written, or cut by a crash: draw what is there */
                tool_error(PROG, "warning: %s:%ld: the last line is cut short; ignoring it", path, r.line);
            break;
        }
        if (st == TRACE_BAD_LINE) {
            tool_error(PROG, "%s", r.err);
            rc = EXIT_DATAERR;
            break;
        }
        if (r.records == 1 && !r.header && !quiet)
            tool_error(PROG, "warning: %s does not start with a header record", path);
        rc = fn(p, ud, rec);
        cJSON_Delete(rec);
        if (rc)
            break;
    }
    if (!rc) {
        if (!r.end && !quiet)
            tool_error(PROG, "warning: %s has no end record (truncated?); drawing what it has", path);
        int64_t end_t = r.end ? json_int(r.end, "t", r.last_t) : r.last_t;
        if (end_t > p->trace_end_us)
            p->trace_end_us = end_t;
        if (p->auto_title[0] == 0 && r.header) {
            const char *sc = json_str(r.header, "scenario"), *seed = json_str(r.header, "seed");
            const char *alg = json_str(r.header, "algorithm");
            char base[256];
            const char *slash = sc ? strrchr(sc, '/') : NULL;
            cell(base, sizeof base, slash ? slash + 1 : sc ? sc : path);
            if (alg)
                snprintf(p->auto_title, sizeof p->auto_title, "%s (%s), seed %s", base, alg, seed ? seed : "?");
            else
                snprintf(p->auto_title, sizeof p->auto_title, "%s, seed %s", base, seed ? seed : "?");
        }
    }
    trace_reader_close(&r);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- per-node state shared by timeline and messages ---- */

struct lane_state {
    int seen;
    char *role;
    int64_t term;
    int64_t role_since;
    int64_t down_since;     /* -1 if up */
    int64_t pause_since;    /* -1 if running */
    int64_t pause_until;
    int removed;
};

struct lanes {
    struct lane_state *v;   /* indexed by node id (nodes are 1..n) */
    int max;
};

static struct lane_state *lane(struct lanes *l, int64_t node)
{
    if (node < 1 || node > 100000)
        return NULL;
    if (node > l->max) {
        l->v = xrealloc(l->v, ((size_t)node + 1) * sizeof *l->v);
        for (int i = l->max + 1; i <= node; i++) {
            memset(&l->v[i], 0, sizeof l->v[i]);
            l->v[i].down_since = l->v[i].pause_since = -1;
        }
        l->max = (int)node;
    }
    return &l->v[node];
}

static void lanes_free(struct lanes *l)
{
    for (int i = 1; i <= l->max; i++)
        free(l->v[i].role);
    free(l->v);
}

/* ---- timeline ---- */

struct role_file {
    char *name;
    struct dfile d;
};

struct timeline {
    struct lanes lanes;
    struct role_file *roles;
    size_t nroles;
    struct dfile down, paused, parts, suspect, trust;
    int64_t part_since;     /* -1 if no partition */
    double label_free_ms;   /* partition labels: where the last one ends (approximately) */
    char part_label[256];
    int64_t nrole_records, nsuspect;
    int64_t window_us;      /* width of the drawn window, to decide on term labels */
    int64_t from_us, to_us;
    /* Suspicion marks close together on one lane share one label ("?4,5,6"),
     * or their labels print on top of each other: [lane * 2 + (trust)] */
    struct mark_group *groups;
    int ngroups;
};

#define GROUP_MARKS 64
struct mark_group {
    int n;
    int64_t t[GROUP_MARKS];
    char label[160];
};

static void group_flush(struct timeline *tl, int idx)
{
    struct mark_group *g = &tl->groups[idx];
    struct dfile *d = idx % 2 ? &tl->trust : &tl->suspect;
    for (int i = 0; i < g->n; i++)
        drow(d, "%.3f\t%d\t%s", ms(g->t[i]), idx / 2, i == 0 ? g->label : "");
    g->n = 0;
    g->label[0] = 0;
}

static void group_mark(struct timeline *tl, int lane, int trust, int64_t t, int64_t target)
{
    int idx = lane * 2 + trust;
    if (idx >= tl->ngroups) {
        int n = idx + 1 + 16;
        tl->groups = xrealloc(tl->groups, (size_t)n * sizeof *tl->groups);
        memset(tl->groups + tl->ngroups, 0, (size_t)(n - tl->ngroups) * sizeof *tl->groups);
        tl->ngroups = n;
    }
    struct mark_group *g = &tl->groups[idx];
    /* within 3% of the window of the group's first mark: the same label */
    if (g->n && (t - g->t[0] > tl->window_us * 3 / 100 || g->n == GROUP_MARKS))
        group_flush(tl, idx);
    g->t[g->n++] = t;
    size_t l = strlen(g->label);
    if (l + 24 < sizeof g->label)
        snprintf(g->label + l, sizeof g->label - l, "%s%lld", l ? "," : trust ? "" : "?", (long long)target);
}

static struct role_file *role_file(struct plot *p, struct timeline *tl, const char *role)
{
    for (size_t i = 0; i < tl->nroles; i++)
        if (strcmp(tl->roles[i].name, role) == 0)
            return &tl->roles[i];
    tl->roles = xrealloc(tl->roles, (tl->nroles + 1) * sizeof *tl->roles);
    struct role_file *rf = &tl->roles[tl->nroles++];
    memset(rf, 0, sizeof *rf);
    rf->name = xstrdup(role);
    char name[64], header[256], r[128];
    snprintf(name, sizeof name, "role-%zu.tsv", tl->nroles);
    cell(r, sizeof r, role);
    snprintf(header, sizeof header, "from_ms\tto_ms\tlane\t%s\tlabel\trgb", r);
    if (dfile_open(p, &rf->d, name, 6, header) != 0)
        return NULL;
    /* the colour travels in the data so the script needs no table of names */
    return rf;
}

/* Clip [a, b) to the window; 0 if nothing is left. */
static int clip(const struct timeline *tl, int64_t *a, int64_t *b)
{
    if (*a < tl->from_us)
        *a = tl->from_us;
    if (*b > tl->to_us)
        *b = tl->to_us;
    return *b > *a;
}

static int emit_role(struct plot *p, struct timeline *tl, int node, struct lane_state *ls, int64_t until)
{
    if (!ls->role)
        return 0;
    int64_t a = ls->role_since, b = until;
    if (!clip(tl, &a, &b))
        return 0;
    struct role_file *rf = role_file(p, tl, ls->role);
    if (!rf)
        return EXIT_IOERR;
    size_t nth = (size_t)(rf - tl->roles);
    char label[32] = "";
    /* term labels only where they fit */
    if (ls->term >= 0 && (b - a) * 14 >= tl->window_us)
        snprintf(label, sizeof label, "term %lld", (long long)ls->term);
    else if (ls->term >= 0 && (b - a) * 40 >= tl->window_us)
        snprintf(label, sizeof label, "%lld", (long long)ls->term);
    drow(&rf->d, "%.3f\t%.3f\t%d\t%s\t%s\t%u", ms(a), ms(b), node, ls->role, label[0] ? label : "",
         role_colour(ls->role, nth));
    return 0;
}

static void emit_interval(struct timeline *tl, struct dfile *d, int64_t a, int64_t b, int node)
{
    if (clip(tl, &a, &b))
        drow(d, "%.3f\t%.3f\t%d", ms(a), ms(b), node);
}

static void emit_partition(struct timeline *tl, int64_t until)
{
    if (tl->part_since < 0)
        return;
    int64_t a = tl->part_since, b = until;
    if (clip(tl, &a, &b)) {
        /* a label only where it does not run into the previous one: an
         * 8-point character is about 1/120 of the 800-pixel-wide plot area */
        double char_ms = ms(tl->window_us) / 120.0;
        int fits = ms(a) >= tl->label_free_ms;
        if (fits)
            tl->label_free_ms = ms(a) + char_ms * (double)(strlen(tl->part_label) + 1);
        drow(&tl->parts, "%.3f\t%.3f\t%s", ms(a), ms(b), fits ? tl->part_label : " ");
    }
    tl->part_since = -1;
}

static int timeline_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct timeline *tl = ud;
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    int64_t node = json_int(rec, "node", -1);
    struct lane_state *ls = NULL;
    if (strcmp(type, "header") == 0) {
        int64_t n = json_int(rec, "nodes", 0);
        for (int64_t i = 1; i <= n && i <= 1000; i++)
            if (want_node(p, i))
                lane(&tl->lanes, i)->seen = 1;
        return 0;
    }
    if (t < 0)
        return 0;
    if (node > 0 && want_node(p, node) && strcmp(type, "send") && strcmp(type, "recv")) {
        ls = lane(&tl->lanes, node);
        if (ls)
            ls->seen = 1;
    }
    if (strcmp(type, "role") == 0 && ls) {
        const char *role = json_str(rec, "role");
        tl->nrole_records++;
        if (!role)
            return 0;
        int64_t term = json_int(rec, "term", -1);
        if (ls->role && strcmp(ls->role, role) == 0 && ls->term == term)
            return 0;
        int rc = emit_role(p, tl, (int)node, ls, t);
        if (rc)
            return rc;
        free(ls->role);
        ls->role = xstrdup(role);
        ls->term = term;
        ls->role_since = t;
    } else if ((strcmp(type, "crash") == 0 || strcmp(type, "remove_node") == 0) && ls) {
        int rc = emit_role(p, tl, (int)node, ls, t);
        if (rc)
            return rc;
        free(ls->role);
        ls->role = NULL;
        if (ls->down_since < 0)
            ls->down_since = t;
    } else if ((strcmp(type, "restart") == 0 || strcmp(type, "add_node") == 0) && ls) {
        if (ls->down_since >= 0)
            emit_interval(tl, &tl->down, ls->down_since, t, (int)node);
        ls->down_since = -1;
    } else if (strcmp(type, "pause") == 0 && ls) {
        if (ls->pause_since < 0)
            ls->pause_since = t;
        ls->pause_until = t + (int64_t)(json_num(rec, "ms", 0) * US_PER_MS);
    } else if (strcmp(type, "resume") == 0 && ls) {
        if (ls->pause_since >= 0)
            emit_interval(tl, &tl->paused, ls->pause_since, t, (int)node);
        ls->pause_since = -1;
    } else if (strcmp(type, "partition") == 0) {
        emit_partition(tl, t);
        const cJSON *groups = cJSON_GetObjectItemCaseSensitive(rec, "groups");
        size_t n = 0;
        tl->part_label[0] = 0;
        const cJSON *g;
        cJSON_ArrayForEach(g, groups) {
            n += (size_t)snprintf(tl->part_label + n, n < sizeof tl->part_label ? sizeof tl->part_label - n : 0,
                                  "%s{", n ? " | " : "partition ");
            const cJSON *x;
            int first = 1;
            cJSON_ArrayForEach(x, g) {
                if (n < sizeof tl->part_label)
                    n += (size_t)snprintf(tl->part_label + n, sizeof tl->part_label - n, "%s%d",
                                          first ? "" : ",", (int)x->valuedouble);
                first = 0;
            }
            if (n < sizeof tl->part_label)
                n += (size_t)snprintf(tl->part_label + n, sizeof tl->part_label - n, "}");
        }
        if (!tl->part_label[0])
            snprintf(tl->part_label, sizeof tl->part_label, "partition");
        tl->part_since = t;
    } else if (strcmp(type, "block") == 0) {
        /* a one-way block joins the current fault shading */
        char more[64];
        snprintf(more, sizeof more, "block %d->%d", (int)json_int(rec, "src", 0), (int)json_int(rec, "dst", 0));
        if (tl->part_since >= 0) {
            size_t l = strlen(tl->part_label);
            if (l + strlen(more) + 3 < sizeof tl->part_label)
                snprintf(tl->part_label + l, sizeof tl->part_label - l, ", %s", more);
        } else {
            snprintf(tl->part_label, sizeof tl->part_label, "%s", more);
            tl->part_since = t;
        }
    } else if (strcmp(type, "heal") == 0) {
        emit_partition(tl, t);
    } else if ((strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0) && ls) {
        int64_t target = json_int(rec, "target", 0);
        tl->nsuspect++;
        if (t >= tl->from_us && t <= tl->to_us)
            group_mark(tl, (int)node, type[0] == 't', t, target);
    }
    return 0;
}

static int timeline_finish(struct plot *p, struct timeline *tl)
{
    int64_t end = p->trace_end_us;
    for (int i = 1; i <= tl->lanes.max; i++) {
        struct lane_state *ls = &tl->lanes.v[i];
        if (!ls->seen)
            continue;
        int rc = emit_role(p, tl, i, ls, end);
        if (rc)
            return rc;
        if (ls->down_since >= 0)
            emit_interval(tl, &tl->down, ls->down_since, end, i);
        if (ls->pause_since >= 0)
            emit_interval(tl, &tl->paused, ls->pause_since, ls->pause_until < end ? ls->pause_until : end, i);
    }
    emit_partition(tl, end);
    for (int i = 0; i < tl->ngroups; i++)
        group_flush(tl, i);
    free(tl->groups);
    tl->groups = NULL;
    tl->ngroups = 0;
    return 0;
}

static int write_lanes(struct plot *p, struct lanes *l, int nclients)
{
    struct dfile d;
    if (dfile_open(p, &d, "lanes.tsv", 2, "lane\tname") != 0)
        return EXIT_IOERR;
    for (int i = 1; i <= l->max; i++)
        if (l->v[i].seen)
            drow(&d, "%d\tnode %d", i, i);
    for (int k = 1; k <= nclients; k++)
        drow(&d, "%d\tclient %d", l->max + k, k);
    return dfile_close(&d) ? EXIT_IOERR : 0;
}

static int plot_timeline(struct plot *p)
{
    struct timeline tl;
    memset(&tl, 0, sizeof tl);
    tl.part_since = -1;
    tl.from_us = p->from_us == NO_TIME ? 0 : p->from_us;
    tl.to_us = p->to_us == NO_TIME ? INT64_MAX : p->to_us;
    int rc;
    /* the trace's length decides which segments are wide enough for a label */
    if (p->to_us == NO_TIME || p->from_us == NO_TIME) {
        struct trace_reader r;
        if (trace_reader_open(&r, p->traces[0]) != 0) {
            tool_error(PROG, "%s", r.err);
            return EXIT_NOINPUT;
        }
        cJSON *rec;
        int st;
        while ((st = trace_next(&r, &rec)) == TRACE_RECORD)
            cJSON_Delete(rec);
        int64_t end = r.end ? json_int(r.end, "t", r.last_t) : r.last_t;
        if (st == TRACE_BAD_LINE && !r.cut_short) {
            tool_error(PROG, "%s", r.err);
            trace_reader_close(&r);
            return EXIT_DATAERR;
        }
        trace_reader_close(&r);
        if (p->to_us == NO_TIME)
            tl.to_us = end;
    }
    tl.window_us = tl.to_us - tl.from_us;
    if (tl.window_us <= 0)
        tl.window_us = 1;
    if (dfile_open(p, &tl.down, "down.tsv", 3, "from_ms\tto_ms\tlane") ||
        dfile_open(p, &tl.paused, "paused.tsv", 3, "from_ms\tto_ms\tlane") ||
        dfile_open(p, &tl.parts, "faults.tsv", 3, "from_ms\tto_ms\tlabel") ||
        dfile_open(p, &tl.suspect, "suspect.tsv", 3, "t_ms\tlane\tlabel") ||
        dfile_open(p, &tl.trust, "trust.tsv", 3, "t_ms\tlane\tlabel"))
        return EXIT_IOERR;
    tl.parts.has_labels = tl.suspect.has_labels = tl.trust.has_labels = 1;
    rc = read_trace(p, p->traces[0], timeline_rec, &tl, 0);
    if (!rc)
        rc = timeline_finish(p, &tl);
    if (!rc && tl.nrole_records == 0 && tl.nsuspect == 0) {
        tool_error(PROG, "trace has no role records: the timeline needs a consensus algorithm's "
                         "role changes or failure-detector suspicions");
        rc = EXIT_CHECK_FAILED;
    }
    if (!rc && tl.nroles == 0) {
        /* only suspicions: keep the script's role arguments non-empty */
        struct role_file *rf = role_file(p, &tl, "up");
        if (!rf)
            rc = EXIT_IOERR;
        for (int i = 1; !rc && i <= tl.lanes.max; i++)
            if (tl.lanes.v[i].seen)
                drow(&rf->d, "%.3f\t%.3f\t%d\tup\t\t%u", ms(tl.from_us), ms(tl.to_us), i, 0xdddddd);
    }
    gp_var(p, "has_faults", tl.parts.rows > 0);
    gp_var(p, "has_down", tl.down.rows > 0);
    gp_var(p, "has_paused", tl.paused.rows > 0);
    gp_var(p, "has_suspect", tl.suspect.rows > 0);
    gp_var(p, "has_trust", tl.trust.rows > 0);
    int crc = dfile_close(&tl.down) | dfile_close(&tl.paused) | dfile_close(&tl.parts) |
              dfile_close(&tl.suspect) | dfile_close(&tl.trust);
    for (size_t i = 0; i < tl.nroles; i++) {
        crc |= dfile_close(&tl.roles[i].d);
        free(tl.roles[i].name);
    }
    free(tl.roles);
    if (!rc && crc)
        rc = EXIT_IOERR;
    if (!rc)
        rc = merge_series(p, 5, "roles.tsv");     /* after down paused faults suspect trust */
    if (!rc)
        rc = write_lanes(p, &tl.lanes, 0);
    if (!rc)
        last_to_front(p);                         /* the script wants lanes.tsv first */
    lanes_free(&tl.lanes);
    p->view_from_us = tl.from_us;
    p->view_to_us = tl.to_us;
    return rc;
}

/* ---- messages ---- */

struct msg {
    int64_t id, t_send;
    int src, dst;
    char *type;
};

struct type_file {
    char *name;
    struct dfile d;
};

struct messages {
    /* pass 1: the window */
    int64_t first_fault, first_election, first_send;
    /* pass 2 */
    struct msg *sends;
    size_t nsends, cap;
    struct idmap byid;
    struct lanes lanes;
    int max_client;
    struct type_file *types;
    size_t ntypes;
    struct dfile drops, events, labels;     /* labels: the arrow labels that fit */
    size_t narrows, ndrops;
    int64_t from_us, to_us;
    /* the arrows, kept until the lanes are known (clients go below the nodes) */
    struct arrow { int64_t a, b; int src, dst; size_t type; int dropped; char why[16]; } *arrows;
    size_t narrowsv, acap;
    struct event { int64_t t; int node; char text[96]; } *eventv;
    size_t nevents, ecap;
    /* labels placed so far, in approximate pixels, so that none overlap */
    struct box { double x0, y0, x1, y1; } *boxes;
    size_t nboxes, bcap;
    double px_per_ms, px_per_lane, ytop;
};

/* Rough geometry of the 1200x600 picture: the plot area is about 800 by
 * 450 pixels, an 8-point character about 6.2 pixels wide and 13 high. */
#define MSG_PLOT_W 800.0
#define MSG_PLOT_H 450.0
#define MSG_CHAR_W 6.2
#define MSG_CHAR_H 13.0

/* Claim room for a label of LEN characters centred (or left-aligned) at
 * (t_ms, y); 0 if it would overlap a label already placed. */
static int place_label(struct messages *m, double t_ms, double y, size_t len, int left)
{
    double x = (t_ms - ms(m->from_us)) * m->px_per_ms, py = (y - m->ytop) * m->px_per_lane;
    double w = (double)len * MSG_CHAR_W + 4;
    struct box b = {left ? x : x - w / 2, py - MSG_CHAR_H / 2, left ? x + w : x + w / 2, py + MSG_CHAR_H / 2};
    if (b.x0 < -20 || b.x1 > MSG_PLOT_W + 40)
        return 0;
    for (size_t i = 0; i < m->nboxes; i++) {
        const struct box *o = &m->boxes[i];
        if (b.x0 < o->x1 && o->x0 < b.x1 && b.y0 < o->y1 && o->y0 < b.y1)
            return 0;
    }
    if (m->nboxes == m->bcap) {
        m->bcap = m->bcap ? m->bcap * 2 : 128;
        m->boxes = xrealloc(m->boxes, m->bcap * sizeof *m->boxes);
    }
    m->boxes[m->nboxes++] = b;
    return 1;
}

static int window_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct messages *m = ud;
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    (void)p;
    if (t < 0)
        return 0;
    if (m->first_send < 0 && strcmp(type, "send") == 0)
        m->first_send = t;
    if (m->first_fault < 0 && (strcmp(type, "crash") == 0 || strcmp(type, "partition") == 0 ||
                               strcmp(type, "pause") == 0 || strcmp(type, "block") == 0 ||
                               strcmp(type, "remove_node") == 0))
        m->first_fault = t;
    if (strcmp(type, "role") == 0) {
        const char *role = json_str(rec, "role");
        if (role && m->first_election < 0 &&
            (strcmp(role, "candidate") == 0 || strcmp(role, "precandidate") == 0 || strcmp(role, "proposer") == 0))
            m->first_election = t;
    }
    return 0;
}

struct leader_after {
    int64_t after, found;
};

static int leader_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct leader_after *la = ud;
    (void)p;
    int64_t t = rec_t(rec);
    if (la->found < 0 && t > la->after && strcmp(rec_type(rec), "role") == 0) {
        const char *role = json_str(rec, "role");
        if (role && strcmp(role, "leader") == 0)
            la->found = t;
    }
    return 0;
}

/* Default window: around the first election or fault, whichever comes first,
 * long enough to see the next leader elected. */
static int messages_window(struct plot *p, struct messages *m)
{
    m->first_fault = m->first_election = m->first_send = -1;
    int rc = read_trace(p, p->traces[0], window_rec, m, 1);
    if (rc)
        return rc;
    int64_t anchor = m->first_election;
    if (m->first_fault >= 0 && (anchor < 0 || m->first_fault < anchor))
        anchor = m->first_fault;
    if (anchor < 0)
        anchor = m->first_send >= 0 ? m->first_send : 0;
    struct leader_after la = {anchor, -1};
    rc = read_trace(p, p->traces[0], leader_rec, &la, 1);
    if (rc)
        return rc;
    int64_t from = anchor - 20000 < 0 ? 0 : anchor - 20000;
    int64_t to = from + 300000;
    if (la.found > 0)          /* up to the new leader's first heartbeats, at least 150 ms */
        to = la.found + 60000 > from + 150000 ? la.found + 60000 : from + 150000;
    if (to > from + 600000)
        to = from + 600000;
    if (p->from_us != NO_TIME) {
        from = p->from_us;
        if (p->to_us == NO_TIME)
            to = from + 300000;
    }
    if (p->to_us != NO_TIME) {
        to = p->to_us;
        if (p->from_us == NO_TIME)
            from = to - 300000 < 0 ? 0 : to - 300000;
    }
    m->from_us = from;
    m->to_us = to;
    return 0;
}

static size_t msg_type_index(struct messages *m, const char *name)
{
    for (size_t i = 0; i < m->ntypes; i++)
        if (strcmp(m->types[i].name, name) == 0)
            return i;
    m->types = xrealloc(m->types, (m->ntypes + 1) * sizeof *m->types);
    memset(&m->types[m->ntypes], 0, sizeof m->types[m->ntypes]);
    m->types[m->ntypes].name = xstrdup(name);
    return m->ntypes++;
}

/* Client endpoints (negative) get lanes unless --nodes chose the lanes. */
static int endpoint_ok(const struct plot *p, int64_t e)
{
    return e < 0 ? p->nodes == NULL : want_node(p, e);
}

static void add_arrow(struct messages *m, int64_t a, int64_t b, int src, int dst, const char *type,
                      const char *why)
{
    if (m->narrowsv == m->acap) {
        m->acap = m->acap ? m->acap * 2 : 256;
        m->arrows = xrealloc(m->arrows, m->acap * sizeof *m->arrows);
    }
    struct arrow *ar = &m->arrows[m->narrowsv++];
    ar->a = a;
    ar->b = b;
    ar->src = src;
    ar->dst = dst;
    ar->type = msg_type_index(m, type ? type : "?");
    ar->dropped = why != NULL;
    snprintf(ar->why, sizeof ar->why, "%s", why ? why : "");
}

static void note_endpoint(struct messages *m, int64_t e)
{
    if (e > 0)
        lane(&m->lanes, e)->seen = 1;
    else if (e < 0 && -e > m->max_client && -e <= 10000)
        m->max_client = (int)-e;
}

static int messages_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct messages *m = ud;
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    if (strcmp(type, "header") == 0) {
        int64_t n = json_int(rec, "nodes", 0);
        for (int64_t i = 1; i <= n && i <= 1000; i++)
            if (want_node(p, i))
                lane(&m->lanes, i)->seen = 1;
        return 0;
    }
    if (t < 0)
        return 0;
    int64_t src = json_int(rec, "src", 0), dst = json_int(rec, "dst", 0), id;
    if (strcmp(type, "send") == 0) {
        if (t < m->from_us - 2000000 || t > m->to_us || !json_has_int(rec, "id", &id))
            return 0;
        if (!endpoint_ok(p, src) || !endpoint_ok(p, dst))
            return 0;
        if (m->nsends == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 1024;
            m->sends = xrealloc(m->sends, m->cap * sizeof *m->sends);
        }
        struct msg *s = &m->sends[m->nsends];
        s->id = id;
        s->t_send = t;
        s->src = (int)src;
        s->dst = (int)dst;
        s->type = xstrdup(json_str(rec, "msg"));
        idmap_put(&m->byid, id, m->nsends++);
        return 0;
    }
    int is_recv = strcmp(type, "recv") == 0, is_drop = strcmp(type, "drop") == 0;
    if ((is_recv || is_drop) && json_has_int(rec, "id", &id)) {
        size_t i;
        if (!idmap_get(&m->byid, id, &i))
            return 0;
        struct msg *s = &m->sends[i];
        int in = (s->t_send >= m->from_us && s->t_send <= m->to_us) || (t >= m->from_us && t <= m->to_us);
        if (!in)
            return 0;
        note_endpoint(m, s->src);
        note_endpoint(m, s->dst);
        const char *name = s->type ? s->type : json_str(rec, "msg");
        if (is_recv)
            add_arrow(m, s->t_send, t, s->src, s->dst, name, NULL);
        else {
            const char *why = json_str(rec, "why");
            add_arrow(m, s->t_send, t, s->src, s->dst, name, why ? why : "dropped");
        }
        return 0;
    }
    if (t < m->from_us || t > m->to_us)
        return 0;
    int64_t node = json_int(rec, "node", 0);
    if (node <= 0 || !want_node(p, node))
        return 0;
    char label[96] = "";
    if (strcmp(type, "role") == 0) {
        const char *role = json_str(rec, "role");
        int64_t term = json_int(rec, "term", -1);
        if (term >= 0)
            snprintf(label, sizeof label, "%s (term %lld)", role ? role : "?", (long long)term);
        else
            snprintf(label, sizeof label, "%s", role ? role : "?");
    } else if (strcmp(type, "crash") == 0 || strcmp(type, "restart") == 0 ||
               strcmp(type, "resume") == 0 || strcmp(type, "remove_node") == 0 ||
               strcmp(type, "add_node") == 0) {
        snprintf(label, sizeof label, "%s", type);
    } else if (strcmp(type, "pause") == 0) {
        snprintf(label, sizeof label, "pause %g ms", json_num(rec, "ms", 0));
    } else if (strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0) {
        snprintf(label, sizeof label, "%s %lld", type, (long long)json_int(rec, "target", 0));
    }
    if (label[0]) {
        lane(&m->lanes, node)->seen = 1;
        if (m->nevents == m->ecap) {
            m->ecap = m->ecap ? m->ecap * 2 : 64;
            m->eventv = xrealloc(m->eventv, m->ecap * sizeof *m->eventv);
        }
        struct event *ev = &m->eventv[m->nevents++];
        ev->t = t;
        ev->node = (int)node;
        snprintf(ev->text, sizeof ev->text, "%s", label);
    }
    return 0;
}

static double lane_y(const struct messages *m, int e)
{
    return e > 0 ? (double)e : (double)(m->lanes.max - e);
}

static int plot_messages(struct plot *p)
{
    struct messages m;
    memset(&m, 0, sizeof m);
    idmap_init(&m.byid);
    int rc = messages_window(p, &m);
    if (rc)
        return rc;
    if (dfile_open(p, &m.events, "events.tsv", 5, "t_ms\tlane\tevent\tlabel_t_ms\tlabel_lane") ||
        dfile_open(p, &m.drops, "drops.tsv", 6, "t_ms\tlane\tdt_ms\tdlane\tmsg\tdropped") ||
        dfile_open(p, &m.labels, "labels.tsv", 4, "t_ms\tlane\tlabel\trgb"))
        return EXIT_IOERR;
    m.events.has_labels = m.drops.has_labels = 1;
    m.labels.has_labels = 1;
    rc = read_trace(p, p->traces[0], messages_rec, &m, 0);
    size_t nsend_all = m.nsends;
    if (!rc && nsend_all == 0 && m.narrowsv == 0) {
        tool_error(PROG, "trace has no send records in %.0f..%.0f ms: the messages plot needs a trace "
                         "written with --trace-level messages", ms(m.from_us), ms(m.to_us));
        rc = EXIT_CHECK_FAILED;
    }
    size_t ndelivered = 0;
    for (size_t i = 0; i < m.narrowsv; i++)
        ndelivered += !m.arrows[i].dropped;
    /* geometry for label placement */
    int nlanes = m.max_client;
    double ytop = 1e9, ybottom = -1e9;
    for (int i = 1; i <= m.lanes.max; i++)
        if (m.lanes.v[i].seen) {
            nlanes++;
            ytop = i < ytop ? i : ytop;
            ybottom = i > ybottom ? i : ybottom;
        }
    if (m.max_client > 0)
        ybottom = m.lanes.max + m.max_client;
    if (ytop > ybottom)
        ytop = ybottom = 1;
    double span_ms = ms(m.to_us - m.from_us);
    m.ytop = ytop - 0.5;
    m.px_per_lane = MSG_PLOT_H / (ybottom - ytop + 1);
    m.px_per_ms = MSG_PLOT_W / (span_ms > 0 ? span_ms : 1);
    /* lane events first: a label above the lane, else below, else none */
    for (size_t i = 0; i < m.nevents; i++) {
        struct event *ev = &m.eventv[i];
        double y = (double)ev->node, lx = ms(ev->t) + 5 / m.px_per_ms;
        double dy = (MSG_CHAR_H + 2) / m.px_per_lane;
        size_t len = strlen(ev->text);
        if (place_label(&m, lx, y - dy, len, 1))
            drow(&m.events, "%.3f\t%d\t%s\t%.3f\t%.3f", ms(ev->t), ev->node, ev->text, lx, y - dy);
        else if (place_label(&m, lx, y + dy, len, 1))
            drow(&m.events, "%.3f\t%d\t%s\t%.3f\t%.3f", ms(ev->t), ev->node, ev->text, lx, y + dy);
        else
            drow(&m.events, "%.3f\t%d\t \t%.3f\t%.3f", ms(ev->t), ev->node, lx, y);
    }
    for (size_t k = 0; !rc && k < m.ntypes; k++) {
        char name[64], header[256], tn[128];
        snprintf(name, sizeof name, "msg-%zu.tsv", k + 1);
        cell(tn, sizeof tn, m.types[k].name);
        snprintf(header, sizeof header, "t_ms\tlane\tdt_ms\tdlane\t%s\trgb", tn);
        if (dfile_open(p, &m.types[k].d, name, 6, header))
            rc = EXIT_IOERR;
    }
    /* then a label per arrow, at its middle, where one fits */
    size_t nlabelled = 0;
    for (size_t i = 0; !rc && i < m.narrowsv; i++) {
        struct arrow *a = &m.arrows[i];
        double y0 = lane_y(&m, a->src), y1 = lane_y(&m, a->dst);
        char label[160] = "";
        if (a->dropped) {
            /* a drop at send (loss, a cut link): a stub toward the destination
             * ending in a cross; a drop on arrival (a crashed receiver, a link
             * cut in flight): the whole way, the cross on the receiver's lane */
            double x1 = ms(a->b);
            int on_arrival = a->b > a->a;
            if (x1 - ms(a->a) < span_ms * 0.015)
                x1 = ms(a->a) + span_ms * 0.015;
            double dy = (y1 - y0) * (on_arrival ? 1.0 : 0.4);
            if (m.ntypes > 1)
                snprintf(label, sizeof label, "%s (%s)", m.types[a->type].name, a->why);
            else
                snprintf(label, sizeof label, "%s", a->why);
            double ly = y0 + dy + 1.1 * MSG_CHAR_H / m.px_per_lane;
            if (place_label(&m, x1, ly, strlen(label), 0)) {
                drow(&m.labels, "%.3f\t%.3f\t%s\t%u", x1, ly, label, 0xd62728u);
                nlabelled++;
            }
            drow(&m.drops, "%.3f\t%.3f\t%.3f\t%.3f\t%s\tdropped", ms(a->a), y0, x1 - ms(a->a), dy,
                 m.types[a->type].name);
        } else {
            cell(label, sizeof label, m.types[a->type].name);
            double xm = ms(a->a) + ms(a->b - a->a) * 0.5, ym = (y0 + y1) * 0.5;
            /* with one message type the legend says it all */
            if (m.ntypes > 1 && place_label(&m, xm, ym, strlen(label), 0)) {
                drow(&m.labels, "%.3f\t%.3f\t%s\t%u", xm, ym, label, palette[a->type % NPALETTE]);
                nlabelled++;
            }
            drow(&m.types[a->type].d, "%.3f\t%.3f\t%.3f\t%.3f\t%s\t%u", ms(a->a), y0, ms(a->b - a->a), y1 - y0,
                 label, palette[a->type % NPALETTE]);
        }
    }
    (void)nlanes;
    gp_var(p, "has_drops", m.drops.rows > 0);
    /* a type whose messages were all dropped still needs its colour row */
    for (size_t k = 0; !rc && k < m.ntypes; k++)
        if (m.types[k].d.rows == 0)
            drow(&m.types[k].d, "NaN\tNaN\tNaN\tNaN\t-\t%u", palette[k % NPALETTE]);
    int crc = dfile_close(&m.events) | dfile_close(&m.drops) | dfile_close(&m.labels);
    for (size_t k = 0; k < m.ntypes; k++) {
        crc |= dfile_close(&m.types[k].d);
        free(m.types[k].name);
    }
    if (!rc && crc)
        rc = EXIT_IOERR;
    if (!rc && m.ntypes == 0) {
        struct dfile d;
        if (dfile_open(p, &d, "msg-none.tsv", 6, "t_ms\tlane\tdt_ms\tdlane\tno messages\trgb") || dfile_close(&d))
            rc = EXIT_IOERR;
    }
    if (!rc)
        rc = merge_series(p, 3, "messages.tsv");  /* after events drops labels */
    if (!rc)
        rc = write_lanes(p, &m.lanes, m.max_client);
    if (!rc)
        last_to_front(p);
    for (size_t i = 0; i < m.nsends; i++)
        free(m.sends[i].type);
    free(m.sends);
    free(m.types);
    free(m.arrows);
    free(m.eventv);
    free(m.boxes);
    idmap_free(&m.byid);
    lanes_free(&m.lanes);
    p->view_from_us = m.from_us;
    p->view_to_us = m.to_us;
    if (!rc)
        fprintf(stderr, "clustersim plot: messages %.0f..%.0f ms: %zu delivered, %zu dropped, %zu labelled%s\n",
                ms(m.from_us), ms(m.to_us), ndelivered, m.narrowsv - ndelivered, nlabelled,
                nlabelled < ndelivered ? " (narrow the window with --from/--to to label more)" : "");
    return rc;
}

/* ---- client operations: latency, cdf ---- */

static int ops_rec(struct plot *p, void *ud, const cJSON *rec)
{
    (void)p;
    trace_ops_add(ud, rec);
    return 0;
}

static int read_ops(struct plot *p, const char *path, struct trace_ops *ops)
{
    trace_ops_init(ops);
    int rc = read_trace(p, path, ops_rec, ops, 0);
    trace_ops_finish(ops);
    if (!rc && ops->n == 0) {
        tool_error(PROG, "%s has no client operations (invoke/complete or request/reply records): "
                         "the %s plot needs a scenario with clients (sim.clients)", path, p->kind);
        rc = EXIT_CHECK_FAILED;
    }
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)ceil(q * (double)n);
    if (i > 0)
        i--;
    if (i >= n)
        i = n - 1;
    return sorted[i];
}

/* 1, 2 or 5 times a power of ten, at least X. */
static double nice_up(double x)
{
    double e = pow(10, floor(log10(x)));
    if (x <= e)
        return e;
    if (x <= 2 * e)
        return 2 * e;
    if (x <= 5 * e)
        return 5 * e;
    return 10 * e;
}

static int plot_latency(struct plot *p)
{
    struct trace_ops ops;
    int rc = read_ops(p, p->traces[0], &ops);
    struct dfile ok, fail, info, roll;
    if (!rc && (dfile_open(p, &ok, "ok.tsv", 2, "t_ms\tok") || dfile_open(p, &fail, "fail.tsv", 2, "t_ms\tfail") ||
                dfile_open(p, &info, "info.tsv", 2, "t_ms\ttimeout or unknown")))
        rc = EXIT_IOERR;
    if (rc) {
        trace_ops_free(&ops);
        return rc;
    }
    /* completed operations; the ok ones also feed the rolling percentiles */
    size_t n = 0;
    struct pt { double t, lat; } *okv = xrealloc(NULL, (ops.n + 1) * sizeof *okv);
    for (size_t i = 0; i < ops.n; i++) {
        struct trace_op *op = &ops.v[i];
        if (op->complete_us < 0 || op->latency_ms < 0 || !in_window(p, op->complete_us))
            continue;
        if (p->nodes && !want_node(p, op->node))
            continue;
        struct dfile *d = op->status == OP_OK ? &ok : op->status == OP_FAIL ? &fail : &info;
        drow(d, "%.3f\t%.3f", ms(op->complete_us), op->latency_ms);
        if (op->status == OP_OK) {
            okv[n].t = ms(op->complete_us);
            okv[n].lat = op->latency_ms;
            n++;
        }
    }
    /* ops come in invoke order; the rolling window wants completion order */
    for (size_t i = 1; i < n; i++) {
        struct pt x = okv[i];
        size_t j = i;
        while (j > 0 && okv[j - 1].t > x.t) {
            okv[j] = okv[j - 1];
            j--;
        }
        okv[j] = x;
    }
    /* a trailing window of about 1/25 of the run, rounded to 1, 2 or 5 */
    double span = n ? okv[n - 1].t - okv[0].t : 0;
    double w = nice_up(span / 25 > 1 ? span / 25 : 1);
    char hdr[96];
    snprintf(hdr, sizeof hdr, "t_ms\tp50 (%g ms window)\tp99 (%g ms window)", w, w);
    int crc = dfile_open(p, &roll, "rolling.tsv", 3, hdr);
    double *buf = xrealloc(NULL, (n + 1) * sizeof *buf);
    size_t lo = 0;
    for (size_t i = 0; !crc && i < n; i++) {
        while (okv[lo].t < okv[i].t - w)
            lo++;
        size_t k = i - lo + 1;
        for (size_t j = 0; j < k; j++)
            buf[j] = okv[lo + j].lat;
        qsort(buf, k, sizeof *buf, cmp_double);
        if (i + 1 == n || okv[i + 1].t != okv[i].t)
            drow(&roll, "%.3f\t%.3f\t%.3f", okv[i].t, percentile(buf, k, 0.5), percentile(buf, k, 0.99));
    }
    free(buf);
    free(okv);
    if (!crc)
        crc = dfile_close(&roll);
    crc |= dfile_close(&ok) | dfile_close(&fail) | dfile_close(&info);
    trace_ops_free(&ops);
    if (p->from_us != NO_TIME || p->to_us != NO_TIME) {
        p->view_from_us = p->from_us == NO_TIME ? 0 : p->from_us;
        p->view_to_us = p->to_us == NO_TIME ? p->trace_end_us : p->to_us;
    }
    return crc ? EXIT_IOERR : 0;
}

/* A trace's legend entry: its file name, or its path when two of the
 * traces given share a file name. */
static void trace_legend(const struct plot *p, size_t f, char *out, size_t n)
{
    int alike = 0;
    for (size_t g = 0; g < p->ntraces; g++)
        alike |= g != f && strcmp(base_name(p->traces[g]), base_name(p->traces[f])) == 0;
    cell(out, n, alike ? p->traces[f] : base_name(p->traces[f]));
}

static int plot_cdf(struct plot *p)
{
    int rc = 0;
    for (size_t f = 0; !rc && f < p->ntraces; f++) {
        struct trace_ops ops;
        rc = read_ops(p, p->traces[f], &ops);
        if (rc) {
            trace_ops_free(&ops);
            break;
        }
        double *lat = xrealloc(NULL, (ops.n + 1) * sizeof *lat);
        size_t n = 0;
        for (size_t i = 0; i < ops.n; i++)
            if (ops.v[i].status == OP_OK && ops.v[i].latency_ms >= 0 && in_window(p, ops.v[i].complete_us))
                lat[n++] = ops.v[i].latency_ms;
        qsort(lat, n, sizeof *lat, cmp_double);
        char name[64], header[512], tn[256];
        snprintf(name, sizeof name, "cdf-%zu.tsv", f + 1);
        trace_legend(p, f, tn, sizeof tn);
        snprintf(header, sizeof header, "latency_ms\t%s (n=%zu, p50=%.4g ms, p99=%.4g ms)", tn, n,
                 percentile(lat, n, 0.5), percentile(lat, n, 0.99));
        struct dfile d;
        if (dfile_open(p, &d, name, 2, header)) {
            rc = EXIT_IOERR;
        } else {
            if (n > 0)
                drow(&d, "%.4f\t0", lat[0]);      /* the curve rises from 0 */
            for (size_t i = 0; i < n; i++)
                if (i + 1 == n || lat[i + 1] != lat[i])
                    drow(&d, "%.4f\t%.6f", lat[i], (double)(i + 1) / (double)n);
            if (dfile_close(&d))
                rc = EXIT_IOERR;
        }
        if (!rc && n == 0)
            tool_error(PROG, "warning: %s has no successful operations to draw", p->traces[f]);
        free(lat);
        trace_ops_free(&ops);
    }
    if (!rc)
        rc = merge_series(p, 0, "cdf.tsv");
    if (p->ntraces > 1)
        snprintf(p->auto_title, sizeof p->auto_title, "%zu traces", p->ntraces);
    return rc;
}

/* ---- commit ---- */

struct commit {
    struct dfile *files;     /* by node id */
    int max;
    int64_t *last;
    int64_t ncommit;
};

static int commit_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct commit *c = ud;
    int64_t node, index, t = rec_t(rec);
    if (strcmp(rec_type(rec), "commit") != 0 || !json_has_int(rec, "node", &node) ||
        !json_has_int(rec, "index", &index) || node < 1 || node > 10000)
        return 0;
    c->ncommit++;
    if (!want_node(p, node) || !in_window(p, t))
        return 0;
    if (node > c->max) {
        c->files = xrealloc(c->files, ((size_t)node + 1) * sizeof *c->files);
        c->last = xrealloc(c->last, ((size_t)node + 1) * sizeof *c->last);
        for (int64_t i = c->max + 1; i <= node; i++) {
            memset(&c->files[i], 0, sizeof c->files[i]);
            c->last[i] = -1;
        }
        c->max = (int)node;
    }
    if (!c->files[node].f) {
        char name[64], header[64];
        snprintf(name, sizeof name, "commit-%lld.tsv", (long long)node);
        snprintf(header, sizeof header, "t_ms\tnode %lld", (long long)node);
        if (dfile_open(p, &c->files[node], name, 2, header))
            return EXIT_IOERR;
    }
    if (index != c->last[node]) {
        drow(&c->files[node], "%.3f\t%lld", ms(t), (long long)index);
        c->last[node] = index;
    }
    return 0;
}

static int plot_commit(struct plot *p)
{
    struct commit c;
    memset(&c, 0, sizeof c);
    int rc = read_trace(p, p->traces[0], commit_rec, &c, 0);
    if (!rc && c.ncommit == 0) {
        tool_error(PROG, "trace has no commit records: the commit plot needs an algorithm that notes "
                         "commits (raft, paxos)");
        rc = EXIT_CHECK_FAILED;
    } else if (!rc && p->nfiles == 0) {
        tool_error(PROG, "no commit records for the nodes and window asked for");
        rc = EXIT_CHECK_FAILED;
    }
    /* files were opened in order of first commit; gnuplot wants node order */
    int crc = 0;
    size_t k = 0;
    for (int i = 1; i <= c.max; i++) {
        if (!c.files[i].f)
            continue;
        /* extend each line to the end of the window so a lagging node shows */
        int64_t end = p->to_us != NO_TIME ? p->to_us : p->trace_end_us;
        if (!rc && c.last[i] >= 0 && end > 0)
            drow(&c.files[i], "%.3f\t%lld", ms(end), (long long)c.last[i]);
        crc |= dfile_close(&c.files[i]);
        char name[PATH_MAX + 64];
        snprintf(name, sizeof name, "%s/commit-%d.tsv", p->dir, i);
        for (size_t j = k; j < p->nfiles; j++)
            if (strcmp(p->files[j], name) == 0) {
                char *tmp = p->files[j];
                p->files[j] = p->files[k];
                p->files[k] = tmp;
                k++;
                break;
            }
    }
    free(c.files);
    free(c.last);
    if (!rc && !crc)
        rc = merge_series(p, 0, "commit.tsv");
    if (p->from_us != NO_TIME || p->to_us != NO_TIME) {
        p->view_from_us = p->from_us == NO_TIME ? 0 : p->from_us;
        p->view_to_us = p->to_us == NO_TIME ? p->trace_end_us : p->to_us;
    }
    return rc ? rc : crc ? EXIT_IOERR : 0;
}

/* ---- load ---- */

struct load {
    double *value;      /* by server id; NAN if none */
    int64_t *requests;  /* request records per node, the fallback */
    int max;
    int64_t nload, nrequest, header_nodes;
};

static void load_grow(struct load *l, int64_t node)
{
    if (node <= l->max)
        return;
    l->value = xrealloc(l->value, ((size_t)node + 1) * sizeof *l->value);
    l->requests = xrealloc(l->requests, ((size_t)node + 1) * sizeof *l->requests);
    for (int64_t i = l->max + 1; i <= node; i++) {
        l->value[i] = NAN;
        l->requests[i] = 0;
    }
    l->max = (int)node;
}

static int load_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct load *l = ud;
    const char *type = rec_type(rec);
    int64_t node, t = rec_t(rec);
    if (strcmp(type, "header") == 0) {
        l->header_nodes = json_int(rec, "nodes", 0);
        return 0;
    }
    int is_load = strcmp(type, "load") == 0, is_req = strcmp(type, "request") == 0;
    if ((!is_load && !is_req) || !json_has_int(rec, "node", &node) || node < 1 || node > 100000)
        return 0;
    if (!want_node(p, node) || !in_window(p, t))
        return 0;
    load_grow(l, node);
    if (is_load) {
        l->nload++;
        l->value[node] = json_num(rec, "value", NAN);
    } else {
        l->nrequest++;
        l->requests[node]++;
    }
    return 0;
}

static int plot_load(struct plot *p)
{
    struct load l;
    memset(&l, 0, sizeof l);
    int rc = read_trace(p, p->traces[0], load_rec, &l, 0);
    if (!rc && l.nload == 0 && l.nrequest == 0) {
        tool_error(PROG, "trace has no load records (hashing, load balancing) and no request records: "
                         "the load plot has nothing to count");
        rc = EXIT_CHECK_FAILED;
    }
    if (!rc) {
        int use_requests = l.nload == 0;
        int nservers = 0;
        double sum = 0, maxv = 0;
        for (int i = 1; i <= l.max; i++) {
            double v = use_requests ? (double)l.requests[i] : l.value[i];
            if (isnan(v) || (use_requests && !want_node(p, i)))
                continue;
            nservers++;
            sum += v;
            if (v > maxv)
                maxv = v;
        }
        int nideal = nservers;
        if (!p->nodes && l.header_nodes > nservers)
            nideal = (int)l.header_nodes;     /* servers that never reported had load 0 */
        double ideal = nideal ? sum / nideal : 0;
        struct dfile d;
        char header[128];
        snprintf(header, sizeof header, "server\t%s\tideal", use_requests ? "requests" : "load");
        if (dfile_open(p, &d, "load.tsv", 3, header))
            rc = EXIT_IOERR;
        for (int i = 1; !rc && i <= l.max && i <= (nideal > l.max ? nideal : l.max); i++) {
            double v = use_requests ? (double)l.requests[i] : l.value[i];
            if (isnan(v))
                v = 0;
            if (!want_node(p, i))
                continue;
            drow(&d, "%d\t%g\t%g", i, v, ideal);
        }
        if (!rc && dfile_close(&d))
            rc = EXIT_IOERR;
        char extra[160];
        snprintf(extra, sizeof extra, "%s: max/ideal = %.2f", use_requests ? "requests per node" : "load per server",
                 ideal > 0 ? maxv / ideal : 0.0);
        size_t len = strlen(p->auto_title);
        snprintf(p->auto_title + len, sizeof p->auto_title - len, "%s%s", len ? " - " : "", extra);
    }
    free(l.value);
    free(l.requests);
    return rc;
}

/* ---- elections ---- */

struct elections {
    int64_t *leader_term;   /* by node: term it leads, -1 if not leader */
    int max;
    int64_t crash_at;       /* a leader crashed here and no new leader yet; -1 otherwise */
    double *dur;
    size_t n, cap;
    int64_t nrole;
};

static int elections_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct elections *e = ud;
    const char *type = rec_type(rec);
    int64_t node, t = rec_t(rec);
    if (!json_has_int(rec, "node", &node) || node < 1 || node > 100000 || t < 0)
        return 0;
    if (node > e->max) {
        e->leader_term = xrealloc(e->leader_term, ((size_t)node + 1) * sizeof *e->leader_term);
        for (int64_t i = e->max + 1; i <= node; i++)
            e->leader_term[i] = -1;
        e->max = (int)node;
    }
    if (strcmp(type, "role") == 0) {
        const char *role = json_str(rec, "role");
        e->nrole++;
        int lead = role && strcmp(role, "leader") == 0;
        if (lead && e->crash_at >= 0) {
            if (in_window(p, e->crash_at)) {
                if (e->n == e->cap) {
                    e->cap = e->cap ? e->cap * 2 : 64;
                    e->dur = xrealloc(e->dur, e->cap * sizeof *e->dur);
                }
                e->dur[e->n++] = ms(t - e->crash_at);
            }
            e->crash_at = -1;
        }
        e->leader_term[node] = lead ? json_int(rec, "term", 0) : -1;
    } else if (strcmp(type, "crash") == 0 || strcmp(type, "remove_node") == 0) {
        /* a crash counts when the node led the highest term anyone leads */
        int64_t best = -1;
        for (int i = 1; i <= e->max; i++)
            if (e->leader_term[i] > best)
                best = e->leader_term[i];
        if (e->leader_term[node] >= 0 && e->leader_term[node] == best && e->crash_at < 0)
            e->crash_at = t;
        e->leader_term[node] = -1;
    }
    return 0;
}

/* One CDF block: a header row naming the legend entry, then the curve. */
static int write_election_cdf(struct plot *p, const char *name, const char *legend, double *dur, size_t n)
{
    qsort(dur, n, sizeof *dur, cmp_double);
    char header[512];
    snprintf(header, sizeof header, "duration_ms\t%s (p50=%.4g ms, p99=%.4g ms)", legend,
             percentile(dur, n, 0.5), percentile(dur, n, 0.99));
    struct dfile d;
    if (dfile_open(p, &d, name, 2, header))
        return EXIT_IOERR;
    drow(&d, "%.3f\t0", dur[0]);
    for (size_t i = 0; i < n; i++)
        drow(&d, "%.3f\t%.6f", dur[i], (double)(i + 1) / (double)n);
    return dfile_close(&d) ? EXIT_IOERR : 0;
}

/* Several traces with many elections each (one long run per timeout range,
 * as in Figure 16 of the Raft paper) get a curve each; traces with a few
 * elections each (one run per seed) are pooled into one curve. */
#define ELECTIONS_PER_CURVE 10

static int plot_elections(struct plot *p)
{
    struct elections e;
    memset(&e, 0, sizeof e);
    int rc = 0;
    int64_t nrole = 0;
    size_t *upto = xrealloc(NULL, (p->ntraces + 1) * sizeof *upto);   /* e.dur index where trace f ends */
    for (size_t f = 0; !rc && f < p->ntraces; f++) {
        for (int i = 1; i <= e.max; i++)
            e.leader_term[i] = -1;
        e.crash_at = -1;
        e.nrole = 0;
        rc = read_trace(p, p->traces[f], elections_rec, &e, 0);
        nrole += e.nrole;
        upto[f] = e.n;
    }
    if (!rc && nrole == 0) {
        tool_error(PROG, "trace has no role records: the elections plot needs a leader-based algorithm (raft)");
        rc = EXIT_CHECK_FAILED;
    } else if (!rc && e.n == 0) {
        tool_error(PROG, "no leader crashes followed by a new leader in %s: the elections plot measures "
                         "crash-to-new-leader times (crash the leader, e.g. c:crash(c:leader()))",
                   p->ntraces > 1 ? "these traces" : "this trace");
        rc = EXIT_CHECK_FAILED;
    }
    int per_trace = p->ntraces > 1;
    for (size_t f = 0; f < p->ntraces; f++)
        if (upto[f] - (f ? upto[f - 1] : 0) < ELECTIONS_PER_CURVE)
            per_trace = 0;
    if (!rc && per_trace) {
        for (size_t f = 0; !rc && f < p->ntraces; f++) {
            size_t from = f ? upto[f - 1] : 0, n = upto[f] - from;
            char name[64], legend[320], tn[256];
            snprintf(name, sizeof name, "elections-%zu.tsv", f + 1);
            trace_legend(p, f, tn, sizeof tn);
            snprintf(legend, sizeof legend, "%s: %zu elections", tn, n);
            rc = write_election_cdf(p, name, legend, e.dur + from, n);
        }
        if (!rc)
            rc = merge_series(p, 0, "elections.tsv");
    } else if (!rc) {
        char legend[128];
        snprintf(legend, sizeof legend, "%zu election%s in %zu trace%s", e.n, e.n == 1 ? "" : "s", p->ntraces,
                 p->ntraces == 1 ? "" : "s");
        rc = write_election_cdf(p, "elections.tsv", legend, e.dur, e.n);
    }
    if (p->ntraces > 1)
        snprintf(p->auto_title, sizeof p->auto_title, "Election time after a leader crash, %zu traces", p->ntraces);
    free(upto);
    free(e.leader_term);
    free(e.dur);
    return rc;
}

/* ---- running gnuplot ---- */

static int find_plots_dir(char *out, size_t n, const char *kind)
{
    char cand[5][PATH_MAX];
    int nc = 0;
    const char *env = getenv("CLUSTERSIM_PLOTS");
    if (env && *env)
        snprintf(cand[nc++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(cand[nc++], PATH_MAX, "%.*s/plots", PATH_MAX - 8, exe);
            /* a build directory (build/, build-asan/) inside the source tree */
            snprintf(cand[nc++], PATH_MAX, "%.*s/../plots", PATH_MAX - 12, exe);
            /* an installed tree: PREFIX/bin/clustersim beside PREFIX/share/clustersim */
            snprintf(cand[nc++], PATH_MAX, "%.*s/../share/clustersim/plots", PATH_MAX - 32, exe);
        }
    }
    snprintf(cand[nc++], PATH_MAX, "%s/plots", CLUSTERSIM_DATADIR);
    for (int i = 0; i < nc; i++) {
        char script[PATH_MAX];
        int plen = snprintf(script, sizeof script, "%s/%s.gp", cand[i], kind);
        if (plen > 0 && (size_t)plen < sizeof script && access(script, R_OK) == 0) {
            snprintf(out, n, "%s", script);
            return 0;
        }
        if (i == 0 && env && *env) {
            tool_error(PROG, "CLUSTERSIM_PLOTS=%s has no %s.gp", env, kind);
            return -1;
        }
    }
    char looked[5 * PATH_MAX + 16];
    size_t ll = 0;
    looked[0] = 0;
    for (int i = 0; i < nc && ll < sizeof looked; i++)
        ll += (size_t)snprintf(looked + ll, sizeof looked - ll, "%s%s", i ? ", " : "", cand[i]);
    tool_error(PROG, "cannot find %s.gp: looked in %s; set CLUSTERSIM_PLOTS to the plots/ directory", kind, looked);
    return -1;
}

/* A gnuplot string literal: single quotes, '' for a quote. */
static char *gp_string(const char *var, const char *s)
{
    size_t n = strlen(var) + 2 * strlen(s) + 8;
    char *out = xrealloc(NULL, n), *q = out;
    q += sprintf(q, "%s='", var);
    for (; *s; s++) {
        if (*s == '\'')
            *q++ = '\'';
        *q++ = (*s == '\n') ? ' ' : *s;
    }
    *q++ = '\'';
    *q = 0;
    return out;
}

static int run_gnuplot(struct plot *p, const char *script)
{
    size_t argc = 0, cap = p->nfiles + 16;
    char **argv = xrealloc(NULL, cap * sizeof *argv);
    char *owned[4] = {0};
    argv[argc++] = "gnuplot";
    const char *title = p->title ? p->title : p->auto_title;
    owned[0] = gp_string("title", title);
    argv[argc++] = "-e";
    argv[argc++] = owned[0];
    if (p->view_from_us != NO_TIME && p->view_to_us != NO_TIME && p->view_to_us > p->view_from_us) {
        char buf[128];
        snprintf(buf, sizeof buf, "xmin=%.3f; xmax=%.3f", ms(p->view_from_us), ms(p->view_to_us));
        owned[1] = xstrdup(buf);
        argv[argc++] = "-e";
        argv[argc++] = owned[1];
    }
    if (p->vars[0]) {
        argv[argc++] = "-e";
        argv[argc++] = p->vars;
    }
    argv[argc++] = "-c";
    argv[argc++] = (char *)script;
    for (size_t i = 0; i < p->nfiles; i++)
        argv[argc++] = p->files[i];
    argv[argc++] = (char *)p->out;
    argv[argc] = NULL;

    if (p->keep_dir) {
        fprintf(stderr, "clustersim plot: data kept in %s; to draw it again:\n ", p->dir);
        for (size_t i = 0; i < argc; i++) {
            int quote = strpbrk(argv[i], " '\";$&|<>()*?") != NULL;
            fprintf(stderr, quote ? " \"%s\"" : " %s", argv[i]);
        }
        fputc('\n', stderr);
    }

    /* exec failure comes back through a close-on-exec pipe */
    int pfd[2];
    if (pipe(pfd) != 0) {
        tool_error(PROG, "pipe: %s", strerror(errno));
        return EXIT_INTERNAL;
    }
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        tool_error(PROG, "fork: %s", strerror(errno));
        return EXIT_INTERNAL;
    }
    if (pid == 0) {
        close(pfd[0]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        execvp("gnuplot", argv);
        int e = errno;
        ssize_t w = write(pfd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    int exec_errno = 0;
    ssize_t got = read(pfd[0], &exec_errno, sizeof exec_errno);
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    free(owned[0]);
    free(owned[1]);
    free(argv);
    if (got == (ssize_t)sizeof exec_errno) {
        if (exec_errno == ENOENT)
            tool_error(PROG, "gnuplot not found; install it: apt-get install gnuplot-nox");
        else
            tool_error(PROG, "cannot run gnuplot: %s", strerror(exec_errno));
        return EXIT_INTERNAL;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        tool_error(PROG, "gnuplot failed (%s %d) running %s", WIFEXITED(status) ? "exit status" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), script);
        return EXIT_INTERNAL;
    }
    if (strcmp(p->out, "-") != 0) {
        struct stat st;
        if (stat(p->out, &st) != 0 || st.st_size == 0) {
            tool_error(PROG, "gnuplot wrote nothing to %s", p->out);
            return EXIT_IOERR;
        }
    }
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[PATH_MAX + 256];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static const char *out_format(const char *out)
{
    if (strcmp(out, "-") == 0)
        return "dumb";
    const char *dot = strrchr(out, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    if (strcmp(dot, ".png") == 0)
        return "png";
    if (strcmp(dot, ".svg") == 0)
        return "svg";
    if (strcmp(dot, ".pdf") == 0)
        return "pdf";
    return NULL;
}

int cmd_plot(int argc, char **argv)
{
    struct plot p;
    memset(&p, 0, sizeof p);
    p.from_us = p.to_us = NO_TIME;
    p.view_from_us = p.view_to_us = NO_TIME;
    p.traces = xrealloc(NULL, (size_t)(argc + 1) * sizeof *p.traces);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--kind") == 0 || strcmp(a, "-k") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 || strcmp(a, "--nodes") == 0 ||
            strcmp(a, "--title") == 0 || strcmp(a, "--data") == 0) {
            if (!has_val) {
                rc = usage_error("%s needs a value", a);
                goto out;
            }
            const char *v = argv[++i];
            if (a[1] == 'k' || strcmp(a, "--kind") == 0)
                p.kind = v;
            else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
                p.out = v;
            else if (strcmp(a, "--from") == 0) {
                if (parse_ms(a, v, &p.from_us)) {
                    rc = EXIT_USAGE;
                    goto out;
                }
            } else if (strcmp(a, "--to") == 0) {
                if (parse_ms(a, v, &p.to_us)) {
                    rc = EXIT_USAGE;
                    goto out;
                }
            } else if (strcmp(a, "--nodes") == 0) {
                if (parse_nodes(&p, v)) {
                    rc = EXIT_USAGE;
                    goto out;
                }
            } else if (strcmp(a, "--title") == 0)
                p.title = v;
            else
                p.keep_dir = v;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: clustersim plot TRACE.jsonl [TRACE2 ...] --kind KIND -o OUT.(png|svg|pdf|-)\n"
                   "         [--from MS] [--to MS] [--nodes 1,2,3] [--title T] [--data DIR]\n"
                   "kinds: timeline messages latency cdf commit load elections\n"
                   "  -o -        draw on the terminal (gnuplot's dumb terminal)\n"
                   "  --data DIR  keep the data files in DIR and print the gnuplot command\n");
            goto out;
        } else if (a[0] == '-' && a[1] != 0) {
            rc = usage_error("unknown option '%s'; accepted: --kind, -o, --from, --to, --nodes, --title, --data", a);
            goto out;
        } else {
            p.traces[p.ntraces++] = a;
        }
    }
    if (!p.kind) {
        rc = usage_error("--kind is required: timeline, messages, latency, cdf, commit, load or elections");
        goto out;
    }
    int known = 0;
    for (int i = 0; kinds[i]; i++)
        known |= strcmp(kinds[i], p.kind) == 0;
    if (!known) {
        rc = usage_error("unknown kind '%s'; accepted: timeline, messages, latency, cdf, commit, load, elections",
                         p.kind);
        goto out;
    }
    if (p.ntraces == 0) {
        rc = usage_error("no trace given");
        goto out;
    }
    if (p.ntraces > 1 && strcmp(p.kind, "cdf") != 0 && strcmp(p.kind, "elections") != 0) {
        rc = usage_error("--kind %s draws one trace (%zu given); cdf and elections take several", p.kind,
                         p.ntraces);
        goto out;
    }
    if (!p.out) {
        rc = usage_error("-o OUT is required (.png, .svg, .pdf, or - for the terminal)");
        goto out;
    }
    if (!out_format(p.out)) {
        rc = usage_error("cannot tell the output format of '%s'; accepted: .png, .svg, .pdf, or - for the terminal",
                         p.out);
        goto out;
    }
    if (p.from_us != NO_TIME && p.to_us != NO_TIME && p.to_us <= p.from_us) {
        rc = usage_error("--to (%.3f ms) must be after --from (%.3f ms)", ms(p.to_us), ms(p.from_us));
        goto out;
    }
    for (size_t i = 0; i < p.ntraces; i++)
        if (strcmp(p.traces[i], "-") != 0 && access(p.traces[i], R_OK) != 0) {
            tool_error(PROG, "cannot open %s: %s", p.traces[i], strerror(errno));
            rc = EXIT_NOINPUT;
            goto out;
        } else if (strcmp(p.traces[i], "-") == 0) {
            rc = usage_error("plot reads its traces more than once: give a file, not '-'");
            goto out;
        }
    char script[PATH_MAX + 64];
    if (find_plots_dir(script, sizeof script, p.kind) != 0) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    /* can the output be written? (gnuplot's own message would be cryptic) */
    if (strcmp(p.out, "-") != 0) {
        FILE *f = fopen(p.out, "w");
        if (!f) {
            tool_error(PROG, "cannot write %s: %s", p.out, strerror(errno));
            rc = EXIT_IOERR;
            goto out;
        }
        fclose(f);
    }
    if (p.keep_dir) {
        if (mkdir(p.keep_dir, 0777) != 0 && errno != EEXIST) {
            tool_error(PROG, "cannot create %s: %s", p.keep_dir, strerror(errno));
            rc = EXIT_IOERR;
            goto out;
        }
        snprintf(p.dir, sizeof p.dir, "%s", p.keep_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(p.dir, sizeof p.dir, "%s/clustersim-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(p.dir)) {
            tool_error(PROG, "cannot create a temporary directory %s: %s", p.dir, strerror(errno));
            rc = EXIT_IOERR;
            goto out;
        }
    }
    p.trace_end_us = 0;
    if (strcmp(p.kind, "timeline") == 0)
        rc = plot_timeline(&p);
    else if (strcmp(p.kind, "messages") == 0)
        rc = plot_messages(&p);
    else if (strcmp(p.kind, "latency") == 0)
        rc = plot_latency(&p);
    else if (strcmp(p.kind, "cdf") == 0)
        rc = plot_cdf(&p);
    else if (strcmp(p.kind, "commit") == 0)
        rc = plot_commit(&p);
    else if (strcmp(p.kind, "load") == 0)
        rc = plot_load(&p);
    else
        rc = plot_elections(&p);
    if (!rc)
        rc = run_gnuplot(&p, script);
    if (rc && strcmp(p.out, "-") != 0) {
        struct stat st;
        if (stat(p.out, &st) == 0 && st.st_size == 0)
            unlink(p.out);       /* the empty file made to test writability */
    }
    if (!p.keep_dir)
        remove_dir(p.dir);
out:
    for (size_t i = 0; i < p.nfiles; i++)
        free(p.files[i]);
    free(p.files);
    free(p.traces);
    free(p.nodes);
    return rc;
}
