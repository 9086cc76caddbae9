/* The plug-in interface: an algorithm is a table of callbacks that run on
 * every simulated node. Node code sees only its own node through sim/node.h:
 * never another node's memory, never true time, never the cluster. The
 * omniscient side (`check`) sees everything and holds the safety invariants.
 *
 * Registering: add the algorithm's `const struct algorithm` to the table in
 * algorithms/registry.c. */
#ifndef ALGORITHMS_ALGORITHM_H
#define ALGORITHMS_ALGORITHM_H

#include <stddef.h>
#include "sim/node.h"

/* A seeded bug: `--bug NAME` switches a known mistake into the code. */
struct bug_def {
    const char *name;     /* "raft.commit_previous_term" */
    const char *lesson;   /* one line: what goes wrong and why it matters */
    /* The bug catalogue (tests/bugs.t, `clustersim bugs --json`): the scenario
     * that explore runs to find this bug, and the number of seeds within
     * which it must find it (<= 500). NULL / 0 until a scenario is paired. */
    const char *scenario; /* "scenarios/raft_flaky.lua" */
    int seeds;
};

/* Where a lock client finds the lock service (sim/client_lock.c): servers
 * first..first+count-1, of which `quorum` must grant (1 for a lease server,
 * a majority for Redlock); the protected storage node (0: none, -1: the
 * cluster itself, as a replicated lock machine's register); the clock
 * drift allowance the client subtracts from a lease's validity. */
struct lock_layout {
    int first, count, quorum, storage;
    double drift_factor;
};

struct algorithm {
    const char *name;                 /* "raft", "fdetect", ... */
    const char *summary;              /* one line for `clustersim` help texts */
    size_t state_size;                /* per-node volatile state, zeroed before start() */
    size_t params_size;               /* per-cluster options filled by configure() */
    size_t ghost_size;                /* per-cluster checker state (see node_ghost) */
    /* Read and validate options through the config view; an unknown or bad option
     * is reported by the engine or by returning -1 with err filled. */
    int  (*configure)(struct config *, void *params, struct error *);
    void (*start)(struct node *);     /* boot or restart: read the durable store, arm timers */
    void (*on_message)(struct node *, const struct message *);
    void (*on_timer)(struct node *, int timer_id);
    void (*on_request)(struct node *, const struct request *);   /* may be NULL */
    /* Global invariants, omniscient: return 1 and fill *v when one is broken. May be NULL. */
    int  (*check)(const struct cluster *, struct violation *);
    void (*inspect)(const struct node *, struct inspector *);    /* state for Lua and the trace */
    void (*describe)(int msg_type, const void *payload, size_t len, struct record *args);
    const char *const *msg_names;     /* message type -> name, msg_count entries */
    int msg_count;
    const struct bug_def *bugs;       /* NULL-name terminated, may be NULL */
    int supports_membership;          /* c:add_node / c:remove_node allowed */
    /* Leader query for c:leader(): the node that believes it leads in the highest
     * term and is up, or 0. May be NULL (then c:leader() is always nil). */
    int  (*leader)(const struct cluster *);
    /* Called once per run before the first node starts (may be NULL); frees nothing. */
    void (*ghost_init)(void *ghost, const void *params, int nodes);
    void (*ghost_free)(void *ghost);
    /* Free per-node heap memory the volatile state owns (on crash and at exit). May be NULL. */
    void (*state_free)(struct node *);
    /* The algorithm's own figures for sim.metrics() (detection times, ...). May be NULL. */
    void (*metrics)(const struct cluster *, struct inspector *);
    /* Membership (c:add_node, c:remove_node), may be NULL: called on every up
     * member after a node joined (the new one after its start), and on a
     * leaving node just before it goes (what it sends still leaves), then
     * on every remaining up member; in id order. */
    void (*on_membership)(struct node *, int id, int joined);
    /* Client-side routing (a "smart client" library), may be NULL: the node
     * a client sends this request to, `attempt` timeouts into the operation
     * (so a retry may try the next replica); 0 for the client's usual choice. */
    int  (*route)(const struct cluster *, const struct request *, int attempt);
    /* Per-cluster configuration every node holds identically (node_shared):
     * size, and a function that frees what it owns (may be NULL). */
    size_t shared_size;
    void (*shared_free)(void *shared);
    /* c:transfer_leadership(to), may be NULL: called on the node leader()
     * names; returns 0, or -1 with err filled when it refuses. */
    int  (*transfer_leadership)(struct node *leader, int to, struct error *err);
    /* A sync begun with node_store_sync_begin completed (every ticket up to
     * `ticket`). Algorithms that set it may run with a disk model
     * (sim.cluster{disk =}); NULL: syncs are instant for them. */
    void (*on_sync)(struct node *, uint64_t ticket);
    /* Membership through the algorithm (Raft's configuration entries): with
     * this set, c:remove_node(i) on an up node only tells every up member
     * (i included) through on_membership; i stays a member until its own
     * code calls node_leave (a removed Raft leader first commits its own
     * removal, §4.2.2). A crashed node is removed at once. */
    int membership_by_log;
    /* A lock service's layout for the lock client workload, may be NULL: then
     * a lock client sends each operation the usual way (to a leader), its
     * writes included. */
    void (*lock_layout)(const struct cluster *, struct lock_layout *);
};

const struct algorithm *algorithm_find(const char *name);
/* Comma-separated list of registered names, for error messages. */
const char *algorithm_names(void);
/* The table, NULL-terminated. */
extern const struct algorithm *const algorithm_registry[];

#endif
