/* JSON Lines trace writer (see trace.h). Hand-written serialisation: the
 * messages-level trace writes a line per send, delivery and drop, so this is
 * on the hot path when that level is on. */
#include "sim/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_AT (1 << 16)

static void reserve(char **buf, size_t *len, size_t *cap, size_t more)
{
    if (*len + more <= *cap)
        return;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < *len + more)
        ncap *= 2;
    char *nb = realloc(*buf, ncap);
    if (!nb)
        abort();
    *buf = nb;
    *cap = ncap;
}

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    reserve(buf, len, cap, n);
    memcpy(*buf + *len, s, n);
    *len += n;
}

#define PUTS(lit) put(buf, len, cap, lit, sizeof(lit) - 1)

void json_append_string(char **buf, size_t *len, size_t *cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    reserve(buf, len, cap, n * 6 + 2);
    char *o = *buf + *len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            *o++ = '\\';
            switch (c) {
            case '\n': *o++ = 'n'; break;
            case '\t': *o++ = 't'; break;
            case '\r': *o++ = 'r'; break;
            default:
                *o++ = 'u'; *o++ = '0'; *o++ = '0';
                *o++ = hex[c >> 4]; *o++ = hex[c & 15];
            }
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *len = (size_t)(o - *buf);
}

static void put_int(char **buf, size_t *len, size_t *cap, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(buf, len, cap, p, (size_t)(e - p));
}

static void put_num(char **buf, size_t *len, size_t *cap, double d)
{
    if (!isfinite(d)) {
        PUTS("null");
        return;
    }
    if (d == (double)(int64_t)d && fabs(d) < 9e15) {
        put_int(buf, len, cap, (int64_t)d);
        return;
    }
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.6g", d);
    put(buf, len, cap, tmp, (size_t)n);
}

void record_to_json(const struct record *r, int with_time, char **buf, size_t *len, size_t *cap)
{
    int first = 1;
    PUTS("{");
    if (with_time) {
        PUTS("\"t\":");
        /* microseconds, truncated toward minus infinity */
        int64_t us = r->t >= 0 ? r->t / 1000 : -((-r->t + 999) / 1000);
        put_int(buf, len, cap, us);
        PUTS(",");
    }
    PUTS("\"type\":");
    json_append_string(buf, len, cap, r->type);
    first = 0;
    for (int i = 0; i < r->nfields; i++) {
        const struct field *f = &r->f[i];
        if (f->kind == FIELD_OBJ_END) {
            PUTS("}");
            first = 0;
            continue;
        }
        if (!first)
            PUTS(",");
        first = 0;
        json_append_string(buf, len, cap, f->name);
        PUTS(":");
        switch (f->kind) {
        case FIELD_INT: put_int(buf, len, cap, f->v.i); break;
        case FIELD_NUM: put_num(buf, len, cap, f->v.d); break;
        case FIELD_STR: json_append_string(buf, len, cap, f->v.s); break;
        case FIELD_BOOL:
            if (f->v.b) PUTS("true"); else PUTS("false");
            break;
        case FIELD_NULL: PUTS("null"); break;
        case FIELD_RAW: put(buf, len, cap, f->v.s, strlen(f->v.s)); break;
        case FIELD_OBJ_BEGIN: PUTS("{"); first = 1; break;
        case FIELD_OBJ_END: break;
        }
    }
    PUTS("}");
}

int trace_open(struct trace *t, const char *path)
{
    memset(t, 0, sizeof *t);
    if (strcmp(path, "-") == 0) {
        t->f = stdout;
    } else {
        t->f = fopen(path, "w");
        if (!t->f)
            return -1;
        t->owned = 1;
    }
    t->path = strdup(path);
    return 0;
}

static void flush(struct trace *t)
{
    if (t->len && !t->error) {
        if (fwrite(t->buf, 1, t->len, t->f) != t->len)
            t->error = errno ? errno : EIO;
    }
    t->len = 0;
}

static void write_rec(struct trace *t, const struct record *r, int with_time)
{
    if (!t->f)
        return;
    record_to_json(r, with_time, &t->buf, &t->len, &t->cap);
    put(&t->buf, &t->len, &t->cap, "\n", 1);
    t->lines++;
    if (t->len >= FLUSH_AT)
        flush(t);
}

void trace_write(struct trace *t, const struct record *r) { write_rec(t, r, 1); }
void trace_write_untimed(struct trace *t, const struct record *r) { write_rec(t, r, 0); }

int trace_close(struct trace *t)
{
    if (!t->f) {
        free(t->buf);
        free(t->path);
        return 0;
    }
    flush(t);
    if (fflush(t->f) != 0 && !t->error)
        t->error = errno ? errno : EIO;
    if (t->owned && fclose(t->f) != 0 && !t->error)
        t->error = errno ? errno : EIO;
    t->f = NULL;
    free(t->buf);
    free(t->path);
    t->buf = NULL;
    t->path = NULL;
    return t->error;
}
