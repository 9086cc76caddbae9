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

/* Bytes that take the slow path: JSON escapes, and every non-ASCII byte,
 * whose UTF-8 must be checked. */
static inline int needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* A JSON string of s. Text a script wrote may hold any bytes (sim.log of
 * binary data, a scenario path in Latin-1): a byte that is not part of
 * well-formed UTF-8 is written as \ufffd, the replacement character, so
 * every trace line is valid JSON for any reader (docs/trace.md). The
 * NUL-terminated input means a truncated sequence at the end is seen as
 * malformed, never read past. */
void json_append_string(char **buf, size_t *len, size_t *cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    /* Fast path: most strings (names, message types, ids) need no escaping. */
    size_t clean = 0;
    while (clean < n && !needs_escape((unsigned char)s[clean]))
        clean++;
    if (clean == n) {
        reserve(buf, len, cap, n + 2);
        char *o = *buf + *len;
        *o++ = '"';
        memcpy(o, s, n);
        o[n] = '"';
        *len += n + 2;
        return;
    }
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
        } else if (c >= 0x80) {
            size_t k = utf8_seq(p);
            if (k) {
                memcpy(o, p, k);
                o += k;
                p += k - 1;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
            }
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *len = (size_t)(o - *buf);
}

/* Decimal digits of v at o, two at a time; returns the end. */
static char *itoa_fast(char *o, int64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (u >= 10) {
        unsigned d = (unsigned)u * 2;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        *--p = '-';
    size_t k = (size_t)(e - p);
    memcpy(o, p, k);
    return o + k;
}

static void put_int(char **buf, size_t *len, size_t *cap, int64_t v)
{
    reserve(buf, len, cap, 24);
    *len = (size_t)(itoa_fast(*buf + *len, v) - *buf);
}

int json_format_double(char *out, size_t n, double d)
{
    if (!isfinite(d))
        return snprintf(out, n, "null");
    if (d == (double)(int64_t)d && fabs(d) < 9e15)
        return snprintf(out, n, "%lld", (long long)d);
    /* the shortest of %.15g / %.16g / %.17g that reads back exactly */
    for (int prec = 15; prec <= 17; prec++) {
        int k = snprintf(out, n, "%.*g", prec, d);
        if (prec == 17 || strtod(out, NULL) == d)
            return k;
    }
    return 0;
}

static void put_num(char **buf, size_t *len, size_t *cap, double d)
{
    char tmp[40];
    int n = json_format_double(tmp, sizeof tmp, d);
    put(buf, len, cap, tmp, (size_t)n);
}

static void flush(struct trace *t)
{
    if (t->len && !t->error) {
        if (fwrite(t->buf, 1, t->len, t->f) != t->len)
            t->error = errno ? errno : EIO;
    }
    t->len = 0;
}

/* Append the record's fields, each preceded by a comma: ,"a":1,"b":{"c":2} */
static void fields_to_json(const struct record *r, char **buf, size_t *len, size_t *cap)
{
    int first = 0;      /* inside an object just opened: no comma before its first field */
    for (int i = 0; i < r->nfields; i++) {
        const struct field *f = &r->f[i];
        if (f->kind == FIELD_OBJ_END) {
            PUTS("}");
            first = 0;
            continue;
        }
        /* Field names are program constants, plain identifiers (record.h):
         * no escaping needed. */
        size_t nl = strlen(f->name);
        reserve(buf, len, cap, nl + 4);
        char *o = *buf + *len;
        if (!first)
            *o++ = ',';
        first = 0;
        *o++ = '"';
        memcpy(o, f->name, nl);
        o += nl;
        *o++ = '"';
        *o++ = ':';
        *len = (size_t)(o - *buf);
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
}

int64_t trace_time_us(sim_time t)
{
    /* microseconds, truncated toward minus infinity */
    return t >= 0 ? t / 1000 : -((-t + 999) / 1000);
}

void record_to_json(const struct record *r, int with_time, char **buf, size_t *len, size_t *cap)
{
    PUTS("{");
    if (with_time) {
        PUTS("\"t\":");
        put_int(buf, len, cap, trace_time_us(r->t));
        PUTS(",");
    }
    PUTS("\"type\":");
    json_append_string(buf, len, cap, r->type);
    fields_to_json(r, buf, len, cap);
    PUTS("}");
}

#define LIT(o, lit) (memcpy(o, lit, sizeof(lit) - 1), (o) + sizeof(lit) - 1)

void trace_write_msg(struct trace *t, sim_time at, const char *type, int src, int dst, const char *msg,
                     uint64_t id, const struct record *args, const char *why)
{
    if (!t->f) {
        t->lines += t->tap != NULL;     /* a tapped trace only counts message lines */
        return;
    }
    char **buf = &t->buf;
    size_t *len = &t->len, *cap = &t->cap;
    size_t msglen = strlen(msg), typelen = strlen(type);
    /* One reservation for the whole fixed part; type and why are engine
     * words that need no escaping, msg comes quoted and escaped. */
    reserve(buf, len, cap, 128 + typelen + msglen + (why ? strlen(why) + 16 : 0));
    char *o = *buf + *len;
    o = LIT(o, "{\"t\":");
    o = itoa_fast(o, trace_time_us(at));
    o = LIT(o, ",\"type\":\"");
    memcpy(o, type, typelen);
    o += typelen;
    o = LIT(o, "\",\"src\":");
    o = itoa_fast(o, src);
    o = LIT(o, ",\"dst\":");
    o = itoa_fast(o, dst);
    o = LIT(o, ",\"msg\":");
    memcpy(o, msg, msglen);     /* already a JSON string, quotes included */
    o += msglen;
    o = LIT(o, ",\"id\":");
    o = itoa_fast(o, (int64_t)id);
    *len = (size_t)(o - *buf);
    if (args)
        fields_to_json(args, buf, len, cap);
    if (why) {
        PUTS(",\"why\":");
        json_append_string(buf, len, cap, why);
    }
    PUTS("}\n");
    t->lines++;
    if (t->len >= FLUSH_AT)
        flush(t);
}

void record_to_json_newline(char **buf, size_t *len, size_t *cap) { put(buf, len, cap, "\n", 1); }

void json_append_raw(char **buf, size_t *len, size_t *cap, const char *json) { put(buf, len, cap, json, strlen(json)); }

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

void trace_open_tap(struct trace *t, trace_tap_fn *tap, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->tap = tap;
    t->tap_ctx = ctx;
}

static void write_rec(struct trace *t, const struct record *r, int with_time)
{
    if (!t->f) {
        if (t->tap)
            t->tap(t->tap_ctx, r, ++t->lines);
        return;
    }
    record_to_json(r, with_time, &t->buf, &t->len, &t->cap);
    put(&t->buf, &t->len, &t->cap, "\n", 1);
    t->lines++;
    if (t->len >= FLUSH_AT)
        flush(t);
}

void trace_write(struct trace *t, const struct record *r) { write_rec(t, r, 1); }

void trace_write_raw(struct trace *t, const char *bytes, size_t len, unsigned long long lines)
{
    if (!t->f) {
        t->lines += t->tap ? lines : 0;
        return;
    }
    put(&t->buf, &t->len, &t->cap, bytes, len);
    t->lines += lines;
    if (t->len >= FLUSH_AT)
        flush(t);
}
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
