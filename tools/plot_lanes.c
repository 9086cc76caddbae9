/* tools/plot_lanes.c: the plot kinds drawn on one lane per node.
 *
 * timeline: each node's role over time, crashes, pauses, partitions,
 * failure-detector suspicions, clock changes and the violation instant.
 * messages: a space-time (Lamport) diagram of a window of the run, an arrow
 * per message, with the same lane events, clock changes and violation.
 * The rest of the command (options, data files, reading) is in plot.c. */
#include "tools/plot_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Colours: fixed for the roles everyone knows, the palette for the rest. */

static unsigned role_colour(const char *role, size_t nth_unknown)
{
    static const struct { const char *name; unsigned rgb; } known[] = {
        {"follower", 0x9ecae1}, {"precandidate", 0xfdd49e}, {"candidate", 0xfd8d3c},
        {"leader", 0x238b45}, {"proposer", 0x6a51a3}, {"acceptor", 0x9ecae1},
        {"learner", 0xc7e9c0}, {"holder", 0x238b45}, {"waiting", 0xfd8d3c},
        /* the lock service's lanes (timeline_lock_rec) */
        {"lease held", 0x238b45}, {"lease, released", 0x74c476}, {"lease, expired", 0xe6550d},
        {"client believes it holds", 0xbcbddc},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(role, known[i].name) == 0)
            return known[i].rgb;
    return plot_palette[nth_unknown % plot_npalette];
}
/* ---- per-node state shared by timeline and messages ---- */

struct lane_state {
    int seen;
    char *role;
    int64_t term;
    char ballot[24];        /* Paxos: the role's ballot "round.node", "" otherwise */
    int64_t role_since;
    int64_t down_since;     /* -1 if up */
    int64_t pause_since;    /* -1 if running */
    int64_t pause_until;
    int removed;
};

/* term = LOCK_LABEL: the ballot field holds a lock lane's label as is */
#define LOCK_LABEL (-2)

struct lanes {
    struct lane_state *v;   /* indexed by node id (nodes are 1..n) */
    int max;
};

static struct lane_state *lane(struct lanes *l, int64_t node)
{
    if (node < 1 || node > PLOT_MAX_ID)     /* plot_read_trace refuses these; never index with one */
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

/* A lane for each node the header declares (the first 1000: beyond that a
 * lane appears only for a node the trace mentions), so a node that never
 * does anything still shows. */
static void lanes_from_header(const struct plot *p, struct lanes *l, const cJSON *rec)
{
    int64_t n = json_int(rec, "nodes", 0);
    for (int64_t i = 1; i <= n && i <= 1000; i++)
        if (plot_want_node(p, i))
            lane(l, i)->seen = 1;
}

static void lanes_free(struct lanes *l)
{
    for (int i = 1; i <= l->max; i++)
        free(l->v[i].role);
    free(l->v);
}

/* Clock changes (on a node's lane) and violations (across all lanes), kept
 * until the lanes are known, then written as marks.tsv: block 0 the clock
 * changes, block 1 the violations, each row  t_ms lane label label_t_ms
 * label_lane  (the label goes at (label_t_ms, label_lane); " " if none fits). */
struct mark {
    int64_t t;
    int lane;              /* 0 for a violation */
    char label[96];
    double label_ms, label_lane;   /* where the label goes, set by the kind */
    int placed;                    /* 0: no room, the mark goes unlabelled */
};

struct marks {
    struct mark *v;
    size_t n, cap;
};

static void mark_add(struct marks *list, int64_t t, int lane_id, const char *label)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 32;
        list->v = xrealloc(list->v, list->cap * sizeof *list->v);
    }
    struct mark *m = &list->v[list->n++];
    m->t = t;
    m->lane = lane_id;
    plot_cell(m->label, sizeof m->label, label);
}

static int write_marks_block(struct plot *p, const char *name, const struct marks *list)
{
    struct dfile d;
    if (plot_dfile_open(p, &d, name, 5, "t_ms\tlane\tlabel\tlabel_t_ms\tlabel_lane"))
        return EXIT_IOERR;
    d.has_labels = 1;
    for (size_t i = 0; i < list->n; i++) {
        const struct mark *m = &list->v[i];
        plot_drow(&d, "%.3f\t%d\t%s\t%.3f\t%.3f", ms(m->t), m->lane, m->placed ? m->label : " ", m->label_ms,
                  m->label_lane);
    }
    return plot_dfile_close(&d) ? EXIT_IOERR : 0;
}

/* marks.tsv, as the last data file; frees both lists. `transfers`: how many
 * of the lane marks are leadership transfers rather than clock changes (the
 * legend names what is there: has_clock 1 clocks, 2 transfers, 3 both). */
static int write_marks(struct plot *p, struct marks *clocks, struct marks *viols, size_t transfers)
{
    size_t first = p->nfiles;
    int rc = write_marks_block(p, "clock.tsv", clocks);
    if (!rc)
        rc = write_marks_block(p, "violation.tsv", viols);
    if (!rc)
        rc = plot_merge_series(p, first, "marks.tsv");
    plot_gp_var(p, "has_clock", (clocks->n > transfers ? 1 : 0) | (transfers ? 2 : 0));
    plot_gp_var(p, "has_violation", viols->n > 0);
    free(clocks->v);
    free(viols->v);
    clocks->v = viols->v = NULL;
    clocks->n = viols->n = 0;
    return rc;
}

/* A violation record's label, and the subtitle clause naming it in full. */
static void violation_seen(struct plot *p, struct marks *viol, const cJSON *rec, int64_t t)
{
    const char *inv = json_str(rec, "invariant"), *detail = json_str(rec, "detail");
    char label[96];
    snprintf(label, sizeof label, "violation: %.80s", inv ? inv : "?");
    if (viol->n == 0)
        plot_subtitle(p, "violation at %.10g ms: %.60s%s%.200s", ms(t), inv ? inv : "?", detail ? ": " : "",
                      detail ? detail : "");
    mark_add(viol, t, 0, label);
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
    struct marks clocks, viols;
    int64_t end_us;         /* where segments still open at the end of the trace stop */
    int64_t part_since;     /* -1 if no partition */
    double label_free_ms;   /* partition labels: where the last one ends (approximately) */
    char part_label[256];
    int64_t nrole_records, nsuspect;
    size_t ntransfers;           /* lane marks that are leadership transfers */
    int64_t window_us;      /* width of the drawn window, to decide on term labels */
    int64_t from_us, to_us;
    /* Suspicion marks close together on one lane share one label ("?4,5,6"),
     * or their labels print on top of each other: [lane * 2 + (trust)] */
    struct mark_group *groups;
    int ngroups;
    struct lanes clanes;    /* lock clients' beliefs, drawn below the nodes */
    int64_t nlock;          /* lock records seen */
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
        plot_drow(d, "%.3f\t%d\t%s", ms(g->t[i]), idx / 2, i == 0 ? g->label : "");
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
    plot_cell(r, sizeof r, role);
    snprintf(header, sizeof header, "from_ms\tto_ms\tlane\t%s\tlabel\trgb", r);
    if (plot_dfile_open(p, &rf->d, name, 6, header) != 0)
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
    /* term (or ballot) labels only where they fit */
    if (ls->ballot[0] && (b - a) * 14 >= tl->window_us)
        snprintf(label, sizeof label, "%s%s", ls->term == LOCK_LABEL ? "" : "ballot ", ls->ballot);
    else if (ls->ballot[0] && (b - a) * 40 >= tl->window_us)
        snprintf(label, sizeof label, "%s", ls->ballot);
    else if (ls->ballot[0])
        label[0] = 0;
    else if (ls->term >= 0 && (b - a) * 14 >= tl->window_us)
        snprintf(label, sizeof label, "term %lld", (long long)ls->term);
    else if (ls->term >= 0 && (b - a) * 40 >= tl->window_us)
        snprintf(label, sizeof label, "%lld", (long long)ls->term);
    plot_drow(&rf->d, "%.3f\t%.3f\t%d\t%s\t%s\t%u", ms(a), ms(b), node, ls->role, label[0] ? label : "",
         role_colour(ls->role, nth));
    return 0;
}

static void emit_interval(struct timeline *tl, struct dfile *d, int64_t a, int64_t b, int node)
{
    if (clip(tl, &a, &b))
        plot_drow(d, "%.3f\t%.3f\t%d", ms(a), ms(b), node);
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
        plot_drow(&tl->parts, "%.3f\t%.3f\t%s", ms(a), ms(b), fits ? tl->part_label : " ");
    }
    tl->part_since = -1;
}

/* A lock service's records (algorithms/lock.c, sim/client_lock.c): a
 * server's lane shows each lease from grant to release or expiry (named by
 * how it ended, labelled with the token); the storage's lane marks every
 * write accepted or rejected with its token; a lane per client shows when
 * it believed it held the lock, and its pauses. Returns 1 if rec was one. */
static int timeline_lock_rec(struct plot *p, struct timeline *tl, const char *type, const cJSON *rec, int64_t t,
                             struct lane_state *ls, int64_t node)
{
    if (strncmp(type, "lock_", 5) && strncmp(type, "write_", 6) && strcmp(type, "client_pause"))
        return 0;
    int64_t token = json_int(rec, "token", -1);
    int64_t client = json_int(rec, "client", 0);
    tl->nlock++;
    if (strcmp(type, "lock_grant") == 0 && ls) {
        if (emit_role(p, tl, (int)node, ls, t))
            return -1;
        free(ls->role);
        ls->role = xstrdup("lease held");
        ls->term = LOCK_LABEL;
        snprintf(ls->ballot, sizeof ls->ballot, "c%lld:%lld", (long long)client, (long long)token);
        ls->role_since = t;
    } else if ((strcmp(type, "lock_release") == 0 || strcmp(type, "lock_expire") == 0) && ls && ls->role) {
        free(ls->role);
        ls->role = xstrdup(type[5] == 'r' ? "lease, released" : "lease, expired");
        if (emit_role(p, tl, (int)node, ls, t))
            return -1;
        free(ls->role);
        ls->role = NULL;
        ls->ballot[0] = 0;
    } else if ((strcmp(type, "write_accepted") == 0 || strcmp(type, "write_rejected") == 0) && ls) {
        if (t >= tl->from_us && t <= tl->to_us)
            plot_drow(type[6] == 'a' ? &tl->trust : &tl->suspect, "%.3f\t%d\tc%lld:%lld", ms(t), (int)node,
                      (long long)client, (long long)token);
    } else if (client > 0 && client <= 1000) {
        struct lane_state *cs = lane(&tl->clanes, client);
        int at = tl->lanes.max + (int)client;
        cs->seen = 1;
        if (strcmp(type, "lock_held") == 0) {
            if (emit_role(p, tl, at, cs, t))
                return -1;
            free(cs->role);
            cs->role = xstrdup("client believes it holds");
            cs->term = LOCK_LABEL;
            snprintf(cs->ballot, sizeof cs->ballot, "token %lld", (long long)token);
            cs->role_since = t;
        } else if (strcmp(type, "lock_dropped") == 0) {
            if (emit_role(p, tl, at, cs, t))
                return -1;
            free(cs->role);
            cs->role = NULL;
        } else if (strcmp(type, "client_pause") == 0) {
            int64_t d = plot_duration_us(rec, "ms");
            emit_interval(tl, &tl->paused, t, d > 0 && t + d < tl->end_us ? t + d : tl->end_us, at);
        }
    }
    return 1;
}

static int timeline_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct timeline *tl = ud;
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    int64_t node = json_int(rec, "node", -1);
    struct lane_state *ls = NULL;
    if (strcmp(type, "header") == 0) {
        lanes_from_header(p, &tl->lanes, rec);
        return 0;
    }
    if (t < 0)
        return 0;
    if (node > 0 && plot_want_node(p, node) && strcmp(type, "send") && strcmp(type, "recv")) {
        ls = lane(&tl->lanes, node);
        if (ls)
            ls->seen = 1;
    }
    int lk = timeline_lock_rec(p, tl, type, rec, t, ls, node);
    if (lk)
        return lk < 0 ? EXIT_IOERR : 0;
    if (strcmp(type, "role") == 0)
        tl->nrole_records++;         /* any node's: whether the trace has roles at all */
    else if (strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0)
        tl->nsuspect++;
    if (strcmp(type, "role") == 0 && ls) {
        const char *role = json_str(rec, "role");
        if (!role)
            return 0;
        int64_t term = json_int(rec, "term", -1);
        const char *ballot = json_str(rec, "ballot");
        char bal[sizeof ls->ballot];
        snprintf(bal, sizeof bal, "%s", ballot ? ballot : "");
        if (ls->role && strcmp(ls->role, role) == 0 && ls->term == term && strcmp(ls->ballot, bal) == 0)
            return 0;
        int rc = emit_role(p, tl, (int)node, ls, t);
        if (rc)
            return rc;
        free(ls->role);
        ls->role = xstrdup(role);
        ls->term = term;
        memcpy(ls->ballot, bal, sizeof bal);
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
        ls->pause_until = t + plot_duration_us(rec, "ms");
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
    } else if (strcmp(type, "clock") == 0 && ls) {
        /* a clock step or a drift change is invisible in the roles, yet it
         * is what a clock lesson is about: mark it on the node's lane */
        char label[64];
        plot_clock_label(rec, label, sizeof label);
        if (t >= tl->from_us && t <= tl->to_us)
            mark_add(&tl->clocks, t, (int)node, label);
    } else if (strcmp(type, "transfer") == 0 && ls) {
        /* Raft's leadership transfer (thesis §3.10): when the leader began
         * handing over, and when it gave up; the role change shows the rest */
        const char *phase = json_str(rec, "phase");
        int to = (int)json_int(rec, "to", 0);
        char label[64];
        if (phase && strcmp(phase, "start") == 0)
            snprintf(label, sizeof label, "transfer -> %d", to);
        else if (phase && strcmp(phase, "abort") == 0)
            snprintf(label, sizeof label, "transfer -> %d aborted", to);
        else
            label[0] = 0;
        if (label[0] && t >= tl->from_us && t <= tl->to_us) {
            mark_add(&tl->clocks, t, (int)node, label);
            tl->ntransfers++;
        }
    } else if (strcmp(type, "violation") == 0) {
        if (t >= tl->from_us && t <= tl->to_us)
            violation_seen(p, &tl->viols, rec, t);
    } else if ((strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0) && ls) {
        int64_t target = json_int(rec, "target", 0);
        if (t >= tl->from_us && t <= tl->to_us)
            group_mark(tl, (int)node, type[0] == 't', t, target);
    }
    return 0;
}

static int timeline_finish(struct plot *p, struct timeline *tl)
{
    int64_t end = tl->end_us;
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
    for (int i = 1; i <= tl->clanes.max; i++) {
        int rc = emit_role(p, tl, tl->lanes.max + i, &tl->clanes.v[i], end);
        if (rc)
            return rc;
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
    if (plot_dfile_open(p, &d, "lanes.tsv", 2, "lane\tname") != 0)
        return EXIT_IOERR;
    for (int i = 1; i <= l->max; i++)
        if (l->v[i].seen)
            plot_drow(&d, "%d\tnode %d", i, i);
    for (int k = 1; k <= nclients; k++)
        plot_drow(&d, "%d\tclient %d", l->max + k, k);
    return plot_dfile_close(&d) ? EXIT_IOERR : 0;
}

static int last_violation_rec(struct plot *p, void *ud, const cJSON *rec)
{
    (void)p;
    if (strcmp(rec_type(rec), "violation") == 0)
        *(int64_t *)ud = rec_t(rec);
    return 0;
}

/* Timeline mark labels go just above the lane, left-aligned; one that would
 * run into an earlier label on the same lane is left out (an 8-point
 * character is about 1/120 of the plot's width, as for partition labels). */
static void timeline_place_marks(struct timeline *tl, double ymax)
{
    double char_ms = ms(tl->window_us) / 120.0;
    for (size_t i = 0; i < tl->clocks.n; i++) {
        struct mark *m = &tl->clocks.v[i];
        m->label_ms = ms(m->t);
        m->label_lane = m->lane + 0.18;   /* in the bar's lower half: term labels are in the middle */
        m->placed = 1;
        for (size_t j = 0; j < i && m->placed; j++) {
            const struct mark *o = &tl->clocks.v[j];
            double end = o->label_ms + char_ms * (double)(strlen(o->label) + 1);
            m->placed = !(o->placed && o->lane == m->lane && m->label_ms < end && o->label_ms <= m->label_ms);
        }
    }
    /* below the last lane, ending at the line: a run stops at its violation,
     * so the line is usually at the right edge */
    for (size_t i = 0; i < tl->viols.n; i++) {
        struct mark *m = &tl->viols.v[i];
        /* centred left of the line, or right of it near the left edge */
        double half_ms = char_ms * ((double)strlen(m->label) / 2 + 0.7);
        m->label_ms = ms(m->t) - half_ms;
        if (m->label_ms - half_ms < ms(tl->from_us))
            m->label_ms = ms(m->t) + half_ms;
        m->label_lane = ymax + 0.55;
        m->placed = i == 0;
    }
}

int plot_timeline(struct plot *p)
{
    struct timeline tl;
    memset(&tl, 0, sizeof tl);
    tl.part_since = -1;
    tl.from_us = p->from_us == NO_TIME ? 0 : p->from_us;
    tl.to_us = p->to_us == NO_TIME ? INT64_MAX : p->to_us;
    int rc;
    /* a first pass: the trace's length decides which segments are wide
     * enough for a label, and whether it stops at a violation */
    int64_t viol_t = -1;
    rc = plot_read_trace(p, p->traces[0], last_violation_rec, &viol_t, 1);
    if (rc)
        return rc;
    tl.end_us = p->trace_end_us;
    if (p->to_us == NO_TIME) {
        tl.to_us = p->trace_end_us;
        /* A run stops at its violation, so the role that broke the rule
         * (a second leader) starts at the very end and would be zero wide:
         * draw the state at the stop a little past it, right of the line. */
        if (viol_t >= 0 && viol_t >= tl.to_us) {
            int64_t tail = (tl.to_us - tl.from_us) / 30;
            tl.to_us += tail > 1 ? tail : 1;
            tl.end_us = tl.to_us;
        }
    }
    tl.window_us = tl.to_us - tl.from_us;
    if (tl.window_us <= 0)
        tl.window_us = 1;
    if (plot_dfile_open(p, &tl.down, "down.tsv", 3, "from_ms\tto_ms\tlane") ||
        plot_dfile_open(p, &tl.paused, "paused.tsv", 3, "from_ms\tto_ms\tlane") ||
        plot_dfile_open(p, &tl.parts, "faults.tsv", 3, "from_ms\tto_ms\tlabel") ||
        plot_dfile_open(p, &tl.suspect, "suspect.tsv", 3, "t_ms\tlane\tlabel") ||
        plot_dfile_open(p, &tl.trust, "trust.tsv", 3, "t_ms\tlane\tlabel"))
        return EXIT_IOERR;
    tl.parts.has_labels = tl.suspect.has_labels = tl.trust.has_labels = 1;
    rc = plot_read_trace(p, p->traces[0], timeline_rec, &tl, 0);
    if (!rc)
        rc = timeline_finish(p, &tl);
    if (!rc && tl.nrole_records == 0 && tl.nsuspect == 0 && tl.nlock == 0) {
        tool_error(PROG, "trace has no role records: the timeline needs a consensus algorithm's "
                         "role changes or failure-detector suspicions");
        rc = EXIT_CHECK_FAILED;
    }
    long nshown = tl.suspect.rows + tl.trust.rows;
    for (size_t i = 0; i < tl.nroles; i++)
        nshown += tl.roles[i].d.rows;
    if (!rc && nshown == 0)
        rc = plot_nothing(p, "no role or suspicion of a node to show");
    if (!rc && tl.nroles == 0) {
        /* only suspicions: keep the script's role arguments non-empty */
        struct role_file *rf = role_file(p, &tl, "up");
        if (!rf)
            rc = EXIT_IOERR;
        for (int i = 1; !rc && i <= tl.lanes.max; i++)
            if (tl.lanes.v[i].seen)
                plot_drow(&rf->d, "%.3f\t%.3f\t%d\tup\t\t%u", ms(tl.from_us), ms(tl.to_us), i, 0xdddddd);
    }
    plot_gp_var(p, "has_faults", tl.parts.rows > 0);
    plot_gp_var(p, "has_down", tl.down.rows > 0);
    plot_gp_var(p, "has_paused", tl.paused.rows > 0);
    plot_gp_var(p, "has_suspect", tl.suspect.rows > 0);
    plot_gp_var(p, "has_trust", tl.trust.rows > 0);
    plot_gp_var(p, "lock_marks", tl.nlock > 0);
    int crc = plot_dfile_close(&tl.down) | plot_dfile_close(&tl.paused) | plot_dfile_close(&tl.parts) |
              plot_dfile_close(&tl.suspect) | plot_dfile_close(&tl.trust);
    for (size_t i = 0; i < tl.nroles; i++) {
        crc |= plot_dfile_close(&tl.roles[i].d);
        free(tl.roles[i].name);
    }
    free(tl.roles);
    if (!rc && crc)
        rc = EXIT_IOERR;
    if (!rc)
        rc = plot_merge_series(p, 5, "roles.tsv");     /* after down paused faults suspect trust */
    double ymax = 1;
    for (int i = 1; i <= tl.lanes.max; i++)
        if (tl.lanes.v[i].seen)
            ymax = i;
    if (tl.clanes.max)
        ymax = tl.lanes.max + tl.clanes.max;
    timeline_place_marks(&tl, ymax);
    if (!rc)
        rc = write_marks(p, &tl.clocks, &tl.viols, tl.ntransfers);   /* after roles */
    free(tl.clocks.v);
    free(tl.viols.v);
    if (!rc)
        rc = write_lanes(p, &tl.lanes, tl.clanes.max);
    if (!rc)
        plot_last_to_front(p);                         /* the script wants lanes.tsv first */
    lanes_free(&tl.lanes);
    lanes_free(&tl.clanes);
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
    int64_t first_fault, first_election, first_send, first_violation;
    const char *window_why;     /* what the default window shows; NULL if --from/--to chose it */
    struct marks clocks, viols;
    size_t hidden_client_msgs;  /* client messages left out (no --clients) */
    size_t nsend_records;       /* send records anywhere: does the trace have messages at all? */
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
    if (m->first_violation < 0 && strcmp(type, "violation") == 0)
        m->first_violation = t;
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
    m->first_fault = m->first_election = m->first_send = m->first_violation = -1;
    int rc = plot_read_trace(p, p->traces[0], window_rec, m, 1);
    if (rc)
        return rc;
    int64_t anchor = m->first_election;
    if (m->first_fault >= 0 && (anchor < 0 || m->first_fault < anchor))
        anchor = m->first_fault;
    if (anchor < 0)
        anchor = m->first_send >= 0 ? m->first_send : 0;
    struct leader_after la = {anchor, -1};
    rc = plot_read_trace(p, p->traces[0], leader_rec, &la, 1);
    if (rc)
        return rc;
    int64_t from = anchor - 20000 < 0 ? 0 : anchor - 20000;
    int64_t to = from + 300000;
    if (la.found > 0)          /* up to the new leader's first heartbeats, at least 150 ms */
        to = la.found + 60000 > from + 150000 ? la.found + 60000 : from + 150000;
    if (to > from + 600000)
        to = from + 600000;
    const char *why = m->first_election == anchor ? "the first election"
                      : m->first_fault == anchor  ? "the first fault"
                                                  : "the first message";
    /* A violation is what a student looks for: when the window above does
     * not reach it, end 50 ms after it and look 250 ms back. */
    if (m->first_violation >= 0 && (m->first_violation < from || m->first_violation > to)) {
        to = m->first_violation + 50000;
        from = to - 300000 < 0 ? 0 : to - 300000;
        why = "the violation";
    }
    m->window_why = p->from_us == NO_TIME && p->to_us == NO_TIME ? why : NULL;
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

/* Client endpoints (negative) get lanes only with --clients: their requests
 * and replies outnumber the protocol's messages and bury them. */
static int endpoint_ok(const struct plot *p, int64_t e)
{
    return e < 0 ? p->show_clients : plot_want_node(p, e);
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
    struct lane_state *ls = e > 0 ? lane(&m->lanes, e) : NULL;
    if (ls)
        ls->seen = 1;
    else if (e < 0 && -e > m->max_client && -e <= PLOT_MAX_ID)
        m->max_client = (int)-e;
}

static int messages_rec(struct plot *p, void *ud, const cJSON *rec)
{
    struct messages *m = ud;
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    if (strcmp(type, "header") == 0) {
        lanes_from_header(p, &m->lanes, rec);
        return 0;
    }
    if (t < 0)
        return 0;
    int64_t src = json_int(rec, "src", 0), dst = json_int(rec, "dst", 0), id;
    if (strcmp(type, "send") == 0) {
        m->nsend_records++;
        if (t < m->from_us - 2000000 || t > m->to_us || !json_has_int(rec, "id", &id))
            return 0;
        if (!endpoint_ok(p, src) || !endpoint_ok(p, dst)) {
            int to_client = (src < 0 || dst < 0) && plot_want_node(p, src < 0 ? dst : src);
            if (to_client && !p->show_clients && t >= m->from_us)
                m->hidden_client_msgs++;     /* said in the subtitle */
            return 0;
        }
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
    if (strcmp(type, "violation") == 0) {
        violation_seen(p, &m->viols, rec, t);
        return 0;
    }
    int64_t node = json_int(rec, "node", 0);
    struct lane_state *ls = node > 0 && plot_want_node(p, node) ? lane(&m->lanes, node) : NULL;
    if (!ls)
        return 0;
    if (strcmp(type, "clock") == 0) {
        char clock[64];
        plot_clock_label(rec, clock, sizeof clock);
        mark_add(&m->clocks, t, (int)node, clock);
        ls->seen = 1;
        return 0;
    }
    char label[96] = "";
    if (strcmp(type, "role") == 0) {
        const char *role = json_str(rec, "role");
        const char *ballot = json_str(rec, "ballot");   /* Paxos names its ballot, not a term */
        int64_t term = json_int(rec, "term", -1);
        if (ballot && *ballot)
            snprintf(label, sizeof label, "%s (ballot %s)", role ? role : "?", ballot);
        else if (term >= 0)
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
        ls->seen = 1;
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

int plot_messages(struct plot *p)
{
    struct messages m;
    memset(&m, 0, sizeof m);
    idmap_init(&m.byid);
    int rc = messages_window(p, &m);
    if (rc)
        return rc;
    if (plot_dfile_open(p, &m.events, "events.tsv", 5, "t_ms\tlane\tevent\tlabel_t_ms\tlabel_lane") ||
        plot_dfile_open(p, &m.drops, "drops.tsv", 6, "t_ms\tlane\tdt_ms\tdlane\tmsg\tdropped") ||
        plot_dfile_open(p, &m.labels, "labels.tsv", 4, "t_ms\tlane\tlabel\trgb"))
        return EXIT_IOERR;
    m.events.has_labels = m.drops.has_labels = 1;
    m.labels.has_labels = 1;
    rc = plot_read_trace(p, p->traces[0], messages_rec, &m, 0);
    if (!rc && m.nsend_records == 0) {
        tool_error(PROG, "trace has no send records: the messages plot needs a trace "
                         "written with --trace-level messages");
        rc = EXIT_CHECK_FAILED;
    }
    /* after the violation's clause (added while reading): it matters most */
    if (m.hidden_client_msgs)
        plot_subtitle(p, "client lanes hidden: %zu message%s (--clients)", m.hidden_client_msgs,
                      m.hidden_client_msgs == 1 ? "" : "s");
    if (m.window_why)
        plot_subtitle(p, "%.0f..%.0f ms: %s (--from/--to)", ms(m.from_us), ms(m.to_us), m.window_why);
    if (!rc && m.narrowsv == 0) {
        char where[64] = "";
        if (p->from_us == NO_TIME && p->to_us == NO_TIME)
            snprintf(where, sizeof where, " in %.0f..%.0f ms", ms(m.from_us), ms(m.to_us));
        rc = plot_nothing(p, "no message between the lanes shown was delivered or dropped%s%s", where,
                          m.hidden_client_msgs ? " (client messages are hidden; --clients shows them)" : "");
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
    /* the violation's label first, at the top: the one a reader looks for */
    for (size_t i = 0; i < m.viols.n; i++) {
        struct mark *mk = &m.viols.v[i];
        /* centred left of the line, or right of it near the left edge */
        double half_ms = ((double)strlen(mk->label) * MSG_CHAR_W / 2 + 6) / m.px_per_ms;
        mk->label_ms = ms(mk->t) - half_ms;
        if (mk->label_ms - half_ms < ms(m.from_us))
            mk->label_ms = ms(mk->t) + half_ms;
        mk->label_lane = m.ytop + 0.8 * MSG_CHAR_H / m.px_per_lane;
        mk->placed = place_label(&m, mk->label_ms, mk->label_lane, strlen(mk->label), 0) || i == 0;
    }
    /* clock changes: like lane events, above the lane, else below, else none */
    for (size_t i = 0; i < m.clocks.n; i++) {
        struct mark *mk = &m.clocks.v[i];
        double dy = (MSG_CHAR_H + 2) / m.px_per_lane;
        mk->label_ms = ms(mk->t) + 5 / m.px_per_ms;
        mk->label_lane = mk->lane - dy;
        mk->placed = place_label(&m, mk->label_ms, mk->label_lane, strlen(mk->label), 1);
        if (!mk->placed) {
            mk->label_lane = mk->lane + dy;
            mk->placed = place_label(&m, mk->label_ms, mk->label_lane, strlen(mk->label), 1);
        }
    }
    /* lane events next: a label above the lane, else below, else none */
    for (size_t i = 0; i < m.nevents; i++) {
        struct event *ev = &m.eventv[i];
        double y = (double)ev->node, lx = ms(ev->t) + 5 / m.px_per_ms;
        double dy = (MSG_CHAR_H + 2) / m.px_per_lane;
        size_t len = strlen(ev->text);
        if (place_label(&m, lx, y - dy, len, 1))
            plot_drow(&m.events, "%.3f\t%d\t%s\t%.3f\t%.3f", ms(ev->t), ev->node, ev->text, lx, y - dy);
        else if (place_label(&m, lx, y + dy, len, 1))
            plot_drow(&m.events, "%.3f\t%d\t%s\t%.3f\t%.3f", ms(ev->t), ev->node, ev->text, lx, y + dy);
        else
            plot_drow(&m.events, "%.3f\t%d\t \t%.3f\t%.3f", ms(ev->t), ev->node, lx, y);
    }
    for (size_t k = 0; !rc && k < m.ntypes; k++) {
        char name[64], header[256], tn[128];
        snprintf(name, sizeof name, "msg-%zu.tsv", k + 1);
        plot_cell(tn, sizeof tn, m.types[k].name);
        snprintf(header, sizeof header, "t_ms\tlane\tdt_ms\tdlane\t%s\trgb", tn);
        if (plot_dfile_open(p, &m.types[k].d, name, 6, header))
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
                plot_drow(&m.labels, "%.3f\t%.3f\t%s\t%u", x1, ly, label, 0xd62728u);
                nlabelled++;
            }
            plot_drow(&m.drops, "%.3f\t%.3f\t%.3f\t%.3f\t%s\tdropped", ms(a->a), y0, x1 - ms(a->a), dy,
                 m.types[a->type].name);
        } else {
            plot_cell(label, sizeof label, m.types[a->type].name);
            double xm = ms(a->a) + ms(a->b - a->a) * 0.5, ym = (y0 + y1) * 0.5;
            /* with one message type the legend says it all */
            if (m.ntypes > 1 && place_label(&m, xm, ym, strlen(label), 0)) {
                plot_drow(&m.labels, "%.3f\t%.3f\t%s\t%u", xm, ym, label, plot_palette[a->type % plot_npalette]);
                nlabelled++;
            }
            plot_drow(&m.types[a->type].d, "%.3f\t%.3f\t%.3f\t%.3f\t%s\t%u", ms(a->a), y0, ms(a->b - a->a), y1 - y0,
                 label, plot_palette[a->type % plot_npalette]);
        }
    }
    (void)nlanes;
    plot_gp_var(p, "has_drops", m.drops.rows > 0);
    /* a type whose messages were all dropped still needs its colour row */
    for (size_t k = 0; !rc && k < m.ntypes; k++)
        if (m.types[k].d.rows == 0)
            plot_drow(&m.types[k].d, "NaN\tNaN\tNaN\tNaN\t-\t%u", plot_palette[k % plot_npalette]);
    int crc = plot_dfile_close(&m.events) | plot_dfile_close(&m.drops) | plot_dfile_close(&m.labels);
    for (size_t k = 0; k < m.ntypes; k++) {
        crc |= plot_dfile_close(&m.types[k].d);
        free(m.types[k].name);
    }
    if (!rc && crc)
        rc = EXIT_IOERR;
    if (!rc)
        rc = plot_merge_series(p, 3, "messages.tsv");  /* after events drops labels */
    if (!rc)
        rc = write_marks(p, &m.clocks, &m.viols, 0);
    free(m.clocks.v);
    free(m.viols.v);
    if (!rc)
        rc = write_lanes(p, &m.lanes, m.max_client);
    if (!rc)
        plot_last_to_front(p);
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

