/* Heartbeat failure detection shared by fdetect and lb (see hb_detect.h). */
#include "algorithms/hb_detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dmath.h"

const char *const hb_detector_names[] = { "fixed", "phi", NULL };

/* Q(z) = 0.5 erfc(z / sqrt 2) is decreasing: bisect for Q(z) = p. */
static double upper_quantile(double p)
{
    double lo = -10, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * det_erfc(mid / M_SQRT2) > p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void hb_params_finish(struct hb_params *p) { p->z = upper_quantile(det_pow(10, -p->threshold)); }

void hb_mon_init(struct hb_mon *m, int peer, int window)
{
    memset(m, 0, sizeof *m);
    m->peer = peer;
    m->last = -1;
    m->win = calloc((size_t)window, sizeof *m->win);
    if (!m->win)
        abort();
}

void hb_mon_free(struct hb_mon *m)
{
    free(m->win);
    m->win = NULL;
}

void hb_mon_beat(struct hb_mon *m, const struct hb_params *p, sim_time now)
{
    if (m->last >= 0 && now >= m->last) {
        int64_t us = (now - m->last) / 1000;
        if (us > INT32_MAX)
            us = INT32_MAX;
        if (m->count == p->window) {
            int64_t old = m->win[m->head];
            m->sum_us -= old;
            m->sumsq_us -= (__int128)old * old;
        } else {
            m->count++;
        }
        m->win[m->head] = (int32_t)us;
        m->head = (m->head + 1) % p->window;
        m->sum_us += us;
        m->sumsq_us += (__int128)us * us;
    }
    m->last = now;
}

/* Mean and deviation (floored at min_std) of the window, in us. */
static void moments(const struct hb_params *p, const struct hb_mon *m, double *mean, double *sd)
{
    *mean = (double)m->sum_us / m->count;
    double var = (double)m->sumsq_us / m->count - *mean * *mean;
    *sd = var > 0 ? sqrt(var) : 0;
    double min_sd = (double)p->min_std / 1000.0;
    if (*sd < min_sd)
        *sd = min_sd;
}

sim_time hb_deadline(const struct hb_params *p, const struct hb_mon *m)
{
    if (p->detector == HB_FIXED || m->count < 1)
        return m->last + p->timeout;  /* phi with no history yet: fall back to the timeout */
    double mean, sd;
    moments(p, m, &mean, &sd);
    double us = mean + p->z * sd;
    return m->last + (sim_time)ceil(us * 1000.0);
}

double hb_phi(const struct hb_params *p, const struct hb_mon *m, sim_time now)
{
    if (m->count < 1)
        return 0;
    double mean, sd;
    moments(p, m, &mean, &sd);
    double t_us = (double)(now - m->last) / 1000.0;
    double tail = 0.5 * det_erfc((t_us - mean) / (sd * M_SQRT2));
    return tail > 0 ? -det_log(tail) / det_log(10) : INFINITY;
}
