/* Unit tests for sim/record.c and sim/trace.c: trace records and their JSON
 * Lines form. The trace is the product a user keeps and diffs, so the exact
 * bytes matter: field order, integer microseconds, escaping, null for a
 * non-finite number, and an error at close when the disk is full. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"

static char *json(const struct record *r, int with_time)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    record_to_json(r, with_time, &buf, &len, &cap);
    buf = realloc(buf, len + 1);
    buf[len] = 0;
    return buf;
}

static void test_json(void)
{
    struct record r;
    record_init(&r, "send", SIM_US(12345) + 999);
    record_int(&r, "src", 1);
    record_int(&r, "dst", -2);
    record_str(&r, "msg", "RequestVote");
    record_obj_begin(&r, "args");
    record_int(&r, "term", 2);
    record_bool(&r, "granted", 1);
    record_obj_end(&r);
    record_null(&r, "value");
    char *j = json(&r, 1);
    is_str(j, "{\"t\":12345,\"type\":\"send\",\"src\":1,\"dst\":-2,\"msg\":\"RequestVote\","
              "\"args\":{\"term\":2,\"granted\":true},\"value\":null}",
           "fields in order, nested object, time in whole microseconds (truncated)");
    free(j);

    record_init(&r, "x", -1);
    j = json(&r, 1);
    is_str(j, "{\"t\":-1,\"type\":\"x\"}", "a negative time rounds toward minus infinity");
    free(j);

    record_init(&r, "nums", 0);
    record_num(&r, "whole", 3.0);
    record_num(&r, "frac", 0.125);
    record_num(&r, "nan", NAN);
    record_num(&r, "inf", INFINITY);
    record_int(&r, "min", INT64_MIN);
    record_int(&r, "max", INT64_MAX);
    record_bool(&r, "no", 0);
    j = json(&r, 0);
    is_str(j, "{\"type\":\"nums\",\"whole\":3,\"frac\":0.125,\"nan\":null,\"inf\":null,"
              "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"no\":false}",
           "numbers: whole doubles as integers, non-finite as null, int64 extremes exact");
    free(j);

    record_init(&r, "esc", 0);
    record_str(&r, "s", "a\"b\\c\nd\te\r\x01/\xc3\xa9");
    record_obj_begin(&r, "empty");
    record_obj_end(&r);
    record_raw(&r, "groups", "[[1,2],[3]]");
    j = json(&r, 0);
    is_str(j, "{\"type\":\"esc\",\"s\":\"a\\\"b\\\\c\\nd\\te\\r\\u0001/\xc3\xa9\",\"empty\":{},\"groups\":[[1,2],[3]]}",
           "strings escaped (quotes, backslash, control characters), UTF-8 kept, raw JSON copied");
    free(j);
}

static void test_record(void)
{
    struct record r;
    record_init(&r, "role", 5);
    record_int(&r, "node", 3);
    record_obj_begin(&r, "args");
    record_int(&r, "term", 9);
    record_obj_end(&r);
    record_int(&r, "term", 4);
    const struct field *f = record_get(&r, "term");
    ok(f && f->kind == FIELD_INT && f->v.i == 4, "record_get finds top-level fields, not nested ones");
    ok(record_get(&r, "missing") == NULL, "record_get of an absent field is NULL");

    char tmp[] = "volatile";
    record_str(&r, "role", tmp);
    tmp[0] = 'X';
    is_str(record_get(&r, "role")->v.s, "volatile", "record_str copies the string");

    struct record *c = malloc(sizeof *c);
    record_copy(c, &r);
    memset(&r, 0, sizeof r);
    ok(strcmp(record_get(c, "role")->v.s, "volatile") == 0 && record_get(c, "node")->v.i == 3,
       "record_copy is independent of the original's buffer");
    free(c);

    record_init(&r, "big", 0);
    for (int i = 0; i < RECORD_MAX_FIELDS; i++)
        record_int(&r, "f", i);
    ok(!r.overflow, "RECORD_MAX_FIELDS fields fit");
    record_int(&r, "one_more", 1);
    ok(r.overflow && r.nfields == RECORD_MAX_FIELDS, "one more field sets overflow and is not stored");

    record_init(&r, "bigstr", 0);
    static char huge[RECORD_STRBUF + 10];
    memset(huge, 'a', sizeof huge - 1);
    record_str(&r, "s", huge);
    ok(!r.overflow, "a string larger than the buffer does not overflow the record");
    const char *cut = record_get(&r, "s")->v.s;
    ok(strlen(cut) == RECORD_STRBUF - 1 && strcmp(cut + strlen(cut) - 3, "...") == 0,
       "  it is cut to the room left, ending in \"...\"");
    record_init(&r, "bigraw", 0);
    record_raw(&r, "j", huge);
    ok(r.overflow, "raw JSON that does not fit is never cut (that would be invalid JSON): overflow");

    record_int(NULL, "x", 1);
    record_str(NULL, "x", "y");
    record_obj_begin(NULL, "x");
    ok(1, "the record helpers accept NULL (a disabled note)");
}

static void test_file(void)
{
    char path[] = "/tmp/clustersim-trace-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        printf("Bail out! mkstemp\n");
        exit(1);
    }
    close(fd);
    struct trace t;
    is_int(trace_open(&t, path), 0, "trace_open on a writable path");
    struct record r;
    record_init(&r, "header", 0);
    record_int(&r, "schema", 1);
    trace_write_untimed(&t, &r);
    for (int i = 0; i < 5000; i++) {            /* past the flush threshold */
        record_init(&r, "tick", SIM_MS(i));
        record_int(&r, "i", i);
        trace_write(&t, &r);
    }
    is_int((long long)t.lines, 5001, "lines counted");
    is_int(trace_close(&t), 0, "trace_close reports success");
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0, good = 1;
    while (f && fgets(line, sizeof line, f)) {
        char want[256];
        if (n == 0)
            snprintf(want, sizeof want, "{\"type\":\"header\",\"schema\":1}\n");
        else
            snprintf(want, sizeof want, "{\"t\":%d,\"type\":\"tick\",\"i\":%d}\n", (n - 1) * 1000, n - 1);
        if (strcmp(line, want) != 0)
            good = 0;
        n++;
    }
    if (f)
        fclose(f);
    ok(good && n == 5001, "the file holds one JSON object per line, header first, in order");
    unlink(path);

    is_int(trace_open(&t, "/nonexistent-dir/x.jsonl"), -1, "trace_open on an unwritable path fails");
    ok(errno == ENOENT, "  with errno set");

    if (access("/dev/full", W_OK) == 0) {
        is_int(trace_open(&t, "/dev/full"), 0, "open /dev/full");
        for (int i = 0; i < 10; i++) {
            record_init(&r, "x", 0);
            trace_write(&t, &r);
        }
        is_int(trace_close(&t), ENOSPC, "a full disk is reported at close (ENOSPC), not ignored");
    } else {
        ok(1, "# SKIP no /dev/full");
        ok(1, "# SKIP no /dev/full");
    }
}

int main(void)
{
    test_json();
    test_record();
    test_file();
    return done_testing();
}
