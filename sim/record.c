/* Trace records under construction (see record.h). */
#include "sim/record.h"

#include <assert.h>
#include <string.h>

void record_init(struct record *r, const char *type, sim_time t)
{
    r->type = type;
    r->t = t;
    r->nfields = 0;
    r->strused = 0;
    r->overflow = 0;
}

static struct field *add(struct record *r, const char *name, enum field_kind k)
{
    if (r->nfields >= RECORD_MAX_FIELDS) {
        r->overflow = 1;
        return NULL;
    }
    struct field *f = &r->f[r->nfields++];
    f->name = name;
    f->kind = k;
    return f;
}

static const char *copy(struct record *r, const char *s, int may_cut)
{
    size_t n = strlen(s) + 1;
    if (r->strused + n > RECORD_STRBUF) {
        if (!may_cut) {      /* raw JSON cut short would be invalid JSON */
            r->overflow = 1;
            return "null";
        }
        /* A string longer than the room left (a script's message, say) is
         * cut, with "..." to show it; never silently dropped. */
        size_t room = RECORD_STRBUF - r->strused;
        if (room < 4) {
            r->overflow = 1;
            return "";
        }
        char *p = r->strbuf + r->strused;
        memcpy(p, s, room - 4);
        memcpy(p + room - 4, "...", 4);
        r->strused = RECORD_STRBUF;
        return p;
    }
    char *p = r->strbuf + r->strused;
    memcpy(p, s, n);
    r->strused += n;
    return p;
}

void record_int(struct record *r, const char *name, int64_t v)
{
    struct field *f;
    if (r && (f = add(r, name, FIELD_INT)))
        f->v.i = v;
}

void record_num(struct record *r, const char *name, double v)
{
    struct field *f;
    if (r && (f = add(r, name, FIELD_NUM)))
        f->v.d = v;
}

void record_str(struct record *r, const char *name, const char *v)
{
    struct field *f;
    if (r && (f = add(r, name, FIELD_STR)))
        f->v.s = copy(r, v ? v : "", 1);
}

void record_bool(struct record *r, const char *name, int v)
{
    struct field *f;
    if (r && (f = add(r, name, FIELD_BOOL)))
        f->v.b = v != 0;
}

void record_null(struct record *r, const char *name)
{
    if (r)
        add(r, name, FIELD_NULL);
}

void record_raw(struct record *r, const char *name, const char *json)
{
    struct field *f;
    if (r && (f = add(r, name, FIELD_RAW)))
        f->v.s = copy(r, json, 0);
}

void record_obj_begin(struct record *r, const char *name)
{
    if (r)
        add(r, name, FIELD_OBJ_BEGIN);
}

void record_obj_end(struct record *r)
{
    if (r)
        add(r, "", FIELD_OBJ_END);
}

const struct field *record_get(const struct record *r, const char *name)
{
    int depth = 0;
    for (int i = 0; i < r->nfields; i++) {
        const struct field *f = &r->f[i];
        if (f->kind == FIELD_OBJ_END) {
            depth--;
            continue;
        }
        if (depth == 0 && strcmp(f->name, name) == 0)
            return f;
        if (f->kind == FIELD_OBJ_BEGIN)
            depth++;
    }
    return NULL;
}

void record_copy(struct record *dst, const struct record *src)
{
    memcpy(dst, src, sizeof *dst);
    const char *lo = src->strbuf, *hi = src->strbuf + RECORD_STRBUF;
    for (int i = 0; i < dst->nfields; i++) {
        struct field *f = &dst->f[i];
        if (f->name >= lo && f->name < hi)
            f->name = dst->strbuf + (f->name - lo);
        if ((f->kind == FIELD_STR || f->kind == FIELD_RAW) && f->v.s >= lo && f->v.s < hi)
            f->v.s = dst->strbuf + (f->v.s - lo);
    }
}
