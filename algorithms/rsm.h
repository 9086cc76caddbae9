/* Helpers shared by the replicated-log algorithms (Raft, Paxos) around the
 * KV state machine: byte-exact copies and digests of client commands, the
 * checker's violation formatter, and allocation that aborts on exhaustion
 * (a simulated cluster out of memory is not a result). */
#ifndef ALGORITHMS_RSM_H
#define ALGORITHMS_RSM_H

#include <stddef.h>
#include <stdint.h>
#include "sim/node.h"

void *rsm_xrealloc(void *p, size_t n);
void *rsm_xcalloc(size_t n, size_t size);

/* A copy of a client request with every byte defined (commands are hashed
 * and stored byte for byte). */
void rsm_copy_request(struct request *dst, const struct request *src);

/* FNV-1a of a command, continuing from h: attempt id, client, seq, num, then
 * op|key|value|expect. With with_id = 0 the attempt id is left out (the
 * command's content: every retry of one operation has the same). */
uint64_t rsm_request_digest(uint64_t h, const struct request *r, int with_id);

/* Fill *v with the invariant's name and a formatted detail; returns 1. */
int rsm_fail(struct violation *v, const char *invariant, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
