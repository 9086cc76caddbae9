/* tests/unit/test_trace_read.c: the streaming trace reader and the helpers
 * the trace tools share (tools/trace_read.h). */
#include "tests/unit/tap.h"
#include "tools/trace_read.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        exit(2);
    fputs(text, f);
    fclose(f);
}

/* A file whose first record is refused with ERR: the next one still reads
 * (one bad header does not condemn every record after it). */
static void bad_first_record(const char *text, const char *err, const char *name)
{
    struct trace_reader r;
    cJSON *rec;
    write_file(text);
    trace_reader_open(&r, path);
    is_int(trace_next(&r, &rec), TRACE_BAD_LINE, name);
    ok(strstr(r.err, err) != NULL, "says so: %s", r.err);
    is_int(trace_next(&r, &rec), TRACE_RECORD, "the record after it still reads");
    cJSON_Delete(rec);
    trace_reader_close(&r);
}

int main(void)
{
    plan(58);
    snprintf(path, sizeof path, "/tmp/test_trace_read.%ld", (long)getpid());

    write_file("{\"type\":\"header\",\"schema\":1,\"nodes\":3}\n"
               "\n"
               "{\"t\":5,\"type\":\"role\",\"node\":2,\"role\":\"leader\",\"term\":4,\"extra\":[1]}\n"
               "{\"t\":7,\"type\":\"send\",\"src\":1\n"
               "[1,2]\n"
               "{\"t\":9,\"type\":\"end\",\"status\":\"ok\",\"t\":9}\n"
               "{\"t\":10,\"type\":\"log\"");
    struct trace_reader r;
    cJSON *rec;
    is_int(trace_reader_open(&r, path), 0, "open");
    is_int(trace_next(&r, &rec), TRACE_RECORD, "the header");
    ok(r.header != NULL, "the header is kept");
    is_int(json_int(r.header, "nodes", 0), 3, "header field");
    cJSON_Delete(rec);
    is_int(trace_next(&r, &rec), TRACE_RECORD, "a blank line is skipped");
    is_int(r.line, 3, "line numbers count the blank line");
    is_str(rec_type(rec), "role", "rec_type");
    is_int(rec_t(rec), 5, "rec_t");
    is_str(json_str(rec, "role"), "leader", "json_str");
    ok(json_str(rec, "term") == NULL, "json_str of a number is NULL");
    is_int(json_int(rec, "missing", -7), -7, "json_int default");
    cJSON_Delete(rec);
    is_int(trace_next(&r, &rec), TRACE_BAD_LINE, "a malformed line");
    ok(strstr(r.err, ":4: malformed JSON") != NULL, "the error names line 4: %s", r.err);
    ok(!r.cut_short, "a bad line with a newline is not a cut-short trace");
    is_int(trace_next(&r, &rec), TRACE_BAD_LINE, "an array is not a record");
    ok(strstr(r.err, ":5: not a JSON object") != NULL, "says so: %s", r.err);
    is_int(trace_next(&r, &rec), TRACE_RECORD, "reading goes on after bad lines");
    ok(r.end != NULL, "the end record is kept");
    cJSON_Delete(rec);
    is_int(trace_next(&r, &rec), TRACE_BAD_LINE, "a last line without its end");
    ok(r.cut_short && strstr(r.err, "truncated line?") != NULL, "is a cut-short trace: %s", r.err);
    is_int(trace_next(&r, &rec), TRACE_EOF, "then the end of the file");
    trace_reader_close(&r);
    unlink(path);
    ok(trace_reader_open(&r, "/nonexistent/x.jsonl") != 0 && strstr(r.err, "cannot open") != NULL,
       "a missing file: %s", r.err);

    struct idmap m;
    idmap_init(&m);
    for (int64_t i = 0; i < 5000; i++)
        idmap_put(&m, i * 7919, (size_t)i);
    size_t v = 0;
    ok(idmap_get(&m, 4999 * 7919, &v) && v == 4999, "idmap keeps values across growth");
    ok(!idmap_get(&m, 3, &v), "idmap: an absent key");
    idmap_free(&m);

    /* operations: a retried request/reply op, and an op the run cut short */
    struct trace_ops ops;
    trace_ops_init(&ops);
    const char *recs[] = {
        "{\"t\":1,\"type\":\"request\",\"client\":1,\"id\":1,\"seq\":1,\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"}",
        "{\"t\":5,\"type\":\"reply\",\"client\":1,\"id\":1,\"seq\":1,\"op\":\"put\",\"status\":\"timeout\"}",
        "{\"t\":6,\"type\":\"request\",\"client\":1,\"id\":2,\"seq\":1,\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"}",
        "{\"t\":9,\"type\":\"reply\",\"client\":1,\"id\":2,\"seq\":1,\"op\":\"put\",\"status\":\"ok\"}",
        "{\"t\":10,\"type\":\"request\",\"client\":2,\"id\":3,\"seq\":1,\"op\":\"get\",\"key\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        cJSON *j = cJSON_Parse(recs[i]);
        trace_ops_add(&ops, j);
        cJSON_Delete(j);
    }
    trace_ops_finish(&ops);
    is_int((long)ops.n, 2, "two operations");
    ok(ops.v[0].status == OP_OK && ops.v[0].attempts == 2 && ops.v[0].complete_us == 9,
       "a retried op ends with its last reply");
    ok(ops.v[1].status == OP_INFO && ops.v[1].complete_us == -1, "an op without a reply is indeterminate");
    trace_ops_free(&ops);

    /* the structural rules: each bad record is TRACE_BAD_LINE naming its
     * line and value, and reading goes on with the next */
    write_file("{\"type\":\"header\",\"schema\":1}\n"
               "{\"type\":\"header\",\"schema\":1}\n"
               "{\"t\":10.7,\"type\":\"log\"}\n"
               "{\"t\":-1,\"type\":\"log\"}\n"
               "{\"type\":\"log\"}\n"
               "{\"t\":5,\"node\":1}\n"
               "{\"t\":20,\"type\":\"log\"}\n"
               "{\"t\":19,\"type\":\"log\"}\n"
               "{\"t\":20,\"type\":\"end\",\"status\":\"ok\"}\n"
               "{\"t\":21,\"type\":\"log\"}\n");
    const struct { int st; const char *err; } want[] = {
        {TRACE_RECORD, NULL},
        {TRACE_BAD_LINE, ":2: a second header (the first is at line 1)"},
        {TRACE_BAD_LINE, ":3: \"t\" must be a whole number of microseconds >= 0, not 10.7"},
        {TRACE_BAD_LINE, ":4: \"t\" must be a whole number of microseconds >= 0, not -1"},
        {TRACE_BAD_LINE, ":5: a record without a time (\"t\": a whole"},
        {TRACE_BAD_LINE, ":6: a record without a type (\"type\": (none))"},
        {TRACE_RECORD, NULL},
        {TRACE_BAD_LINE, ":8: time goes backwards: t=19 after t=20"},
        {TRACE_RECORD, NULL},
        {TRACE_BAD_LINE, ":10: a record after the end record (line 9)"},
        {TRACE_EOF, NULL},
    };
    is_int(trace_reader_open(&r, path), 0, "open a trace that breaks the rules");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int st = trace_next(&r, &rec);
        ok(st == want[i].st && (!want[i].err || strstr(r.err, want[i].err)) && (st == TRACE_RECORD) == (rec != NULL),
           "rule %zu: %s", i + 1, st == TRACE_BAD_LINE ? r.err : st == TRACE_RECORD ? "a record" : "the end");
        cJSON_Delete(rec);
    }
    is_int(r.records, 3, "only the good records count");
    ok(r.end != NULL && r.end_line == 9, "the end record is kept");
    trace_reader_close(&r);

    bad_first_record("{\"type\":\"header\",\"schema\":99}\n{\"t\":1,\"type\":\"log\"}\n",
                     ":1: schema 99, this reader knows schema 1", "a foreign schema");
    bad_first_record("{\"t\":1,\"type\":\"log\"}\n{\"t\":2,\"type\":\"log\"}\n",
                     ":1: the first record is not a header (type \"log\")", "no header");

    /* a Jepsen history passes only where the caller accepts one */
    write_file("{\"type\":\"invoke\",\"f\":\"read\",\"process\":0,\"time\":1.5}\n");
    trace_reader_open(&r, path);
    r.accept_history = 1;
    is_int(trace_next(&r, &rec), TRACE_RECORD, "a history event, accepted");
    ok(r.history, "is recognised as a history");
    cJSON_Delete(rec);
    trace_reader_close(&r);
    trace_reader_open(&r, path);
    is_int(trace_next(&r, &rec), TRACE_BAD_LINE, "the same file as a trace: no header");
    trace_reader_close(&r);

    /* operations that do not pair up; precedence by record position */
    write_file("{\"type\":\"header\",\"schema\":1}\n"
               "{\"t\":1,\"type\":\"complete\",\"client\":1,\"seq\":9,\"status\":\"ok\"}\n"
               "{\"t\":2,\"type\":\"invoke\",\"client\":1,\"seq\":1,\"op\":\"put\",\"key\":\"x\"}\n"
               "{\"t\":2,\"type\":\"invoke\",\"client\":1,\"seq\":1,\"op\":\"put\",\"key\":\"x\"}\n"
               "{\"t\":3,\"type\":\"invoke\",\"client\":2,\"seq\":1,\"op\":\"get\",\"key\":\"x\"}\n"
               "{\"t\":3,\"type\":\"complete\",\"client\":1,\"seq\":1,\"status\":\"ok\"}\n"
               "{\"t\":3,\"type\":\"complete\",\"client\":1,\"seq\":1,\"status\":\"ok\"}\n"
               "{\"t\":4,\"type\":\"end\",\"status\":\"ok\"}\n");
    trace_reader_open(&r, path);
    trace_ops_init(&ops);
    trace_ops_source(&ops, &r);
    while (trace_next(&r, &rec) == TRACE_RECORD) {
        trace_ops_add(&ops, rec);
        cJSON_Delete(rec);
    }
    trace_ops_finish(&ops);
    is_int(ops.nerrors, 3, "three records that do not pair up");
    ok(ops.errors[0] && strstr(ops.errors[0], ":2: a complete of client 1 seq 9, which was never invoked"),
       "a complete without an invoke: %s", ops.errors[0]);
    ok(ops.errors[1] && strstr(ops.errors[1], ":4: a second invoke of client 1 seq 1 (the first is at line 3)"),
       "a second invoke: %s", ops.errors[1]);
    ok(ops.errors[2] && strstr(ops.errors[2], ":7: a second complete of client 1 seq 1 (the first is at line 6)"),
       "a second complete: %s", ops.errors[2]);
    is_int((long)ops.n, 2, "two operations");
    const struct trace_op *put = &ops.v[0], *get = &ops.v[1];
    ok(put->invoke_line == 3 && put->complete_line == 6 && get->invoke_line == 5 && get->complete_pos == -1,
       "each operation knows its lines");
    ok(put->complete_us == get->invoke_us && get->invoke_pos < put->complete_pos,
       "the get was invoked before the put returned, in the same microsecond: the positions tell");
    trace_ops_free(&ops);
    trace_reader_close(&r);

    /* without a reader, errors name the record number */
    trace_ops_init(&ops);
    cJSON *orphan = cJSON_Parse("{\"t\":1,\"type\":\"complete\",\"client\":3,\"seq\":1,\"status\":\"ok\"}");
    trace_ops_add(&ops, orphan);
    cJSON_Delete(orphan);
    trace_ops_finish(&ops);
    ok(ops.nerrors == 1 && strcmp(ops.errors[0], "record 1: a complete of client 3 seq 1, which was never invoked") == 0,
       "no reader: %s", ops.errors[0] ? ops.errors[0] : "(none)");
    trace_ops_free(&ops);
    unlink(path);
    return done_testing();
}
