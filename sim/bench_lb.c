/* clustersim bench, case (h): the load balancer at scale. 10,000 servers
 * (exponential service, mean 10 ms) behind one balancer at 70 % load, 10^6
 * requests from 1,000 open-loop Poisson clients, network latency uniform
 * 1-5 ms, trace off. Each policy runs in its own child (peak memory is its
 * own). What a pick costs is the point: random and power_of_d draw from the
 * balancer's healthy set, least_connections reads the front of its
 * load-ordered set, none scans the 10,000 servers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/bench.h"
#include "sim/client.h"
#include "sim/engine.h"
#include "sim/sim.h"

#define LB_SERVERS 10000
#define LB_REQUESTS 1000000
#define LB_CLIENTS 1000

struct lb_result { double wall_s; uint64_t events, requests, ok; long peak_kb; };

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_lb(void *arg, void *out)
{
    const char *policy = arg;
    struct lb_result *r = out;
    memset(r, 0, sizeof *r);
    struct sim *s = sim_new(42);
    s->net.defaults.latency.kind = DIST_UNIFORM;
    s->net.defaults.latency.a = 1;
    s->net.defaults.latency.b = 5;
    struct config cfg;
    config_init(&cfg);
    struct config_entry *e = config_add(&cfg, "policy");
    e->type = CONFIG_STR;
    e->str = strdup(policy);
    if (!e->str)
        abort();
    e = config_add(&cfg, "service");
    e->type = CONFIG_DIST;
    e->dist.kind = DIST_EXPONENTIAL;
    e->dist.a = 10;
    struct error err;
    if (sim_cluster(s, algorithm_find("lb"), LB_SERVERS + 1, &cfg, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        config_free(&cfg);
        return -1;
    }
    config_free(&cfg);
    struct client_cfg cc;
    client_cfg_default(&cc);
    cc.workload = WORKLOAD_LB;
    cc.keys = 1000;
    /* 70 % of 10,000 servers x 100 requests/s each, from 1,000 clients */
    cc.rate = 0.7 * LB_SERVERS * 100 / LB_CLIENTS;
    cc.max_outstanding = 256;
    cc.timeout = SIM_MS(1e6);
    cc.stop = sim_ms_to_ns(1000.0 * LB_REQUESTS / (cc.rate * LB_CLIENTS));
    clients_add(s, LB_CLIENTS, &cc);
    double t0 = wall();
    sim_run(s, cc.stop + SIM_MS(500));
    r->wall_s = wall() - t0;
    r->events = s->m.events;
    r->requests = s->m.ops_invoked;
    r->ok = s->m.ops_ok;
    sim_free(s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_kb = ru.ru_maxrss;
    return 0;
}

int bench_lb(void)
{
    static char *const policies[] = { "random", "power_of_d", "least_connections" };
    printf("\n(h) load balancer: %d servers (exponential service, mean 10 ms) behind one balancer at 70 %% load,\n"
           "    %d requests from %d open-loop clients, latency uniform 1-5 ms, trace off\n\n",
           LB_SERVERS, LB_REQUESTS, LB_CLIENTS);
    printf("%-20s %10s %10s %11s %8s %12s %9s\n", "policy", "requests", "ok", "events", "wall s", "requests/s",
           "peak MB");
    for (int i = 0; i < 3; i++) {
        struct lb_result r;
        if (bench_child(run_lb, policies[i], &r, sizeof r) != 0) {
            fprintf(stderr, "clustersim bench: the load balancer case %s failed\n", policies[i]);
            return EXIT_INTERNAL;
        }
        printf("%-20s %10" PRIu64 " %10" PRIu64 " %11" PRIu64 " %8.2f %12.0f %9.1f\n", policies[i], r.requests, r.ok,
               r.events, r.wall_s, (double)r.requests / r.wall_s, (double)r.peak_kb / 1024.0);
        fflush(stdout);
    }
    return 0;
}
