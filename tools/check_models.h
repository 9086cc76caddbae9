/* tools/check_models.h: counter, queue and lock models for `clustersim
 * check` (see check_models.c); check.c's register model is MODEL_NONE. */
#ifndef TOOLS_CHECK_MODELS_H
#define TOOLS_CHECK_MODELS_H

#include <stdio.h>

#include "tools/trace_read.h"

enum { MODEL_NONE = 0, MODEL_COUNTER, MODEL_QUEUE, MODEL_LOCK };
#define MODEL_KIND_BASE 100  /* lop kinds at or above this are a model's */

int  model_op(const char *f);                                  /* the model an operation implies, or MODEL_NONE */
int  model_of_key(const struct trace_ops *ops, const char *key);
const char *model_name(int model);
void model_reset(void);                                        /* before each key */
void model_done(void);                                         /* after the last */
/* What a counter, queue or lock operation carried, for the explanation. */
void model_describe(const struct trace_op *op, FILE *f);
/* One operation as the search sees it; 0 when it cannot constrain the model. */
int  model_lop(int model, const struct trace_op *op, int *kind, int *arg, int *result);
int  model_step(int kind, int arg, int result, int state, int *next);

/* The counter's and queue's own invariants, without the search (see
 * check_models.c): 1 and an explanation printed when one is broken.
 * *unknown: the key's operations of unknown outcome. */
int  model_direct_check(int model, const struct trace_ops *ops, const char *key,
                        void (*describe)(const struct trace_op *, int, FILE *), int history, size_t *unknown);
/* More operations of unknown outcome than this on a key, and only the
 * direct checks run: the search doubles its work with each one. */
#define MODEL_SEARCH_MAX_UNKNOWN 6
extern long model_keys_unsearched;   /* keys judged by the direct checks alone */

#endif
