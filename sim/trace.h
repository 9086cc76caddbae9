/* The JSON Lines trace writer. The first line is a header, the last an
 * `end` record, so a truncated trace can be told from a complete one. Times
 * are integer microseconds of true time; seeds are decimal strings. Output
 * is buffered; any write error is remembered and reported at close (exit 74). */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdio.h>
#include "sim/record.h"
#include "sim/time.h"

enum trace_level { TRACE_OFF = 0, TRACE_STATE = 1, TRACE_MESSAGES = 2 };

/* A tapped trace's reader: each record the trace would hold, with the line
 * it would stand on (the header is line 1); the end record, which has no
 * "t", comes last. The record is the caller's: copy what is kept. */
typedef void trace_tap_fn(void *ctx, const struct record *r, unsigned long long line);

struct trace {
    FILE *f;
    int owned;              /* we opened it (not stdout) */
    int error;              /* errno of the first failed write, 0 if none */
    char *path;
    char *buf;              /* line buffer */
    size_t len, cap;
    unsigned long long lines;
    trace_tap_fn *tap;      /* set: a tapped trace (trace_open_tap) */
    void *tap_ctx;
};

/* Open path ("-" for stdout). Returns 0, or -1 with errno set. */
int trace_open(struct trace *t, const char *path);
/* A trace that writes nothing and formats nothing: every record goes to
 * tap as it is (with the line number it would have), records passed as
 * text (the header, records held before it) and message lines are only
 * counted. explore's workers check a run's history this way, without
 * turning it into text and back. */
void trace_open_tap(struct trace *t, trace_tap_fn *tap, void *ctx);
void trace_write(struct trace *t, const struct record *r);
/* Bytes already serialised (whole lines). */
void trace_write_raw(struct trace *t, const char *bytes, size_t len, unsigned long long lines);
/* A record without "t" (the header). */
void trace_write_untimed(struct trace *t, const struct record *r);
/* A send, recv or drop line written directly (args and why may be NULL):
 * the same bytes record_to_json would give for the equivalent record.
 * msg_json is the message name already as a JSON string, quotes included. */
void trace_write_msg(struct trace *t, sim_time at, const char *type, int src, int dst, const char *msg_json,
                     uint64_t id, const struct record *args, const char *why);
/* Flush and close; returns 0 or the errno of the first write error. */
int trace_close(struct trace *t);
/* A record's "t": true time in whole microseconds, rounded toward minus infinity. */
int64_t trace_time_us(sim_time t);
/* Append r as one JSON object (no newline) to a growable buffer. */
void record_to_json(const struct record *r, int with_time, char **buf, size_t *len, size_t *cap);
/* A double as JSON: integers exactly, others with the fewest digits that
 * read back to the same double, non-finite as null. Returns the length. */
int json_format_double(char *out, size_t n, double d);
/* Append bytes that are already JSON. */
void json_append_raw(char **buf, size_t *len, size_t *cap, const char *json);
/* Append a newline to the buffer. */
void record_to_json_newline(char **buf, size_t *len, size_t *cap);
/* JSON-escape s into the buffer, with quotes. */
void json_append_string(char **buf, size_t *len, size_t *cap, const char *s);

#endif
