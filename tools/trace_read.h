/* tools/trace_read.h: reading clustersim JSON Lines traces, for the tools
 * that draw, export and check them (plot.c, export.c, check.c).
 *
 * The reader streams: one line, one cJSON object at a time, so a trace of
 * millions of records never has to fit in memory. A malformed line is an
 * error that names the file and line number; the reader can go on past it
 * (check does, to report everything), or the caller can stop.
 *
 * The reader, not each tool, owns the trace's structural rules (DESIGN.md,
 * "Trace"), so check, export and plot give one verdict on one file: the
 * first record is a header of the schema this reader knows; there is no
 * second header; every other record has a string "type" and a "t" that is a
 * whole number of microseconds >= 0 and never decreases; nothing follows
 * the end record. A record that breaks a rule is TRACE_BAD_LINE, like a
 * malformed line. What a tool does with one (exit statuses, below): check
 * reports it, reads on and exits 1, since judging the trace is its job;
 * export and plot stop and exit 65 (EXIT_DATAERR), except for a last line
 * cut short mid-write (r->cut_short), a trace still being written, which
 * they warn about and ignore. A trace without an end record is not
 * rejected here: check calls it truncated (exit 1), plot and export warn.
 *
 * Besides the reader this module holds what more than one tool needs:
 * typed field access that tolerates missing fields (readers ignore what they
 * do not know), an int64-keyed hash index, and the client operations of a
 * trace paired up from invoke/complete (or, in older traces,
 * request/reply) records. Nothing here calls Lua or the engine. */
#ifndef TOOLS_TRACE_READ_H
#define TOOLS_TRACE_READ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cJSON.h>

/* Exit statuses shared by the tools (DESIGN.md, "CLI"):
 *   1  check: the trace breaks a structural rule or its operations do not
 *      pair up (see trace_ops), the run recorded a violation, or the
 *      history is not linearizable;
 *   2  check: inconclusive, the search ran out of its step or memory budget;
 *   65 export, plot: a malformed or structurally invalid trace line;
 *   74 the result could not be written (check: standard output). */
enum {
    EXIT_CHECK_FAILED = 1, EXIT_INCONCLUSIVE = 2, EXIT_USAGE = 64, EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66, EXIT_INTERNAL = 70, EXIT_IOERR = 74
};

/* Print "clustersim PROG: message\n" to stderr. */
void tool_error(const char *prog, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Print "clustersim PROG: message" and "usage: USAGE" to stderr; returns
 * EXIT_USAGE. The tools wrap it in their own variadic usage_error. */
int tool_usage_vs(const char *prog, const char *usage, const char *fmt, va_list ap);

/* ---- the reader ---- */

enum { TRACE_EOF = 0, TRACE_RECORD = 1, TRACE_BAD_LINE = -1 };

/* The trace schema this reader understands: sim/engine.h's TRACE_SCHEMA,
 * which this header cannot include (its exit-status names clash). A test
 * in tests/check.t checks a freshly written trace, so the two cannot part
 * silently. */
#define TRACE_READ_SCHEMA 1

struct trace_reader {
    FILE *f;
    const char *path;       /* as given by the user; "-" is standard input */
    long line;              /* 1-based number of the line last read */
    char *buf;
    size_t cap;
    int owns_file;
    long records;           /* records returned so far */
    cJSON *header;          /* a copy of the header record, if the first record was one */
    cJSON *end;             /* a copy of the last "end" record seen */
    int64_t last_t;         /* greatest "t" seen, -1 before any */
    int cut_short;          /* the last bad line had no newline: a trace cut mid-write */
    char err[512];          /* the last error: "PATH:LINE: what" */
    long header_line;       /* line of the header record, 0 if none yet */
    long end_line;          /* line of the end record, 0 if none yet */
    int started;            /* a first record (valid or not) has been read */
    /* Set accept_history before the first trace_next to let a file of Jepsen
     * history events (tools/export.c's --to history: objects with
     * "process", no header) through: if the first record has "process" and
     * is not a header, history becomes 1 and only the one-JSON-object-a-line
     * rule applies from then on. Off, such a file is a trace without a
     * header. */
    int accept_history;
    int history;
};

/* Open PATH ("-" for standard input). Returns 0, or -1 with errno set and
 * r->err filled ("cannot open PATH: reason"). */
int trace_reader_open(struct trace_reader *r, const char *path);

/* Read the next record. Returns TRACE_RECORD with *out set (the caller frees
 * it with cJSON_Delete), TRACE_EOF at the end, or TRACE_BAD_LINE with r->err
 * naming the line ("PATH:LINE: what", with the bad value); reading may
 * continue after a bad line, whose record is not returned. Blank lines are
 * skipped. A record whose type is "end" is also kept in r->end. */
int trace_next(struct trace_reader *r, cJSON **out);

/* Close the file and free what the reader holds. */
void trace_reader_close(struct trace_reader *r);

/* ---- field access: absent or mistyped fields give the default ---- */

const char *json_str(const cJSON *o, const char *name);          /* NULL if absent */
int json_has_int(const cJSON *o, const char *name, int64_t *out); /* 1 if an integer */
int64_t json_int(const cJSON *o, const char *name, int64_t def);
double json_num(const cJSON *o, const char *name, double def);
/* The record's type, "" if it has none. */
const char *rec_type(const cJSON *rec);
/* The record's time in microseconds, -1 if it has none. */
int64_t rec_t(const cJSON *rec);
/* A malloc'd copy of S (NULL stays NULL); aborts on out-of-memory. */
char *xstrdup(const char *s);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t n, size_t size);     /* zeroed; exits on failure like xrealloc */
/* The unformatted JSON text of field NAME of O, malloc'd; NULL if absent. */
char *json_text(const cJSON *o, const char *name);

/* ---- an int64 -> size_t hash index (message ids, client operations) ---- */

struct idmap {
    int64_t *keys;
    size_t *vals;
    unsigned char *used;
    size_t cap, n;
};
void idmap_init(struct idmap *m);
void idmap_free(struct idmap *m);
void idmap_put(struct idmap *m, int64_t key, size_t val);
/* 1 and *val set if KEY is present. */
int idmap_get(const struct idmap *m, int64_t key, size_t *val);

/* ---- client operations ---- */

enum op_status { OP_OK, OP_FAIL, OP_INFO };  /* OP_INFO: outcome unknown */

struct trace_op {
    int client;
    int64_t seq;
    char *f;            /* the operation as the trace names it: "get", "put", "cas", ... */
    char *key;          /* NULL if none */
    char *value;        /* JSON text of the value written (put) or compared-and-set (cas) */
    char *expect;       /* JSON text of a cas's expected value */
    char *result;       /* JSON text of the value the completion returned (a read's value) */
    int64_t num;        /* the invoke's "num" (an increment's amount, a lease's ttl), 0 if none */
    int64_t result_num; /* the completion's "num" (a counter's value, a fencing token) */
    int has_result_num;
    int64_t invoke_us;
    int64_t complete_us;  /* -1 if the run ended first */
    enum op_status status;
    char *raw_status;     /* the status word of the completion ("timeout", ...) */
    double latency_ms;    /* from the completion record, else computed; -1 if none */
    int node;             /* node of the last attempt, 0 if unknown */
    int attempts;
    /* Where the invoke and the completion stand in the trace: the number of
     * records fed before them (so later is larger, and no two are equal),
     * and the line, when trace_ops_source named the reader (else 0).
     * complete_pos is -1 without a completion. Times in the trace are
     * rounded to microseconds, so two events nanoseconds apart can share a
     * "t": real-time order ("this op returned before that one was invoked")
     * must be read from these positions, since the trace is written in event
     * order, never from the rounded times. */
    long invoke_pos, complete_pos;
    long invoke_line, complete_line;
};

/* How many error messages trace_ops keeps (it counts them all). */
#define TRACE_OPS_KEPT_ERRORS 10

struct trace_ops {
    struct trace_op *v;
    size_t n, cap;
    int from_invoke;      /* 1: built from invoke/complete; 0: from request/reply */
    int max_client;
    int64_t end_us;       /* time of the last record seen */
    /* Operations that do not pair up, found while reading invoke/complete
     * records (request/reply ones are left alone: a retry repeats both): a
     * complete with no invoke before it, a second complete of one
     * operation, a second invoke of one (client, seq). The offending record
     * is ignored; nerrors counts them, errors[] keeps the first
     * TRACE_OPS_KEPT_ERRORS messages, "PATH:LINE: what" (or "record N: what"
     * without trace_ops_source). A history with errors cannot be judged:
     * check reports them and exits 1 without a linearizability verdict. */
    long nerrors;
    char *errors[TRACE_OPS_KEPT_ERRORS];
    /* private: the two candidate sources, until trace_ops_finish */
    struct trace_ops *alt;
    struct idmap open;
    long nrec;                          /* records fed so far */
    const struct trace_reader *src;     /* for line numbers, or NULL */
};

void trace_ops_init(struct trace_ops *ops);
/* Name the reader the records come from, so errors and trace_op lines give
 * the file and line (r->path, r->line at each trace_ops_add). Optional; R
 * must outlive the feeding. */
void trace_ops_source(struct trace_ops *ops, const struct trace_reader *r);
/* Feed every record of a trace, in order. */
void trace_ops_add(struct trace_ops *ops, const cJSON *rec);
/* Count N records that hold no client operation without feeding them: a
 * caller that has the records themselves rather than a file (explore's
 * in-worker check) keeps the positions a trace file would give. */
void trace_ops_skip(struct trace_ops *ops, long n);
/* Pick the source (invoke/complete when the trace has any, else
 * request/reply), mark unfinished operations OP_INFO, sort by invoke time. */
void trace_ops_finish(struct trace_ops *ops);
/* The one verdict on operations that do not pair up, for the tools that
 * draw or convert them (export, plot): print each kept error as
 * "clustersim PROG: ..." and return EXIT_DATAERR, or 0 when there are none.
 * (check reports them its own way and exits 1.) */
int trace_ops_verdict(const char *prog, const struct trace_ops *ops);
void trace_ops_free(struct trace_ops *ops);

/* Canonical operation family for a KV register: "read", "write", "cas", or
 * NULL for anything else (locks, ...). */
const char *op_family(const char *f);

#endif
