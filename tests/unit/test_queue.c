/* Unit tests for sim/queue.c: the (time, sequence) event heap and its pool.
 *
 * The order of events is the engine's determinism: same-time events must run
 * in scheduling order, and queue_move / queue_remove must never disturb the
 * heap. A randomised stress test drives the heap against a reference model
 * (a plain array searched linearly) from a seeded stream. */
#include <stdlib.h>

#include "sim/queue.h"
#include "sim/rng.h"
#include "tests/unit/tap.h"

/* Every slot holds the right event and every parent is not after a child. */
static int heap_ok(const struct queue *q)
{
    for (uint32_t i = 0; i < q->len; i++) {
        const struct event *e = q->heap[i];
        if (e->heap_idx != i)
            return 0;
        if (i > 0) {
            const struct event *p = q->heap[(i - 1) / 4];
            if (e->at < p->at || (e->at == p->at && e->seq < p->seq))
                return 0;
        }
    }
    return 1;
}

static void test_order(void)
{
    struct queue q;
    queue_init(&q);
    ok(queue_peek(&q) == NULL && queue_pop(&q) == NULL, "empty queue: peek and pop give NULL");

    static const sim_time at[] = { 30, 10, 20, 10, 10, 0, 20 };
    enum { N = sizeof at / sizeof at[0] };
    struct event *ev[N];
    for (int i = 0; i < N; i++) {
        ev[i] = queue_alloc(&q);
        ev[i]->aux = i;
        queue_push(&q, ev[i], at[i]);
    }
    is_int(queue_len(&q), N, "len counts scheduled events");
    ok(queue_peek(&q) == ev[5], "peek is the earliest");
    /* (time, scheduling order): 0:5, 10:1,3,4, 20:2,6, 30:0 */
    static const int want[] = { 5, 1, 3, 4, 2, 6, 0 };
    int good = 1;
    sim_time last_at = -1;
    uint64_t last_seq = 0;
    for (int i = 0; i < N; i++) {
        struct event *e = queue_pop(&q);
        if (!e || e->aux != want[i] || e->heap_idx != HEAP_NONE)
            good = 0;
        if (e && i > 0 && (e->at < last_at || (e->at == last_at && e->seq <= last_seq)))
            good = 0;
        if (e) {
            last_at = e->at;
            last_seq = e->seq;
            queue_release(&q, e);
        }
    }
    ok(good, "pops by time, ties in scheduling order");
    ok(queue_pop(&q) == NULL, "drained");
    is_int(q.live, 0, "every event released");
    queue_close(&q);
}

static void test_move_remove(void)
{
    struct queue q;
    queue_init(&q);
    struct event *a = queue_alloc(&q), *b = queue_alloc(&q), *c = queue_alloc(&q);
    queue_push(&q, a, 10);
    queue_push(&q, b, 10);
    queue_push(&q, c, 10);
    /* Moving to the same time takes a new sequence number: a now runs last. */
    queue_move(&q, a, 10);
    ok(queue_pop(&q) == b && queue_pop(&q) == c && queue_pop(&q) == a,
       "queue_move to the same time re-queues behind its peers");

    queue_push(&q, a, 50);
    queue_push(&q, b, 40);
    queue_push(&q, c, 30);
    queue_move(&q, a, 5);
    ok(queue_peek(&q) == a && a->at == 5, "queue_move earlier brings an event to the front");
    queue_move(&q, a, 100);
    queue_remove(&q, c);
    ok(c->heap_idx == HEAP_NONE, "queue_remove clears heap_idx");
    is_int(queue_len(&q), 2, "queue_remove shrinks the heap");
    ok(queue_pop(&q) == b && queue_pop(&q) == a, "order after move and remove");
    queue_release(&q, a);
    queue_release(&q, b);
    queue_release(&q, c);

    struct event *z = queue_alloc(&q);
    z->aux = 7;
    z->msg = (struct msg *)&q;
    queue_release(&q, z);
    struct event *y = queue_alloc(&q);
    ok(y->aux == 0 && y->msg == NULL && y->kind == EV_FREE && y->heap_idx == HEAP_NONE,
       "queue_alloc hands out a zeroed, unscheduled event");
    queue_release(&q, y);
    queue_close(&q);
}

/* ---- randomised stress against a reference model ---- */

struct ref { struct event *e; sim_time at; uint64_t seq; };

static int ref_cmp(const void *pa, const void *pb)
{
    const struct ref *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static size_t ref_min(const struct ref *r, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (ref_cmp(&r[i], &r[best]) < 0)
            best = i;
    return best;
}

static void test_stress(void)
{
    enum { MAXLIVE = 600, STEPS = 60000 };
    struct queue q;
    struct rng r;
    queue_init(&q);
    rng_init(&r, 2024, RNG_TOOL, 1);
    struct ref *ref = calloc(MAXLIVE, sizeof *ref);
    size_t n = 0;
    int pop_ok = 1, heap_good = 1, seq_ok = 1;
    uint64_t pops = 0, moves = 0, removes = 0;
    sim_time now = 0;
    uint64_t last_seq = 0;

    for (int step = 0; step < STEPS; step++) {
        uint64_t op = rng_below(&r, 10);
        /* Narrow time windows make ties common. */
        sim_time at = now + (sim_time)rng_below(&r, 50);
        if ((op < 4 && n < MAXLIVE) || n == 0) {
            struct event *e = queue_alloc(&q);
            queue_push(&q, e, at);
            ref[n].e = e;
            ref[n].at = e->at;
            ref[n].seq = e->seq;
            if (e->seq <= last_seq && step > 0)
                seq_ok = 0;
            last_seq = e->seq;
            n++;
        } else if (op < 6) {
            size_t i = (size_t)rng_below(&r, n);
            queue_move(&q, ref[i].e, at);
            moves++;
            ref[i].at = ref[i].e->at;
            ref[i].seq = ref[i].e->seq;
            if (ref[i].at != at || ref[i].seq <= last_seq)
                seq_ok = 0;
            last_seq = ref[i].seq;
        } else if (op < 7) {
            size_t i = (size_t)rng_below(&r, n);
            queue_remove(&q, ref[i].e);
            removes++;
            queue_release(&q, ref[i].e);
            ref[i] = ref[--n];
        } else {
            size_t i = ref_min(ref, n);
            struct event *e = queue_pop(&q);
            pops++;
            if (e != ref[i].e)
                pop_ok = 0;
            now = e->at;
            queue_release(&q, e);
            ref[i] = ref[--n];
        }
        if (queue_len(&q) != n)
            heap_good = 0;
        if (step % 97 == 0 && !heap_ok(&q))
            heap_good = 0;
    }
    ok(heap_good && heap_ok(&q), "heap order and heap_idx hold through %d random operations", STEPS);
    ok(pop_ok, "every pop matched the reference minimum (%llu pops, %llu moves, %llu removes)",
       (unsigned long long)pops, (unsigned long long)moves, (unsigned long long)removes);
    ok(seq_ok, "sequence numbers increase with scheduling");

    /* Drain: the pop order is the reference sorted by (time, sequence). */
    qsort(ref, n, sizeof *ref, ref_cmp);
    int drain_ok = 1;
    for (size_t i = 0; i < n; i++) {
        struct event *e = queue_pop(&q);
        if (e != ref[i].e)
            drain_ok = 0;
        if (e)
            queue_release(&q, e);
    }
    ok(drain_ok && queue_len(&q) == 0, "draining %zu events gives the sorted reference order", n);
    is_int(q.live, 0, "live count back to 0 after the stress run");
    free(ref);
    queue_close(&q);
}

/* ---- pooling ---- */

static void test_pool(void)
{
    enum { WIDTH = 5000, CYCLES = 200 };
    struct queue q;
    queue_init(&q);
    struct event **held = calloc(WIDTH, sizeof *held);

    /* Warm up to the high-water mark once. */
    for (int i = 0; i < WIDTH; i++) {
        held[i] = queue_alloc(&q);
        queue_push(&q, held[i], i % 17);
    }
    is_int(q.live, WIDTH, "live counts allocated events");
    size_t blocks = q.nblocks;
    ok(blocks >= 1, "the pool grew to hold %d events (%zu blocks)", WIDTH, blocks);
    for (int i = 0; i < WIDTH; i++)
        queue_release(&q, queue_pop(&q));
    is_int(q.live, 0, "live count back to 0");

    /* Steady state: the same width again and again allocates no new block. */
    int steady = 1;
    for (int c = 0; c < CYCLES; c++) {
        int w = WIDTH - (c % 7) * 100;
        for (int i = 0; i < w; i++) {
            held[i] = queue_alloc(&q);
            queue_push(&q, held[i], (sim_time)((i * 7919) % 1000));
        }
        for (int i = 0; i < w / 2; i++)
            queue_move(&q, held[i], 2000 + i);
        for (int i = 0; i < w; i++)
            queue_release(&q, queue_pop(&q));
        if (q.nblocks != blocks || q.live != 0)
            steady = 0;
    }
    ok(steady, "%d allocate/release cycles keep nblocks at %zu and live at 0", CYCLES, blocks);

    /* Pop-then-push, the engine's common pattern, reuses the event just freed. */
    struct event *e = queue_alloc(&q);
    queue_release(&q, e);
    ok(queue_alloc(&q) == e, "a released event is the next one handed out (LIFO free list)");
    queue_release(&q, e);
    free(held);
    queue_close(&q);
    ok(q.nblocks == 0 && q.heap == NULL, "queue_close frees the pool");
}

int main(void)
{
    test_order();
    test_move_remove();
    test_stress();
    test_pool();
    return done_testing();
}
