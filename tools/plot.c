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
#include "tools/plot_int.h"
#include "sim/outpath.h"

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

static const char *const kinds[] = {"timeline", "messages", "latency", "cdf", "commit", "load", "elections", "moved",
                                    "queues", NULL};

/* A kind whose data asks for another script than KIND.gp (the load of a
 * sharded store, keys and requests, draws with load_hash.gp). */
static const char *script_kind;

/* Colours for series without one of their own (message types, unknown roles). */
const unsigned plot_palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
const size_t plot_npalette = sizeof plot_palette / sizeof plot_palette[0];

/* ---- options ---- */

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
                         "         [--from MS] [--to MS] [--nodes 1,2,3] [--clients] [--title T] [--data DIR]", fmt, ap);
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
void plot_gp_var(struct plot *p, const char *name, long value)
{
    size_t n = strlen(p->vars);
    snprintf(p->vars + n, sizeof p->vars - n, "%s%s=%ld", n ? "; " : "", name, value);
}

/* About as many characters as fit across the 1200-pixel picture at the
 * subtitle's 10 points. Clauses come in order of importance: one that no
 * longer fits is left out whole; a first clause that is too long is cut. */
#define SUBTITLE_MAX 130

void plot_subtitle(struct plot *p, const char *fmt, ...)
{
    char clause[sizeof p->subtitle];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(clause, sizeof clause, fmt, ap);
    va_end(ap);
    size_t n = strlen(p->subtitle);
    if (n == 0) {
        if (strlen(clause) > SUBTITLE_MAX) {
            size_t cut = SUBTITLE_MAX - 3;
            while (cut > 0 && ((unsigned char)clause[cut] & 0xc0) == 0x80)
                cut--;       /* not inside a UTF-8 character */
            strcpy(clause + cut, "...");
        }
        strcpy(p->subtitle, clause);
    } else if (n + 2 + strlen(clause) <= SUBTITLE_MAX) {   /* SUBTITLE_MAX < sizeof p->subtitle */
        memcpy(p->subtitle + n, "; ", 2);
        strcpy(p->subtitle + n + 2, clause);
    }
}

int plot_nothing(const struct plot *p, const char *fmt, ...)
{
    char what[512], filters[160] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* say which of the user's filters emptied the picture, if any did */
    int n = 0;
    if (p->nodes_arg)
        n = snprintf(filters, sizeof filters, " for --nodes %.40s", p->nodes_arg);
    if (p->from_us != NO_TIME && p->to_us != NO_TIME)
        snprintf(filters + n, sizeof filters - (size_t)n, " in %.0f..%.0f ms", ms(p->from_us), ms(p->to_us));
    else if (p->from_us != NO_TIME)
        snprintf(filters + n, sizeof filters - (size_t)n, " after %.0f ms", ms(p->from_us));
    else if (p->to_us != NO_TIME)
        snprintf(filters + n, sizeof filters - (size_t)n, " before %.0f ms", ms(p->to_us));
    tool_error(PROG, "nothing to draw: %s%s", what, filters);
    return EXIT_CHECK_FAILED;
}

int64_t plot_duration_us(const cJSON *rec, const char *name)
{
    double v = json_num(rec, name, 0) * US_PER_MS;
    if (!(v > 0))             /* negative, zero or NaN */
        return 0;
    return v >= (double)PLOT_MAX_US ? PLOT_MAX_US : (int64_t)v;
}

void plot_clock_label(const cJSON *rec, char *out, size_t n)
{
    /* the engine's clock record names the change it made (set_drift_ppm,
     * step_ms or set_offset_ms; sim/engine.c, clock_record) and the state
     * after it (drift_ppm, offset_ms); older traces have only the state */
    const cJSON *v;
    double ppm = NAN;
    if ((v = cJSON_GetObjectItemCaseSensitive(rec, "set_drift_ppm")) && cJSON_IsNumber(v))
        ppm = v->valuedouble;
    else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "step_ms")) && cJSON_IsNumber(v) && v->valuedouble != 0) {
        snprintf(out, n, "step %+.4g ms", v->valuedouble);
        return;
    } else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "set_offset_ms")) && cJSON_IsNumber(v)) {
        snprintf(out, n, "offset %.4g ms", v->valuedouble);
        return;
    } else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "drift_ppm")) && cJSON_IsNumber(v))
        ppm = v->valuedouble;
    if (isnan(ppm))
        snprintf(out, n, "clock");
    else if (fabs(ppm) >= 10000 && fabs(ppm) < 1e12)   /* +40% reads better than +400000 ppm */
        snprintf(out, n, "drift %+.4g%%", ppm / 10000);
    else
        snprintf(out, n, "drift %+.4g ppm", ppm);
}

int plot_want_node(const struct plot *p, int64_t node)
{
    if (!p->nodes)
        return 1;
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i] == node)
            return 1;
    return 0;
}

int plot_in_window(const struct plot *p, int64_t t)
{
    return (p->from_us == NO_TIME || t >= p->from_us) && (p->to_us == NO_TIME || t <= p->to_us);
}

/* ---- data files ---- */

int plot_dfile_open(struct plot *p, struct dfile *d, const char *name, int ncols, const char *header)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    d->ncols = ncols;
    d->rows = 0;
    d->f = NULL;
    if (refuse_output_over_input(PROG, path, p->traces, (int)p->ntraces) != 0)
        return -1;
    d->f = fopen(path, "w");
    if (!d->f) {
        tool_error(PROG, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(d->f, "%s\n", header);
    p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof *p->files);
    p->files[p->nfiles++] = xstrdup(path);
    return 0;
}

void plot_drow(struct dfile *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->f, fmt, ap);
    va_end(ap);
    fputc('\n', d->f);
    d->rows++;
}

int plot_dfile_close(struct dfile *d)
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

/* Text for a TSV plot_cell or a column header: no tabs or newlines. */
void plot_cell(char *dst, size_t n, const char *src)
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
int plot_merge_series(struct plot *p, size_t first, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    if (refuse_output_over_input(PROG, path, p->traces, (int)p->ntraces) != 0)
        return EXIT_USAGE;
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
void plot_last_to_front(struct plot *p)
{
    char *f = p->files[p->nfiles - 1];
    memmove(p->files + 1, p->files, (p->nfiles - 1) * sizeof *p->files);
    p->files[0] = f;
}

/* ---- reading ---- */

typedef int (*rec_fn)(struct plot *p, void *ud, const cJSON *rec);

/* Stream one trace through FN. Returns 0, or an exit status. */
/* Every id the kinds use as an index, and every time, is checked here once,
 * so no kind can be handed one out of range: a trace that names node
 * 100,006 is refused with its line, not drawn into a table of 100,000. */
static int check_ids(const struct trace_reader *r, const cJSON *rec)
{
    static const struct { const char *field; int signed_client; } ids[] = {
        {"node", 0}, {"client", 0}, {"src", 1}, {"dst", 1},   /* src/dst: a client is -k */
    };
    int64_t v;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (!json_has_int(rec, ids[i].field, &v))
            continue;
        int64_t a = v < 0 && ids[i].signed_client ? -v : v;
        if (a >= 1 && a <= PLOT_MAX_ID)
            continue;
        if (ids[i].signed_client)
            tool_error(PROG, "%s:%ld: %s %lld is out of range: plot accepts 1..%d for a node, -1..-%d for a client",
                       r->path, r->line, ids[i].field, (long long)v, PLOT_MAX_ID, PLOT_MAX_ID);
        else
            tool_error(PROG, "%s:%ld: %s %lld is out of range: plot accepts 1..%d", r->path, r->line, ids[i].field,
                       (long long)v, PLOT_MAX_ID);
        return EXIT_DATAERR;
    }
    if (strcmp(rec_type(rec), "header") == 0 && json_has_int(rec, "nodes", &v) && (v < 0 || v > PLOT_MAX_ID)) {
        tool_error(PROG, "%s:%ld: header says nodes %lld: plot accepts 0..%d", r->path, r->line, (long long)v,
                   PLOT_MAX_ID);
        return EXIT_DATAERR;
    }
    if (json_has_int(rec, "t", &v) && (v < 0 || v > PLOT_MAX_US)) {
        tool_error(PROG, "%s:%ld: t %lld is out of range: plot accepts 0..%lld us", r->path, r->line, (long long)v,
                   (long long)PLOT_MAX_US);
        return EXIT_DATAERR;
    }
    return 0;
}

int plot_read_trace(struct plot *p, const char *path, rec_fn fn, void *ud, int quiet)
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
        rc = check_ids(&r, rec);
        if (!rc)
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
            plot_cell(base, sizeof base, slash ? slash + 1 : sc ? sc : path);
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
    int rc = plot_read_trace(p, path, ops_rec, ops, 0);
    trace_ops_finish(ops);
    if (!rc)
        rc = trace_ops_verdict(PROG, ops);
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
    if (!rc && (plot_dfile_open(p, &ok, "ok.tsv", 2, "t_ms\tok") || plot_dfile_open(p, &fail, "fail.tsv", 2, "t_ms\tfail") ||
                plot_dfile_open(p, &info, "info.tsv", 2, "t_ms\ttimeout or unknown")))
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
        if (op->complete_us < 0 || op->latency_ms < 0 || !plot_in_window(p, op->complete_us))
            continue;
        if (p->nodes && !plot_want_node(p, op->node))
            continue;
        struct dfile *d = op->status == OP_OK ? &ok : op->status == OP_FAIL ? &fail : &info;
        plot_drow(d, "%.3f\t%.3f", ms(op->complete_us), op->latency_ms);
        if (op->status == OP_OK) {
            okv[n].t = ms(op->complete_us);
            okv[n].lat = op->latency_ms;
            n++;
        }
    }
    long ndrawn = ok.rows + fail.rows + info.rows;
    if (ndrawn == 0) {
        /* e.g. a trace cut before any operation finished: gnuplot would
         * fail on empty data, so say what is missing instead */
        size_t open_ops = 0;
        for (size_t i = 0; i < ops.n; i++)
            open_ops += ops.v[i].complete_us < 0;
        free(okv);
        plot_dfile_close(&ok), plot_dfile_close(&fail), plot_dfile_close(&info);
        trace_ops_free(&ops);
        if (open_ops)
            return plot_nothing(p, "no client operation completed (%zu without a completion: the trace may be cut "
                                   "short)", open_ops);
        return plot_nothing(p, "no client operation completed");
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
    int crc = plot_dfile_open(p, &roll, "rolling.tsv", 3, hdr);
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
            plot_drow(&roll, "%.3f\t%.3f\t%.3f", okv[i].t, percentile(buf, k, 0.5), percentile(buf, k, 0.99));
    }
    free(buf);
    free(okv);
    if (!crc)
        crc = plot_dfile_close(&roll);
    crc |= plot_dfile_close(&ok) | plot_dfile_close(&fail) | plot_dfile_close(&info);
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
    plot_cell(out, n, alike ? p->traces[f] : base_name(p->traces[f]));
}

static int plot_cdf(struct plot *p)
{
    int rc = 0;
    size_t nall = 0;          /* successful operations over all traces */
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
            if (ops.v[i].status == OP_OK && ops.v[i].latency_ms >= 0 && plot_in_window(p, ops.v[i].complete_us))
                lat[n++] = ops.v[i].latency_ms;
        qsort(lat, n, sizeof *lat, cmp_double);
        nall += n;
        char name[64], header[512], tn[256];
        snprintf(name, sizeof name, "cdf-%zu.tsv", f + 1);
        trace_legend(p, f, tn, sizeof tn);
        snprintf(header, sizeof header, "latency_ms\t%s (n=%zu, p50=%.4g ms, p99=%.4g ms)", tn, n,
                 percentile(lat, n, 0.5), percentile(lat, n, 0.99));
        struct dfile d;
        if (plot_dfile_open(p, &d, name, 2, header)) {
            rc = EXIT_IOERR;
        } else {
            if (n > 0)
                plot_drow(&d, "%.4f\t0", lat[0]);      /* the curve rises from 0 */
            for (size_t i = 0; i < n; i++)
                if (i + 1 == n || lat[i + 1] != lat[i])
                    plot_drow(&d, "%.4f\t%.6f", lat[i], (double)(i + 1) / (double)n);
            if (plot_dfile_close(&d))
                rc = EXIT_IOERR;
        }
        if (!rc && n == 0)
            tool_error(PROG, "warning: %s has no successful operations to draw", p->traces[f]);
        free(lat);
        trace_ops_free(&ops);
    }
    if (!rc && nall == 0)
        rc = plot_nothing(p, "no client operation succeeded, so there is no latency to draw a CDF of");
    if (!rc)
        rc = plot_merge_series(p, 0, "cdf.tsv");
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
    /* Raft's "commit" (index) or Paxos's "chosen" (slot): notes of a node's
     * commit point moving, one per entry, in order. */
    int is_commit = strcmp(rec_type(rec), "commit") == 0;
    if ((!is_commit && strcmp(rec_type(rec), "chosen") != 0) || !json_has_int(rec, "node", &node) ||
        !json_has_int(rec, is_commit ? "index" : "slot", &index) || node < 1 || node > PLOT_MAX_ID)
        return 0;
    c->ncommit++;
    if (!plot_want_node(p, node) || !plot_in_window(p, t))
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
        if (plot_dfile_open(p, &c->files[node], name, 2, header))
            return EXIT_IOERR;
    }
    if (index != c->last[node]) {
        plot_drow(&c->files[node], "%.3f\t%lld", ms(t), (long long)index);
        c->last[node] = index;
    }
    return 0;
}

static int plot_commit(struct plot *p)
{
    struct commit c;
    memset(&c, 0, sizeof c);
    int rc = plot_read_trace(p, p->traces[0], commit_rec, &c, 0);
    if (!rc && c.ncommit == 0) {
        tool_error(PROG, "trace has no commit records: the commit plot needs an algorithm that notes "
                         "commits (raft, paxos)");
        rc = EXIT_CHECK_FAILED;
    } else if (!rc && p->nfiles == 0) {
        rc = plot_nothing(p, "no commit records");
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
            plot_drow(&c.files[i], "%.3f\t%lld", ms(end), (long long)c.last[i]);
        crc |= plot_dfile_close(&c.files[i]);
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
        rc = plot_merge_series(p, 0, "commit.tsv");
    if (p->from_us != NO_TIME || p->to_us != NO_TIME) {
        p->view_from_us = p->from_us == NO_TIME ? 0 : p->from_us;
        p->view_to_us = p->to_us == NO_TIME ? p->trace_end_us : p->to_us;
    }
    return rc ? rc : crc ? EXIT_IOERR : 0;
}

/* ---- load ---- */

struct load {
    double *value;      /* by server id; NAN if none */
    double *served;     /* by server id: the load record's "requests" (a sharded store), NAN if none */
    int64_t nserved;
    int64_t *requests;  /* request records per node, the fallback */
    int64_t *by_server; /* ok replies naming the "server" that served them (load balancing) */
    int64_t nby_server;
    int max;
    int64_t nload, nrequest, header_nodes;
    int64_t nany;       /* load and request records of any node, at any time */
};

static void load_grow(struct load *l, int64_t node)
{
    if (node <= l->max)
        return;
    l->value = xrealloc(l->value, ((size_t)node + 1) * sizeof *l->value);
    l->served = xrealloc(l->served, ((size_t)node + 1) * sizeof *l->served);
    l->requests = xrealloc(l->requests, ((size_t)node + 1) * sizeof *l->requests);
    l->by_server = xrealloc(l->by_server, ((size_t)node + 1) * sizeof *l->by_server);
    for (int64_t i = l->max + 1; i <= node; i++) {
        l->value[i] = NAN;
        l->served[i] = NAN;
        l->requests[i] = 0;
        l->by_server[i] = 0;
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
    if (strcmp(type, "reply") == 0 && json_has_int(rec, "server", &node) && node >= 1 && node <= PLOT_MAX_ID) {
        const char *st = json_str(rec, "status");
        l->nany++;
        if (!st || strcmp(st, "ok") != 0 || !plot_want_node(p, node) || !plot_in_window(p, t))
            return 0;
        load_grow(l, node);
        l->by_server[node]++;
        l->nby_server++;
        return 0;
    }
    if ((!is_load && !is_req) || !json_has_int(rec, "node", &node) || node < 1 || node > PLOT_MAX_ID)
        return 0;
    l->nany++;
    if (!plot_want_node(p, node) || !plot_in_window(p, t))
        return 0;
    load_grow(l, node);
    if (is_load) {
        l->nload++;
        l->value[node] = json_num(rec, "value", NAN);
        double served = json_num(rec, "requests", NAN);
        if (!isnan(served)) {
            l->served[node] = served;
            l->nserved++;
        }
    } else {
        l->nrequest++;
        l->requests[node]++;
    }
    return 0;
}

/* A sharded store: keys held and requests served per server, two panels. */
static int plot_load_hash(struct plot *p, struct load *l)
{
    double sumk = 0, sumr = 0, maxk = 0;
    int nservers = 0;
    for (int i = 1; i <= l->max; i++) {
        if (isnan(l->value[i]) || !plot_want_node(p, i))
            continue;
        nservers++;
        sumk += l->value[i];
        sumr += isnan(l->served[i]) ? 0 : l->served[i];
        if (l->value[i] > maxk)
            maxk = l->value[i];
    }
    if (nservers == 0)
        return plot_nothing(p, "no server with load records");
    struct dfile d;
    if (plot_dfile_open(p, &d, "load.tsv", 5, "server\tkeys\trequests\tideal_keys\tideal_requests"))
        return EXIT_IOERR;
    for (int i = 1; i <= l->max; i++)
        if (!isnan(l->value[i]) && plot_want_node(p, i))
            plot_drow(&d, "%d\t%g\t%g\t%g\t%g", i, l->value[i], isnan(l->served[i]) ? 0 : l->served[i],
                      sumk / nservers, sumr / nservers);
    if (plot_dfile_close(&d))
        return EXIT_IOERR;
    script_kind = "load_hash";
    size_t len = strlen(p->auto_title);
    snprintf(p->auto_title + len, sizeof p->auto_title - len, "%skeys and requests per server: keys max/ideal = %.2f",
             len ? " - " : "", sumk > 0 ? maxk / (sumk / nservers) : 0.0);
    return 0;
}

static int plot_load(struct plot *p)
{
    struct load l;
    memset(&l, 0, sizeof l);
    int rc = plot_read_trace(p, p->traces[0], load_rec, &l, 0);
    if (!rc && l.nany == 0) {
        tool_error(PROG, "trace has no load records (hashing, load balancing) and no request records: "
                         "the load plot has nothing to count");
        rc = EXIT_CHECK_FAILED;
    } else if (!rc && l.nload == 0 && l.nrequest == 0)
        rc = plot_nothing(p, "no load or request records");
    if (!rc && l.nby_server > 0) {
        /* behind a balancer, requests land on the servers the replies name */
        int top = 0;
        for (int i = 1; i <= l.max; i++) {
            l.requests[i] = l.by_server[i];
            top = l.by_server[i] ? i : top;
        }
        l.max = top;     /* the balancers come after the servers */
        l.nload = 0;
        l.header_nodes = 0;
    }
    if (!rc && l.nserved > 0)
        rc = plot_load_hash(p, &l);
    else if (!rc) {
        int use_requests = l.nload == 0;
        int nservers = 0;
        double sum = 0, maxv = 0;
        for (int i = 1; i <= l.max; i++) {
            double v = use_requests ? (double)l.requests[i] : l.value[i];
            if (isnan(v) || (use_requests && !plot_want_node(p, i)))
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
        if (plot_dfile_open(p, &d, "load.tsv", 3, header))
            rc = EXIT_IOERR;
        long nbars = 0;
        for (int i = 1; !rc && i <= l.max && i <= (nideal > l.max ? nideal : l.max); i++) {
            double v = use_requests ? (double)l.requests[i] : l.value[i];
            if (isnan(v))
                v = 0;
            if (!plot_want_node(p, i))
                continue;
            plot_drow(&d, "%d\t%g\t%g", i, v, ideal);
            nbars++;
        }
        if (!rc && plot_dfile_close(&d))
            rc = EXIT_IOERR;
        if (!rc && nbars == 0)
            rc = plot_nothing(p, "no server with load or requests");
        char extra[160];
        snprintf(extra, sizeof extra, "%s: max/ideal = %.2f",
                 l.nby_server ? "requests per server" : use_requests ? "requests per node" : "load per server",
                 ideal > 0 ? maxv / ideal : 0.0);
        size_t len = strlen(p->auto_title);
        snprintf(p->auto_title + len, sizeof p->auto_title - len, "%s%s", len ? " - " : "", extra);
    }
    free(l.value);
    free(l.served);
    free(l.requests);
    free(l.by_server);
    return rc;
}

/* ---- moved ---- */

/* Keys moved by membership changes: `moved` records (sim.hash.moved) and
 * `rebalance` notes (the hashring store), one bar each, in trace order. */
struct moved {
    struct dfile d;
    int open;
    long rows;
    int rc;
};

static int moved_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct moved *m = ud;
    const char *type = rec_type(rec);
    int is_moved = strcmp(type, "moved") == 0, is_reb = strcmp(type, "rebalance") == 0;
    if ((!is_moved && !is_reb) || !plot_in_window(p, rec_t(rec)))
        return 0;
    double f = json_num(rec, is_moved ? "fraction" : "moved_fraction", NAN);
    double ideal = json_num(rec, is_moved ? "ideal" : "ideal_fraction", NAN);
    if (isnan(f) || isnan(ideal))
        return 0;
    char label[96];
    const char *l = json_str(rec, "label");
    const char *scheme = json_str(rec, "scheme");
    if (l && *l)
        snprintf(label, sizeof label, "%.90s", l);
    else if (is_moved)
        snprintf(label, sizeof label, "%.40s %lld->%lld", scheme ? scheme : "?",
                 (long long)json_int(rec, "from", 0), (long long)json_int(rec, "to", 0));
    else
        snprintf(label, sizeof label, "%.40s %.8s %lld", scheme ? scheme : "?",
                 json_str(rec, "change") ? json_str(rec, "change") : "?", (long long)json_int(rec, "server", 0));
    for (char *c = label; *c; c++)
        if (*c == '\t' || *c == '\n' || *c == '"')
            *c = ' ';
    if (!m->open) {
        if (plot_dfile_open(p, &m->d, "moved.tsv", 3, "label\tmoved\tideal"))
            return m->rc = EXIT_IOERR;
        m->open = 1;
    }
    plot_drow(&m->d, "%s\t%g\t%g", label, f, ideal);
    m->rows++;
    return 0;
}

static int plot_moved(struct plot *p)
{
    struct moved m;
    memset(&m, 0, sizeof m);
    int rc = plot_read_trace(p, p->traces[0], moved_rec, &m, 0);
    if (!rc)
        rc = m.rc;
    if (m.open && plot_dfile_close(&m.d) && !rc)
        rc = EXIT_IOERR;
    if (!rc && m.rows == 0) {
        tool_error(PROG, "trace has no moved records (sim.hash.moved) and no rebalance records (c:add_node or "
                         "c:remove_node on a hashring cluster): the moved plot has nothing to draw");
        rc = EXIT_CHECK_FAILED;
    }
    if (!rc) {
        size_t len = strlen(p->auto_title);
        snprintf(p->auto_title + len, sizeof p->auto_title - len, "%skeys moved per scheme (%ld changes)",
                 len ? " - " : "", m.rows);
    }
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
    if (!json_has_int(rec, "node", &node) || node < 1 || node > PLOT_MAX_ID || t < 0)
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
            if (plot_in_window(p, e->crash_at)) {
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
    if (plot_dfile_open(p, &d, name, 2, header))
        return EXIT_IOERR;
    plot_drow(&d, "%.3f\t0", dur[0]);
    for (size_t i = 0; i < n; i++)
        plot_drow(&d, "%.3f\t%.6f", dur[i], (double)(i + 1) / (double)n);
    return plot_dfile_close(&d) ? EXIT_IOERR : 0;
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
        rc = plot_read_trace(p, p->traces[f], elections_rec, &e, 0);
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
            rc = plot_merge_series(p, 0, "elections.tsv");
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
    if (p->subtitle[0]) {
        owned[2] = gp_string("subtitle", p->subtitle);
        argv[argc++] = "-e";
        argv[argc++] = owned[2];
    }
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
    free(owned[2]);
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

/* --data DIR: refuse before writing anything if a data file plot may write
 * (every one ends in .tsv) already exists in DIR as a name for an input
 * trace, e.g. a symlink DIR/lanes.tsv -> ../t.jsonl. plot_dfile_open checks
 * again when it creates each file. */
static int refuse_data_over_input(const struct plot *p)
{
    DIR *d = opendir(p->keep_dir);
    if (!d)
        return 0;            /* created later, so nothing in it yet */
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".tsv") != 0)
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", p->keep_dir, e->d_name);
        rc = refuse_output_over_input(PROG, path, p->traces, (int)p->ntraces);
    }
    closedir(d);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    return plot_run(argc, argv, 1);
}

int plot_run(int argc, char **argv, int draw)
{
    struct plot p;
    memset(&p, 0, sizeof p);
    script_kind = NULL;
    p.from_us = p.to_us = NO_TIME;
    p.view_from_us = p.view_to_us = NO_TIME;
    p.traces = xrealloc(NULL, (size_t)(argc + 1) * sizeof *p.traces);
    p.draw = draw;
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
                p.nodes_arg = v;
            } else if (strcmp(a, "--title") == 0)
                p.title = v;
            else
                p.keep_dir = v;
        } else if (strcmp(a, "--clients") == 0) {
            p.show_clients = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: clustersim plot TRACE.jsonl [TRACE2 ...] --kind KIND -o OUT.(png|svg|pdf|-)\n"
                   "         [--from MS] [--to MS] [--nodes 1,2,3] [--clients] [--title T] [--data DIR]\n"
                   "kinds: timeline messages latency cdf commit load elections moved\n"
                   "  -o -        draw on the terminal (gnuplot's dumb terminal)\n"
                   "  --clients   messages: a lane per client too (hidden by default)\n"
                   "  --data DIR  keep the data files in DIR and print the gnuplot command\n");
            goto out;
        } else if (a[0] == '-' && a[1] != 0) {
            rc = usage_error("unknown option '%s'; accepted: --kind, -o, --from, --to, --nodes, --clients, --title, "
                             "--data", a);
            goto out;
        } else {
            p.traces[p.ntraces++] = a;
        }
    }
    if (!p.kind) {
        rc = usage_error("--kind is required: timeline, messages, latency, cdf, commit, load, elections, moved or queues");
        goto out;
    }
    int known = 0;
    for (int i = 0; kinds[i]; i++)
        known |= strcmp(kinds[i], p.kind) == 0;
    if (!known) {
        rc = usage_error("unknown kind '%s'; accepted: timeline, messages, latency, cdf, commit, load, elections, moved, "
                         "queues",
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
    char script[PATH_MAX + 64] = "";
    if (draw && find_plots_dir(script, sizeof script, p.kind) != 0) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    /* `plot t.jsonl -o t.jsonl` (or a link to it) would empty the trace it
     * is about to read: refuse before anything is opened for writing */
    if ((rc = refuse_output_over_input(PROG, p.out, p.traces, (int)p.ntraces)) != 0 ||
        (p.keep_dir && (rc = refuse_data_over_input(&p)) != 0))
        goto out;
    /* can the output be written? (gnuplot's own message would be cryptic) */
    if (draw && strcmp(p.out, "-") != 0) {
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
    else if (strcmp(p.kind, "moved") == 0)
        rc = plot_moved(&p);
    else if (strcmp(p.kind, "queues") == 0)
        rc = plot_queues(&p);
    else
        rc = plot_elections(&p);
    if (!rc && draw && script_kind && find_plots_dir(script, sizeof script, script_kind) != 0)
        rc = EXIT_INTERNAL;
    if (!rc && draw)
        rc = run_gnuplot(&p, script);
    if (rc && draw && strcmp(p.out, "-") != 0) {
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
