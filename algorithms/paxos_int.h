/* Paxos internals shared by the protocol (paxos.c) and its omniscient
 * checker (paxos_check.c). Nothing outside those two files includes this. */
#ifndef ALGORITHMS_PAXOS_INT_H
#define ALGORITHMS_PAXOS_INT_H

#include <stdint.h>
#include "algorithms/algorithm.h"
#include "algorithms/kv.h"
#include "algorithms/machine.h"

/* A ballot is (round, node), totally ordered by round then node, packed so
 * that integer comparison is ballot comparison. 0 is "no ballot". */
#define PAXOS_MAX_NODES 64           /* acknowledgement sets are 64-bit masks */
#define BALLOT(round, node) (((uint64_t)(round) << 16) | (uint64_t)(node))
#define BALLOT_ROUND(b) ((b) >> 16)
#define BALLOT_NODE(b) ((int)((b) & 0xffff))

enum paxos_mode { MODE_MULTI = 0, MODE_SINGLE = 1 };
enum paxos_role { FOLLOWER = 0, CANDIDATE, LEADER, ACCEPTOR, PROPOSER };

enum { V_NONE = 0, V_NOOP = 1, V_CMD = 2 };

/* A proposal's value: a client command or a no-op (Lamport §3: gaps are
 * filled with "no-op" commands that leave the state unchanged). Every byte
 * is defined, so values are hashed and stored byte for byte. */
struct value {
    int32_t type;
    int32_t pad;
    struct request cmd;
};

struct paxos_params {
    int mode;
    sim_time election[2];
    sim_time heartbeat;
    int backoff;
    int max_batch;
    int machine;                 /* index into machine_names */
    int bug_ignore_accepted_value, bug_accept_lower_ballot, bug_no_persist_promise,
        bug_learn_without_quorum;
};

/* ---- observations for the checker (node code appends, check() reads) ---- */

enum pobs_kind { PO_REQUEST, PO_PROMISE, PO_RECOVER, PO_ACCEPT, PO_LEARN, PO_APPLY, PO_REPLY };

struct pobs {
    enum pobs_kind kind;
    int node;
    uint64_t slot, ballot, aux;
    struct value v;              /* PO_ACCEPT, PO_LEARN, PO_APPLY; PO_REQUEST: the request */
    struct result res;           /* PO_REPLY */
};

struct pgbal {                   /* one (ballot, value) accepted at one slot */
    uint64_t ballot, digest, mask;
    uint32_t next;               /* index + 1 of the next record of the slot, 0 = end */
    uint32_t pad;
};

struct pgslot {                  /* what the checker knows of one slot */
    uint32_t first;              /* its (ballot, value) records, index + 1 */
    int chosen;
    uint64_t chosen_digest, chosen_ballot;
    struct value chosen_v;
    int applied_by;
    uint64_t applied_digest;
    uint64_t result;             /* digest of the reference state machine's result */
};

struct paxos_ghost {
    int nodes, mode;
    struct pobs *q;
    size_t nq, capq;
    struct pgslot *slots;        /* [slot] */
    size_t capslots;
    struct pgbal *bals;
    size_t nbals, capbals;
    uint64_t *max_promise;       /* [node]: highest promise it ever made */
    uint64_t *last_applied;      /* [node]: its applied prefix since its last start */
    uint64_t *proposed;          /* open-addressing set of client command digests */
    size_t nproposed, capproposed;
    uint64_t chosen_hw, applied_hw;
    struct machine ref;          /* reference state machine, applied in slot order */
    struct machine_watch watch;  /* non-kv answers judged by the checker's own model */
    /* metrics */
    uint64_t phase1, leaders, preemptions, max_round, noops, redirects, nacks, chosen_slots;
};

/* paxos_check.c */
struct pobs *paxos_observe(struct node *n, enum pobs_kind kind);
uint64_t paxos_value_digest(const struct value *v);
void paxos_ghost_init(void *ghost, const void *params, int nodes);
void paxos_ghost_free(void *ghost);
int  paxos_check(const struct cluster *c, struct violation *v);
void paxos_metrics(const struct cluster *c, struct inspector *in);

#endif
