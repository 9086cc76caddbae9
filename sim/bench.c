/* clustersim bench: simulated events per wall-clock second on the engine's
 * hot path, with real protocol code (the heartbeat failure detector) and no
 * Lua. Each case runs in its own forked process so its peak memory is its
 * own. This is the one place that reads the wall clock, and it only reports
 * what it read: nothing the simulation decides depends on it.
 *
 *   (a) 64 nodes, all-to-all heartbeats every 50 ms, latency uniform 1-5 ms,
 *       until 2,000,000 deliveries, trace off;
 *   (b) the same with the messages-level trace written to /dev/null;
 *   (c) 10,000 nodes, each heartbeating 3 peers;
 *   (a') the workload of (a), the detector written in Lua (sim.algorithm;
 *       the protocol of scenarios/lua/fd_heartbeat.lua, embedded below so an
 *       installed binary needs no scenario file): what a student's
 *       algorithm costs against the C one. It runs as a scenario through
 *       run_scenario, whose wall time includes loading the script (a few
 *       milliseconds of a run of seconds).
 * Then the hashing family:
 *   (d) placements per second of each scheme over 10,000 servers and 10^6
 *       keys (rendezvous, O(n) per key, on 10^4 keys), with build time and
 *       bytes per server of the placement structure;
 *   (e) the hashring store: 10,000 servers, 10^6 keys, 10^6 requests from
 *       client-routed open-loop clients, in simulated requests per second.
 * Then Raft over long runs (thesis ch. 5, log compaction), from the
 * scenario files (the source tree's, else the installed ones):
 *   (f) scenarios/raft_long.lua at 50 s and at 1,000 s simulated: µs of
 *       wall time per event, which with snapshots must stay within 1.5x;
 *   (g) scenarios/raft_figure16.lua (150-155 ms) at 1,000 and 3,000
 *       trials of crash-and-elect: 3x the trials within 4.5x the time.
 * Then the load balancer (bench_lb.c):
 *   (h) 10^6 requests over 10,000 servers behind one balancer, for random,
 *       power_of_d and least_connections, in requests per second. */
#include "sim/bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "algorithms/hash_place.h"
#include "sim/client.h"
#include "sim/engine.h"
#include "sim/sim.h"

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

/* ------------------------------------------------- the detector in Lua */

/* The fixed-timeout detector of fdetect.c as scenarios/lua/fd_heartbeat.lua
 * writes it (the test there shows the two traces equal record for record),
 * on the cluster and network of run_case: 64 nodes, interval 50 ms,
 * timeout 200 ms, latency uniform 1-5 ms, seed 42, stepping 100 ms at a
 * time until sim.args[1] deliveries. It prints what the parent reports. */
static const char lua_heartbeat[] =
    "local want = math.tointeger(tonumber(sim.args[1]))\n"
    "local EPS = 1e-7\n"
    "local function arm_check(node)\n"
    "  local s, best = node.state, nil\n"
    "  for _, peer in ipairs(s.order) do\n"
    "    local m = s.mons[peer]\n"
    "    if not m.suspected then\n"
    "      local d = m.last + node.config.timeout\n"
    "      if best == nil or d < best then best = d end\n"
    "    end\n"
    "  end\n"
    "  s.armed = best\n"
    "  if best == nil then node:cancel(\"check\") return end\n"
    "  local now = node:now()\n"
    "  node:timer(\"check\", best > now and best - now or 0)\n"
    "end\n"
    "local hb = sim.algorithm{\n"
    "  name = \"bench_heartbeat\",\n"
    "  start = function(node)\n"
    "    node.state.seq, node.state.mons, node.state.order = 0, {}, {}\n"
    "    node:timer(\"heartbeat\", node:random(0, 50000000) / 1e6)\n"
    "  end,\n"
    "  on_timer = function(node, name)\n"
    "    local s = node.state\n"
    "    if name == \"heartbeat\" then\n"
    "      s.seq = s.seq + 1\n"
    "      node:broadcast({type = \"Heartbeat\", seq = s.seq})\n"
    "      node:timer(\"heartbeat\", node.config.interval)\n"
    "      return\n"
    "    end\n"
    "    s.armed = nil\n"
    "    local now = node:now()\n"
    "    for _, peer in ipairs(s.order) do\n"
    "      local m = s.mons[peer]\n"
    "      if not m.suspected and m.last + node.config.timeout <= now + EPS then\n"
    "        m.suspected = true\n"
    "        node:note(\"suspect\", {target = peer})\n"
    "      end\n"
    "    end\n"
    "    arm_check(node)\n"
    "  end,\n"
    "  on_message = function(node, from, msg)\n"
    "    local s = node.state\n"
    "    local m = s.mons[from]\n"
    "    if m == nil then\n"
    "      m = {}\n"
    "      s.mons[from] = m\n"
    "      s.order[#s.order + 1] = from\n"
    "    end\n"
    "    m.last = node:now()\n"
    "    if m.suspected then\n"
    "      m.suspected = false\n"
    "      node:note(\"trust\", {target = from})\n"
    "    end\n"
    "    if s.armed == nil then arm_check(node) end\n"
    "  end,\n"
    "}\n"
    "sim.cluster{algorithm = hb, nodes = 64, config = {interval = 50, timeout = 200}}\n"
    "sim.network{latency = sim.uniform(1, 5)}\n"
    "while sim.metrics().messages.delivered < want do sim.run(sim.now() + 100) end\n"
    "local m = sim.metrics()\n"
    "print(string.format(\"%d %d %.6f\", m.events, m.messages.delivered, sim.now() / 1000))\n";

/* In the child: write the script to a temporary file, run it with stdout
 * (where the sandbox's print writes) redirected to another, read back its
 * one line. */
/* Run a scenario with stdout captured; the script's first output line,
 * when `want` > 0, is "EVENTS DELIVERIES SIM_S" (read into r). */
static int run_captured(struct run_opts *o, struct bench_result *r, int want)
{
    FILE *out = tmpfile();
    if (!out)
        return -1;
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(out), 1);
    double t0 = wall_now();
    int rc = run_scenario(o);
    r->wall_s = wall_now() - t0;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(out);
    double sim_s = 0;
    int got = want ? fscanf(out, "%" SCNu64 " %" SCNu64 " %lf", &r->events, &r->deliveries, &sim_s) : 0;
    fclose(out);
    if (rc != 0 || got != want)
        return -1;
    r->sim_s = sim_s;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_kb = ru.ru_maxrss;
    r->ok = 1;
    return 0;
}

static int run_lua_case(uint64_t deliveries, struct bench_result *r)
{
    memset(r, 0, sizeof *r);
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/clustersim-bench-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t len = sizeof lua_heartbeat - 1;
    int wrote = write(fd, lua_heartbeat, len) == (ssize_t)len;
    close(fd);
    if (!wrote) {
        unlink(path);
        return -1;
    }
    char arg[32];
    snprintf(arg, sizeof arg, "%" PRIu64, deliveries);
    char *args[] = { arg };
    struct run_opts o;
    run_opts_default(&o);
    o.scenario = path;
    o.seed = 42;
    o.quiet = 1;
    o.args = args;
    o.nargs = 1;
    int rc = run_captured(&o, r, 3);
    unlink(path);
    return rc;
}

/* ------------------------------------------------------ raft, long runs */

struct raft_case { const char *scenario; const char *param[3]; int want; };


static int find_scenario(const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "scenarios/%s", name);
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(path, cap, "%s/scenarios/%s", CLUSTERSIM_DATADIR, name);
    return access(path, R_OK) == 0 ? 0 : -1;
}

static int run_raft(const struct raft_case *c, struct bench_result *r)
{
    memset(r, 0, sizeof *r);
    char path[4096];
    if (find_scenario(c->scenario, path, sizeof path) != 0)
        return -1;
    char param[3][64], arg[] = "bench";
    char *params[3], *args[] = { arg };
    int np = 0;
    for (; np < 3 && c->param[np]; np++) {
        snprintf(param[np], sizeof param[np], "%s", c->param[np]);
        params[np] = param[np];
    }
    struct run_opts o;
    run_opts_default(&o);
    o.scenario = path;
    o.seed = 1;
    o.quiet = 1;
    o.params = params;
    o.nparams = np;
    o.args = c->want ? args : NULL;
    o.nargs = c->want ? 1 : 0;
    return run_captured(&o, r, c->want);
}

static int raft_thunk(void *arg, void *out) { return run_raft(arg, out); }

static int bench_raft(void)
{
    const struct raft_case cases[] = {
        { "raft_long.lua", { "duration=50000" }, 3 },
        { "raft_long.lua", { "duration=1000000" }, 3 },
        { "raft_figure16.lua", { "trials=1000", "min=150", "max=155" }, 0 },
        { "raft_figure16.lua", { "trials=3000", "min=150", "max=155" }, 0 },
    };
    struct bench_result r[4];
    for (int i = 0; i < 4; i++)
        if (bench_child(raft_thunk, (void *)&cases[i], &r[i], sizeof r[i]) != 0) {
            printf("\nraft: %s -P %s did not run (scenario missing or failed); skipped\n",
                   cases[i].scenario, cases[i].param[0]);
            return 0;
        }
    double us50 = 1e6 * r[0].wall_s / (double)r[0].events, us1000 = 1e6 * r[1].wall_s / (double)r[1].events;
    printf("\n(f) raft_long.lua, 5 nodes, a crash every 4 s, snapshots every 1000 entries:\n"
           "    50 s: %" PRIu64 " events, %.2f us/event, peak %.1f MB; 1000 s: %" PRIu64 " events, %.2f us/event, "
           "peak %.1f MB; ratio %.2f (target <= 1.5)\n",
           r[0].events, us50, (double)r[0].peak_kb / 1024.0, r[1].events, us1000, (double)r[1].peak_kb / 1024.0,
           us1000 / us50);
    printf("(g) raft_figure16.lua 150-155 ms: 1000 trials %.2f s, 3000 trials %.2f s: %.2fx the time for 3x the "
           "trials (target <= 4.5x)\n", r[2].wall_s, r[3].wall_s, r[3].wall_s / r[2].wall_s);
    return 0;
}

/* ------------------------------------------------------------- hashing */

#define BENCH_SERVERS 10000
#define BENCH_KEYS 1000000

struct place_result { double build_s, lookups_s; int64_t lookups, bytes; uint64_t check; long peak_kb; };

static int64_t place_bytes(const struct hash_place *p)
{
    int64_t b = (int64_t)p->n * (int64_t)sizeof *p->ids;
    b += (int64_t)p->npoints * (int64_t)(sizeof *p->points + sizeof *p->owner);
    if (p->seed)
        b += (int64_t)p->n * (int64_t)sizeof *p->seed;
    if (p->table)
        b += p->o.table_size * (int64_t)sizeof *p->table;
    if (p->load)
        b += (int64_t)p->n * (int64_t)sizeof *p->load;
    return b;
}

static int run_place(int scheme, struct place_result *r)
{
    memset(r, 0, sizeof *r);
    struct hash_opts o;
    hash_opts_default(&o);
    o.scheme = scheme;
    o.table_size = 1000003;      /* the smallest prime > 100 x 10,000 (Maglev's advice) */
    int *ids = malloc(BENCH_SERVERS * sizeof *ids);
    uint64_t *keys = malloc(BENCH_KEYS * sizeof *keys);
    if (!ids || !keys)
        return -1;
    for (int i = 0; i < BENCH_SERVERS; i++)
        ids[i] = i + 1;
    char buf[32];
    for (int i = 0; i < BENCH_KEYS; i++) {
        int len = snprintf(buf, sizeof buf, "k%d", i);
        keys[i] = hash_key(buf, (size_t)len);
    }
    struct hash_place p;
    struct error err;
    double t0 = wall_now();
    if (hash_place_build(&p, &o, ids, BENCH_SERVERS, &err))
        return -1;
    r->build_s = wall_now() - t0;
    r->bytes = place_bytes(&p);
    int64_t n = scheme == HASH_RENDEZVOUS ? BENCH_KEYS / 100 : BENCH_KEYS;
    if (scheme == HASH_BOUNDED)
        hash_bounded_begin(&p, n);
    t0 = wall_now();
    for (int64_t i = 0; i < n; i++)
        r->check += (uint64_t)(scheme == HASH_BOUNDED ? hash_bounded_add(&p, keys[i], NULL)
                                                      : hash_place_lookup(&p, keys[i], NULL));
    r->lookups_s = wall_now() - t0;
    r->lookups = n;
    hash_place_free(&p);
    free(ids);
    free(keys);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_kb = ru.ru_maxrss;
    return 0;
}

struct store_result { double wall_s; uint64_t events, requests, ok; int64_t keys, servers; long peak_kb, base_kb; };

static void keys_total(void *ctx, const char *name, double v)
{
    if (strcmp(name, "keys_total") == 0)
        *(int64_t *)ctx = (int64_t)v;
}
static void skip_int(void *ctx, const char *name, int64_t v) { (void)ctx, (void)name, (void)v; }
static void skip_str(void *ctx, const char *name, const char *v) { (void)ctx, (void)name, (void)v; }
static void skip_bool(void *ctx, const char *name, int v) { (void)ctx, (void)name, (void)v; }

static int run_store(struct store_result *r)
{
    memset(r, 0, sizeof *r);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->base_kb = ru.ru_maxrss;
    struct sim *s = sim_new(42);
    s->net.defaults.latency.kind = DIST_UNIFORM;
    s->net.defaults.latency.a = 1;
    s->net.defaults.latency.b = 5;
    struct config cfg;
    config_init(&cfg);
    struct error err;
    if (sim_cluster(s, algorithm_find("hashring"), BENCH_SERVERS, &cfg, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        config_free(&cfg);
        return -1;
    }
    config_free(&cfg);
    struct client_cfg cc;
    client_cfg_default(&cc);
    cc.workload = WORKLOAD_KV;
    cc.keys = BENCH_KEYS;
    cc.read_ratio = 0.2;         /* mostly writes, so the servers fill up */
    cc.rate = 10000;             /* 100 clients x 10,000/s x 1 s = 10^6 requests */
    cc.max_outstanding = 256;
    cc.stop = SIM_MS(1000);
    clients_add(s, 100, &cc);
    double t0 = wall_now();
    sim_run(s, SIM_MS(1100));
    r->wall_s = wall_now() - t0;
    r->events = s->m.events;
    r->requests = s->m.ops_invoked;
    r->ok = s->m.ops_ok;
    r->servers = BENCH_SERVERS;
    struct inspector in = { &r->keys, skip_int, keys_total, skip_str, skip_bool };
    s->alg->metrics(&s->cluster, &in);
    sim_free(s);
    getrusage(RUSAGE_SELF, &ru);
    r->peak_kb = ru.ru_maxrss;
    return 0;
}

/* Run f(arg, out) in a child so its peak memory is its own. */
int bench_child(int (*f)(void *, void *), void *arg, void *out, size_t len)
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
        char buf[512];
        if (len > sizeof buf || f(arg, buf) != 0)
            _exit(70);
        ssize_t w = write(fds[1], buf, len);
        _exit(w == (ssize_t)len ? 0 : 70);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], out, len);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return got == (ssize_t)len && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int case_thunk(void *arg, void *out) { return run_case(arg, out); }

static int in_child(const struct bench_case *c, struct bench_result *r)
{
    return bench_child(case_thunk, (void *)c, r, sizeof *r);
}

static int lua_thunk(void *arg, void *out) { return run_lua_case(*(const uint64_t *)arg, out); }
static int place_thunk(void *arg, void *out) { return run_place(*(int *)arg, out); }
static int store_thunk(void *arg, void *out) { (void)arg; return run_store(out); }

static int bench_hashing(void)
{
    printf("\nhashing: %d servers, %d keys (XXH3_64bits); rendezvous is O(n) per key, timed on %d keys\n\n",
           BENCH_SERVERS, BENCH_KEYS, BENCH_KEYS / 100);
    printf("%-14s %10s %14s %12s %16s\n", "scheme", "build s", "placements/s", "ns/lookup", "bytes/server");
    for (int sc = HASH_MODULO; sc <= HASH_BOUNDED; sc++) {
        struct place_result r;
        if (bench_child(place_thunk, &sc, &r, sizeof r) != 0) {
            fprintf(stderr, "clustersim bench: placement case %s failed\n", hash_scheme_names[sc]);
            return EXIT_INTERNAL;
        }
        printf("%-14s %10.3f %14.0f %12.1f %16.1f\n", hash_scheme_names[sc], r.build_s,
               (double)r.lookups / r.lookups_s, 1e9 * r.lookups_s / (double)r.lookups,
               (double)r.bytes / BENCH_SERVERS);
        fflush(stdout);
    }
    struct store_result st;
    if (bench_child(store_thunk, NULL, &st, sizeof st) != 0) {
        fprintf(stderr, "clustersim bench: the hashring store case failed\n");
        return EXIT_INTERNAL;
    }
    printf("\n(e) hashring store (ring, V = 100), %d servers, %d-key universe, client routing:\n"
           "    %" PRIu64 " requests (%" PRIu64 " ok), %" PRIu64 " events in %.2f s wall: %.0f simulated requests/s\n"
           "    peak %.1f MB for %" PRId64 " keys held: %.0f bytes per server, or %.0f bytes per key held\n"
           "    (everything: placement, node state, stores, clients, event pools)\n",
           BENCH_SERVERS, BENCH_KEYS, st.requests, st.ok, st.events, st.wall_s, (double)st.requests / st.wall_s,
           (double)st.peak_kb / 1024.0, st.keys, (double)(st.peak_kb - st.base_kb) * 1024.0 / BENCH_SERVERS,
           st.keys ? (double)(st.peak_kb - st.base_kb) * 1024.0 / (double)st.keys : 0.0);
    return 0;
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
        } else if (strcmp(argv[i], "--lb") == 0) {
            return bench_lb();       /* the load-balancer case alone */
        } else {
            fprintf(stderr, "clustersim bench: unknown option '%s' (known: --deliveries N, --lb)\n", argv[i]);
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
    struct bench_result lr;
    static const char lua_name[] = "(a') the same as (a), the detector written in Lua";
    if (bench_child(lua_thunk, &deliveries, &lr, sizeof lr) != 0) {
        fprintf(stderr, "clustersim bench: case %s failed\n", lua_name);
        return EXIT_INTERNAL;
    }
    printf("%-54s %10" PRIu64 " %10" PRIu64 " %8.2f %13.0f %13.0f %9.1f\n", lua_name, lr.events, lr.deliveries,
           lr.wall_s, (double)lr.events / lr.wall_s, (double)lr.deliveries / lr.wall_s, (double)lr.peak_kb / 1024.0);
    double da = (double)res[0].deliveries / res[0].wall_s;
    double db = (double)res[1].deliveries / res[1].wall_s;
    double dl = (double)lr.deliveries / lr.wall_s;
    printf("\n(b) is %.2fx slower than (a) (%" PRIu64 " trace lines); targets: (a) >= 5,000,000 deliveries/s, "
           "(b) <= 3x (a)\n", da / db, res[1].trace_lines);
    printf("(a') is %.2fx slower than (a)%s; target: within 10x\n", da / dl,
           lr.events == res[0].events && lr.deliveries == res[0].deliveries
               ? " (the same events and deliveries: the same run)" : " (NOT the same events as (a))");
    int rc = bench_hashing();
    if (!rc)
        rc = bench_raft();
    return rc ? rc : bench_lb();
}
