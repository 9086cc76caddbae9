/* tools/plot_queues.c: `clustersim plot --kind queues` — queue length per
 * server over time, as a heat map (time across, one row per server, colour
 * the time-weighted mean number of requests at the server in each time
 * bin), from the load balancer's `queue` notes ({"type":"queue","node":S,
 * "len":L} whenever server S's number in system changes). The herd effect
 * of stale load reports shows as bright stripes moving from server to
 * server; a slow server as a bright row; a crash as a row going dark. */
#include "tools/cmd.h"
#include "tools/plot_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_BINS 300
#define QUEUE_MAX_ROWS 100

struct qrec { int64_t t; int32_t node, len; };

struct queues {
    struct qrec *v;
    size_t n, cap;
    int max_node;
};

static int queue_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct queues *q = ud;
    int64_t node, len;
    if (strcmp(rec_type(rec), "queue") != 0 || !json_has_int(rec, "node", &node) || !json_has_int(rec, "len", &len) ||
        node < 1 || node > PLOT_MAX_ID || len < 0 || len > INT32_MAX || !plot_want_node(p, node))
        return 0;
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 4096;
        q->v = xrealloc(q->v, q->cap * sizeof *q->v);
    }
    q->v[q->n].t = rec_t(rec);
    q->v[q->n].node = (int32_t)node;
    q->v[q->n].len = (int32_t)len;
    q->n++;
    if (node > q->max_node)
        q->max_node = (int)node;
    return 0;
}

/* Add len over [a, b) (us) to row's bins. */
static void spread(double *row, int64_t from, double width, int64_t a, int64_t b, int len)
{
    if (len == 0 || b <= a)
        return;
    int i = (int)floor((double)(a - from) / width);
    if (i < 0)
        i = 0;
    for (; i < QUEUE_BINS; i++) {
        double lo = (double)from + i * width, hi = lo + width;
        double x = (double)a > lo ? (double)a : lo, y = (double)b < hi ? (double)b : hi;
        if (y > x)
            row[i] += len * (y - x) / width;
        if (hi >= (double)b)
            break;
    }
}

int plot_queues(struct plot *p)
{
    struct queues q;
    memset(&q, 0, sizeof q);
    int rc = plot_read_trace(p, p->traces[0], queue_rec, &q, 0);
    if (!rc && q.n == 0) {
        tool_error(PROG, "trace has no queue records: the queues plot needs a load-balancing run (algorithm \"lb\") "
                         "traced at level state or messages%s", p->nodes ? " for the servers given with --nodes" : "");
        rc = EXIT_CHECK_FAILED;
    }
    if (rc) {
        free(q.v);
        return rc;
    }
    int64_t from = p->from_us != NO_TIME ? p->from_us : 0;
    int64_t to = p->to_us != NO_TIME ? p->to_us : p->trace_end_us;
    if (to <= from)
        to = from + 1;
    double width = (double)(to - from) / QUEUE_BINS;
    int lo = INT32_MAX, hi = 0, nservers = 0;
    char *seen = calloc((size_t)q.max_node + 1, 1);
    if (!seen)
        abort();
    for (size_t i = 0; i < q.n; i++)
        seen[q.v[i].node] = 1;
    for (int s = 1; s <= q.max_node; s++)
        if (seen[s]) {
            nservers++;
            lo = s < lo ? s : lo;
            hi = s;
        }
    if (hi - lo + 1 > QUEUE_MAX_ROWS) {
        hi = lo + QUEUE_MAX_ROWS - 1;
        plot_subtitle(p, "servers %d-%d of %d (--nodes chooses)", lo, hi, nservers);
    }
    int rows = hi - lo + 1;
    if (nservers == 0 || rows < 1 || rows > QUEUE_MAX_ROWS) {     /* q.n > 0 names a server: cannot happen */
        free(seen);
        free(q.v);
        return plot_nothing(p, "no server with queue records");
    }
    double *grid = calloc((size_t)rows * QUEUE_BINS, sizeof *grid);
    int64_t *last_t = malloc((size_t)rows * sizeof *last_t);
    int *last_len = calloc((size_t)rows, sizeof *last_len);
    if (!grid || !last_t || !last_len)
        abort();
    for (int r = 0; r < rows; r++)
        last_t[r] = 0;
    for (size_t i = 0; i < q.n; i++) {
        int r = q.v[i].node - lo;
        if (r < 0 || r >= rows)
            continue;
        int64_t a = last_t[r] > from ? last_t[r] : from, b = q.v[i].t < to ? q.v[i].t : to;
        spread(grid + (size_t)r * QUEUE_BINS, from, width, a, b, last_len[r]);
        last_t[r] = q.v[i].t;
        last_len[r] = q.v[i].len;
    }
    double top = 0;
    for (int r = 0; r < rows; r++) {
        int64_t a = last_t[r] > from ? last_t[r] : from;
        spread(grid + (size_t)r * QUEUE_BINS, from, width, a, to, last_len[r]);
        for (int i = 0; i < QUEUE_BINS; i++)
            top = grid[(size_t)r * QUEUE_BINS + i] > top ? grid[(size_t)r * QUEUE_BINS + i] : top;
    }
    struct dfile d;
    if (plot_dfile_open(p, &d, "queues.tsv", 3, "t_ms\tserver\tqueue"))
        rc = EXIT_IOERR;
    for (int r = 0; !rc && r < rows; r++)
        for (int i = 0; i < QUEUE_BINS; i++)
            plot_drow(&d, "%.3f\t%d\t%.4g", ms(from) + (i + 0.5) * width / US_PER_MS, lo + r,
                      grid[(size_t)r * QUEUE_BINS + i]);
    if (!rc && plot_dfile_close(&d))
        rc = EXIT_IOERR;
    size_t len = strlen(p->auto_title);
    snprintf(p->auto_title + len, sizeof p->auto_title - len, "%squeue length per server (max %.3g)", len ? " - " : "",
             top);
    p->view_from_us = from;
    p->view_to_us = to;
    free(seen);
    free(grid);
    free(last_t);
    free(last_len);
    free(q.v);
    return rc;
}
