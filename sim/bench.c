/* clustersim bench: simulated events per wall-clock second on the engine's
 * hot path, with real protocol code (the heartbeat failure detector) and no
 * Lua. Each case runs in its own forked process so its peak memory is its
 * own. This is the one place that reads the wall clock, and it only reports
 * what it read: nothing the simulation decides depends on it.
 *
 *   (a) 64 nodes, all-to-all heartbeats every 50 ms, latency uniform 1-5 ms,
 *       until 2,000,000 deliveries, trace off;
 *   (b) the same with the messages-level trace written to /dev/null;
 *   (c) 10,000 nodes, each heartbeating 3 peers. */
#include "sim/bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/engine.h"

struct bench_case {
    const char *name;
    int nodes, peers, trace;
    uint64_t deliveries;
};

struct bench_result {
    uint64_t events, deliveries, trace_lines;
    double wall_s, sim_s;
    long peak_kb;
    int ok;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_case(const struct bench_case *c, struct bench_result *r)
{
    memset(r, 0, sizeof *r);
    struct sim *s = sim_new(42);
    s->net.defaults.latency.kind = DIST_UNIFORM;
    s->net.defaults.latency.a = 1;
    s->net.defaults.latency.b = 5;
    if (c->trace) {
        if (trace_open(&s->trace, "/dev/null") != 0)
            return -1;
        s->trace_open = 1;
        s->trace_level = TRACE_MESSAGES;
        s->want_send = s->want_recv = s->want_drop = 1;
    }
    struct config cfg;
    config_init(&cfg);
    struct config_entry *e = config_add(&cfg, "interval");
    e->type = CONFIG_NUM;
    e->num = 50;
    if (c->peers) {
        e = config_add(&cfg, "peers");
        e->type = CONFIG_NUM;
        e->num = c->peers;
    }
    struct error err;
    if (sim_cluster(s, algorithm_find("fdetect"), c->nodes, &cfg, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        config_free(&cfg);
        return -1;
    }
    config_free(&cfg);
    double t0 = wall_now();
    sim_time step = SIM_MS(100);
    while (s->m.delivered < c->deliveries && !s->stop)
        sim_run(s, s->now + step);
    r->wall_s = wall_now() - t0;
    r->events = s->m.events;
    r->deliveries = s->m.delivered;
    r->sim_s = (double)s->now / 1e9;
    if (c->trace) {
        sim_write_end(s, "ok");
        r->trace_lines = s->trace.lines;
        trace_close(&s->trace);
    }
    sim_free(s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_kb = ru.ru_maxrss;
    r->ok = 1;
    return 0;
}

static int in_child(const struct bench_case *c, struct bench_result *r)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        struct bench_result mine;
        if (run_case(c, &mine) != 0)
            _exit(70);
        ssize_t w = write(fds[1], &mine, sizeof mine);
        _exit(w == (ssize_t)sizeof mine ? 0 : 70);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], r, sizeof *r);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return got == (ssize_t)sizeof *r && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int cmd_bench(int argc, char **argv)
{
    uint64_t deliveries = 2000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--deliveries") == 0 && i + 1 < argc) {
            deliveries = strtoull(argv[++i], NULL, 10);
            if (deliveries == 0) {
                fprintf(stderr, "clustersim bench: --deliveries takes a number >= 1\n");
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "clustersim bench: unknown option '%s' (known: --deliveries N)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    const struct bench_case cases[] = {
        { "(a) 64 nodes all-to-all, trace off", 64, 0, 0, deliveries },
        { "(b) 64 nodes all-to-all, messages trace to /dev/null", 64, 0, 1, deliveries },
        { "(c) 10000 nodes, 3 peers each, trace off", 10000, 3, 0, deliveries },
    };
    struct bench_result res[3];
    printf("clustersim bench: heartbeat failure detectors every 50 ms, latency uniform 1-5 ms,\n"
           "until %" PRIu64 " deliveries per case; one core, wall-clock time\n\n", deliveries);
    printf("%-54s %10s %10s %8s %13s %13s %9s\n", "case", "events", "delivered", "wall s", "events/s",
           "deliveries/s", "peak MB");
    for (int i = 0; i < 3; i++) {
        if (in_child(&cases[i], &res[i]) != 0) {
            fprintf(stderr, "clustersim bench: case %s failed\n", cases[i].name);
            return EXIT_INTERNAL;
        }
        const struct bench_result *r = &res[i];
        printf("%-54s %10" PRIu64 " %10" PRIu64 " %8.2f %13.0f %13.0f %9.1f\n", cases[i].name, r->events,
               r->deliveries, r->wall_s, (double)r->events / r->wall_s, (double)r->deliveries / r->wall_s,
               (double)r->peak_kb / 1024.0);
        fflush(stdout);
    }
    double da = (double)res[0].deliveries / res[0].wall_s;
    double db = (double)res[1].deliveries / res[1].wall_s;
    printf("\n(b) is %.2fx slower than (a) (%" PRIu64 " trace lines); targets: (a) >= 5,000,000 deliveries/s, "
           "(b) <= 3x (a)\n", da / db, res[1].trace_lines);
    return 0;
}
