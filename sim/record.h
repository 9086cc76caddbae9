/* A trace record under construction: a type, a time and an ordered list of
 * fields. The same record feeds the JSON Lines writer and the Lua `sim.on`
 * hooks, so what a hook sees is exactly what the trace says. Records live on
 * the stack; strings are copied into the record's own buffer. */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H

#include <stdint.h>
#include <stddef.h>
#include "sim/time.h"

#define RECORD_MAX_FIELDS 24
#define RECORD_STRBUF     4096

enum field_kind { FIELD_INT, FIELD_NUM, FIELD_STR, FIELD_BOOL, FIELD_NULL, FIELD_RAW,
                  FIELD_OBJ_BEGIN, FIELD_OBJ_END };

struct field {
    const char *name;        /* a plain identifier ([a-z0-9_]): written to JSON unescaped */
    enum field_kind kind;
    union { int64_t i; double d; const char *s; int b; } v;
};

struct record {
    const char *type;
    sim_time t;
    int nfields;
    size_t strused;
    int overflow;            /* set when fields or strings did not fit; asserted in debug */
    struct field f[RECORD_MAX_FIELDS];
    char strbuf[RECORD_STRBUF];
};

void record_init(struct record *r, const char *type, sim_time t);
void record_int(struct record *r, const char *name, int64_t v);
void record_num(struct record *r, const char *name, double v);
void record_str(struct record *r, const char *name, const char *v);
void record_bool(struct record *r, const char *name, int v);
void record_null(struct record *r, const char *name);
/* A pre-serialised JSON value (an array or object), copied. */
void record_raw(struct record *r, const char *name, const char *json);
/* A nested object: fields added between begin and end land inside it. */
void record_obj_begin(struct record *r, const char *name);
void record_obj_end(struct record *r);
/* Copy a record, re-pointing its strings into the copy's own buffer. */
void record_copy(struct record *dst, const struct record *src);
/* Look up a top-level field by name; NULL if absent. */
const struct field *record_get(const struct record *r, const char *name);

#endif
