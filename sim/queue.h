/* The event queue: a 4-ary min-heap of event records ordered by (time,
 * sequence). Sequence numbers are handed out in scheduling order, so events
 * at the same instant run in the order they were scheduled: that tie-break is
 * what makes a run a pure function of its inputs. Events are pooled: the hot
 * path allocates nothing once the pool has grown to the run's high-water mark. */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "sim/time.h"

enum event_kind {
    EV_FREE = 0,
    EV_DELIVER,      /* a message arrives at msg->dst */
    EV_TIMER,        /* node timer `aux` of node `target` */
    EV_ACTION,       /* a scripted Lua action (aux = registry ref) */
    EV_RESUME,       /* node `target` resumes from a pause */
    EV_CLIENT,       /* client `target`: aux says what (client.c) */
    EV_NEMESIS,      /* nemesis step (aux says which) */
    EV_CANCELLED,    /* cancelled while waiting in a paused node's deferred list */
    EV_SYNC          /* node `target`'s disk finished the sync with ticket `aux` */
};

#define HEAP_NONE     UINT32_MAX
#define HEAP_DEFERRED (UINT32_MAX - 1)

struct msg;

struct event {
    sim_time at;
    uint64_t seq;
    uint32_t heap_idx;       /* position in the heap, HEAP_NONE, or HEAP_DEFERRED */
    uint8_t kind;
    int32_t target;          /* endpoint id */
    int64_t aux;
    int64_t aux2;
    sim_time local_deadline; /* timers: deadline on the owner's local clock */
    struct msg *msg;
    struct event *next;      /* free list or deferred list */
};

struct queue {
    struct event **heap;
    uint32_t len, cap;
    uint64_t next_seq;
    struct event *free_list;
    struct event **blocks;   /* pool blocks, freed at close */
    size_t nblocks, blocks_cap;
    size_t live;             /* events handed out and not yet released */
};

void queue_init(struct queue *q);
void queue_close(struct queue *q);
struct event *queue_alloc(struct queue *q);          /* zeroed, not scheduled */
void queue_release(struct queue *q, struct event *e);
/* Schedule e at time `at` with the next sequence number. */
void queue_push(struct queue *q, struct event *e, sim_time at);
/* Move a scheduled event to a new time (new sequence number). */
void queue_move(struct queue *q, struct event *e, sim_time at);
void queue_remove(struct queue *q, struct event *e);
struct event *queue_pop(struct queue *q);
static inline struct event *queue_peek(const struct queue *q) { return q->len ? q->heap[0] : NULL; }
static inline size_t queue_len(const struct queue *q) { return q->len; }

#endif
