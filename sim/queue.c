/* 4-ary heap on (time, sequence); see queue.h. A 4-ary heap halves the depth
 * of a binary one and keeps siblings in one cache line of pointers, which is
 * what matters when most operations are a pop followed by a push. */
#include "sim/queue.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BLOCK 4096

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n);
    if (!r)
        abort();   /* out of memory in the simulator itself: nothing sane to do */
    return r;
}

void queue_init(struct queue *q)
{
    memset(q, 0, sizeof *q);
}

void queue_close(struct queue *q)
{
    for (size_t i = 0; i < q->nblocks; i++)
        free(q->blocks[i]);
    free(q->blocks);
    free(q->heap);
    memset(q, 0, sizeof *q);
}

static void grow_pool(struct queue *q)
{
    struct event *blk = calloc(POOL_BLOCK, sizeof *blk);
    if (!blk)
        abort();
    if (q->nblocks == q->blocks_cap) {
        q->blocks_cap = q->blocks_cap ? q->blocks_cap * 2 : 16;
        q->blocks = xrealloc(q->blocks, q->blocks_cap * sizeof *q->blocks);
    }
    q->blocks[q->nblocks++] = blk;
    for (size_t i = POOL_BLOCK; i-- > 0;) {
        blk[i].next = q->free_list;
        q->free_list = &blk[i];
    }
}

struct event *queue_alloc(struct queue *q)
{
    if (!q->free_list)
        grow_pool(q);
    struct event *e = q->free_list;
    q->free_list = e->next;
    memset(e, 0, sizeof *e);
    e->heap_idx = HEAP_NONE;
    q->live++;
    return e;
}

void queue_release(struct queue *q, struct event *e)
{
    assert(e->heap_idx == HEAP_NONE || e->heap_idx == HEAP_DEFERRED);
    assert(q->live > 0);
    e->kind = EV_FREE;
    e->msg = NULL;
    e->next = q->free_list;
    q->free_list = e;
    q->live--;
}

static inline int before(const struct event *a, const struct event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static inline void place(struct queue *q, uint32_t i, struct event *e)
{
    q->heap[i] = e;
    e->heap_idx = i;
}

static void sift_up(struct queue *q, uint32_t i)
{
    struct event *e = q->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!before(e, q->heap[p]))
            break;
        place(q, i, q->heap[p]);
        i = p;
    }
    place(q, i, e);
}

static void sift_down(struct queue *q, uint32_t i)
{
    struct event *e = q->heap[i];
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= q->len)
            break;
        uint32_t best = c;
        uint32_t end = c + 4 < q->len ? c + 4 : q->len;
        for (uint32_t k = c + 1; k < end; k++)
            if (before(q->heap[k], q->heap[best]))
                best = k;
        if (!before(q->heap[best], e))
            break;
        place(q, i, q->heap[best]);
        i = best;
    }
    place(q, i, e);
}

void queue_push(struct queue *q, struct event *e, sim_time at)
{
    assert(e->heap_idx == HEAP_NONE || e->heap_idx == HEAP_DEFERRED);
    if (q->len == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 1024;
        q->heap = xrealloc(q->heap, q->cap * sizeof *q->heap);
    }
    e->at = at;
    e->seq = q->next_seq++;
    q->heap[q->len] = e;
    e->heap_idx = q->len++;
    sift_up(q, e->heap_idx);
}

void queue_remove(struct queue *q, struct event *e)
{
    uint32_t i = e->heap_idx;
    assert(i < q->len && q->heap[i] == e);
    struct event *last = q->heap[--q->len];
    e->heap_idx = HEAP_NONE;
    if (last == e)
        return;
    place(q, i, last);
    sift_up(q, i);
    sift_down(q, last->heap_idx);
}

void queue_move(struct queue *q, struct event *e, sim_time at)
{
    queue_remove(q, e);
    queue_push(q, e, at);
}

struct event *queue_pop(struct queue *q)
{
    if (q->len == 0)
        return NULL;
    struct event *top = q->heap[0];
    struct event *last = q->heap[--q->len];
    top->heap_idx = HEAP_NONE;
    if (q->len > 0) {
        place(q, 0, last);
        sift_down(q, 0);
    }
    return top;
}
