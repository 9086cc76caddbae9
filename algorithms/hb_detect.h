/* Heartbeat failure detection, the part every user of heartbeats shares:
 * what an observer keeps about one monitored peer (the time of its last
 * heartbeat and a sliding window of inter-arrival times) and the two
 * suspicion rules on it:
 *
 *   fixed  suspect when no heartbeat arrived for `timeout`;
 *   phi    the accrual detector of Hayashibara et al. (SRDS 2004):
 *          phi(t) = -log10(1 - F(t - T_last)), F the normal CDF with the
 *          mean and standard deviation of the last `window` inter-arrival
 *          times (the deviation floored at `min_std`); suspect at
 *          phi >= threshold.
 *
 * Both conditions are monotone in the time since the last heartbeat, so
 * each has an exact deadline (hb_deadline) an observer can arm one timer
 * for. The fdetect algorithm and the load balancer's health checks (lb)
 * both use this, so "phi with window 100" means the same in both.
 * All times are the observer's local clock.
 *
 * Ownership: hb_mon_init allocates the window, hb_mon_free frees it. */
#ifndef ALGORITHMS_HB_DETECT_H
#define ALGORITHMS_HB_DETECT_H

#include <stdint.h>

#include "sim/time.h"

enum { HB_FIXED = 0, HB_PHI = 1 };

/* "fixed", "phi", NULL: for config_choice */
extern const char *const hb_detector_names[];

struct hb_params {
    int detector;            /* HB_FIXED or HB_PHI */
    sim_time timeout;        /* fixed; phi before the first inter-arrival time */
    sim_time min_std;
    double threshold;
    double z;                /* upper-tail normal quantile: Q(z) = 10^-threshold (hb_params_finish) */
    int window;
};

struct hb_mon {
    int peer;
    int suspected;
    sim_time last;           /* local time of the last heartbeat, -1 before the first */
    int64_t sum_us;
    __extension__ __int128 sumsq_us;   /* exact: a window of 1e5 gaps of 1e9 us squared */
    int count, head;
    int32_t *win;            /* inter-arrival times, us, ring of `window` */
};

/* Fill p->z from p->threshold; call once after reading the options. */
void hb_params_finish(struct hb_params *p);
void hb_mon_init(struct hb_mon *m, int peer, int window);
void hb_mon_free(struct hb_mon *m);
/* A heartbeat from m's peer arrived at local time now. */
void hb_mon_beat(struct hb_mon *m, const struct hb_params *p, sim_time now);
/* Local time at which m becomes suspected (given no further heartbeat). */
sim_time hb_deadline(const struct hb_params *p, const struct hb_mon *m);
/* phi at local time now (0 with no history yet; +inf beyond double range). */
double hb_phi(const struct hb_params *p, const struct hb_mon *m, sim_time now);

#endif
