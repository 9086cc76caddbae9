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

int main(void)
{
    plan(27);
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
    return done_testing();
}
