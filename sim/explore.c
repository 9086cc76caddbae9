/* explore (see explore.h). Each seed runs in its own forked process, so a
 * crash of one run cannot take the others down and a run's memory is gone
 * when it ends. A child tells the parent its exit code (as its exit status)
 * and a few figures through a pipe; its stderr goes to a file so the first
 * line of a failure can be shown next to the seed. Results are printed in
 * seed order whatever order the workers finish in. */
#include "sim/explore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/client.h"
#include "sim/engine.h"
#include "sim/outpath.h"


void explore_opts_default(struct explore_opts *e)
{
    memset(e, 0, sizeof *e);
    e->jobs = 1;
    e->max_failures = 3;
}

/* one write, so the worker never blocks on a full pipe */
_Static_assert(sizeof(struct child_report) < 65536, "child_report fits a pipe");

static char tmpdir[64];

static void log_path(char *buf, size_t n, const char *dir, uint64_t seed)
{
    snprintf(buf, n, "%s/seed-%" PRIu64 ".log", dir, seed);
}

static void put_metric(void *ctx, const char *name, double v)
{
    struct child_report *rep = ctx;
    if (rep->nmetrics >= EX_MAX_METRICS)
        return;
    struct ex_metric *m = &rep->metrics[rep->nmetrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->v = v;
}
static void put_int(void *ctx, const char *name, int64_t v) { put_metric(ctx, name, (double)v); }
static void put_bool(void *ctx, const char *name, int v) { put_metric(ctx, name, v); }
static void put_str(void *ctx, const char *name, const char *v) { (void)ctx; (void)name; (void)v; }

/* In the worker, at the end of the run: what the nemesis did, what broke,
 * and the algorithm's own counters (its sim.metrics() figures). */
static void on_end(void *ctx, void *sim)
{
    struct child_report *rep = ctx;
    struct sim *s = sim;
    nemesis_get_stats(s, &rep->st);
    rep->checkable = clients_checkable(s);
    int n;
    const struct nemesis_fault_rec *log = nemesis_log(s, &n);
    rep->nlog = n < EX_MAX_LOG ? n : EX_MAX_LOG;
    if (rep->nlog)
        memcpy(rep->log, log, (size_t)rep->nlog * sizeof *log);
    if (s->stop == STOP_VIOLATION)
        snprintf(rep->invariant, sizeof rep->invariant, "%s", s->violation.invariant);
    if (s->alg && s->alg->metrics) {
        struct inspector in = { rep, put_int, put_metric, put_str, put_bool };
        s->alg->metrics(&s->cluster, &in);
    }
    for (int i = 0; i < sim_ninvariants && rep->ninv < EX_MAX_INV; i++)
        if (s->inv_evaluated[i]) {
            struct ex_inv *v = &rep->inv[rep->ninv++];
            snprintf(v->name, sizeof v->name, "%s", sim_invariant_names[i]);
            v->n = s->inv_evaluated[i];
        }
}

static const struct history_check *history_check;
static int devnull = -1;     /* every worker's stdout; opened beside tmpdir, for one sweep */

/* The sweep's temporary directory and /dev/null, made together in explore(). */
static void drop_tmp(void)
{
    rmdir(tmpdir);
    if (devnull >= 0)
        close(devnull);
    devnull = -1;
}

static pid_t spawn_run(const struct run_opts *base, const char *tmp, const char *trace_dir, int *rfd)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);     /* or the child inherits unwritten buffers (--json) and writes them again */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        uint64_t seed = base->seed;
        char path[128];
        log_path(path, sizeof path, tmp, seed);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = devnull;
        if (fd >= 0)
            dup2(fd, 2);
        if (nul >= 0)
            dup2(nul, 1);
        struct run_opts o = *base;
        o.quiet = 1;
        char trace[512];
        if (trace_dir) {
            snprintf(trace, sizeof trace, "%s/seed-%" PRIu64 ".jsonl", trace_dir, seed);
            o.trace_path = trace;
        }
        static struct child_report rep;
        memset(&rep, 0, sizeof rep);
        o.on_end = on_end;
        o.on_end_ctx = &rep;
        /* --check: the history goes from the engine to the checker as
         * records (a tapped trace), unless a trace file is written anyway */
        int checking = history_check != NULL;
        void *feed = NULL;
        if (checking && !o.trace_path) {
            feed = history_check->open();
            o.trace_tap = history_check->record;
            o.trace_tap_ctx = feed;
        }
        int code = run_scenario(&o);
        if (checking && code == 0) {
            dup2(2, 1);      /* the checker's verdict lines go to the seed's log */
            int v = feed ? history_check->close(feed) : history_check->file(o.trace_path);
            fflush(stdout);
            if (v == 1) {
                code = EXIT_FAILED;
                snprintf(rep.invariant, sizeof rep.invariant, "linearizability");
            } else if (v == 2) {
                code = EXIT_INCONCLUSIVE;
            }
        }
        rep.faults = o.faults_applied;
        rep.drawn = o.faults_drawn;
        rep.violation_at_ms = o.violation_at_ms;
        ssize_t w = write(fds[1], &rep, sizeof rep);
        (void)w;
        close(fds[1]);
        fflush(NULL);
        _exit(code);
    }
    close(fds[1]);
    *rfd = fds[0];
    return pid;
}

static pid_t spawn(const struct explore_opts *e, uint64_t seed, const int *skips, int nskips, int *rfd)
{
    struct run_opts o = e->run;
    o.seed = seed;
    o.nemesis_skip = skips;
    o.nnemesis_skip = nskips;
    return spawn_run(&o, tmpdir, e->trace_dir, rfd);
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* Read a finished child's report and the telling line of its stderr. */
static void finish(struct seed_result *r, int status, int rfd, const char *tmp)
{
    memset(&r->rep, 0, sizeof r->rep);
    if (read_full(rfd, &r->rep, sizeof r->rep) != 0)
        memset(&r->rep, 0, sizeof r->rep);
    close(rfd);
    /* killed by a signal: a simulator bug, reported as internal */
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_INTERNAL;
    r->first_line[0] = 0;
    char path[128];
    log_path(path, sizeof path, tmp, r->seed);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[300];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            int telling = strstr(line, "invariant") || strstr(line, "assertion") || strstr(line, "NOT linearizable");
            if (!r->first_line[0] || telling)
                snprintf(r->first_line, sizeof r->first_line, "%s", line);
            if (telling)
                break;
        }
        fclose(f);
        unlink(path);
    }
    if (!WIFEXITED(status))
        snprintf(r->first_line, sizeof r->first_line, "killed by signal %d", WTERMSIG(status));
}

int ex_run_one(const struct run_opts *o, const char *tmp, struct seed_result *r)
{
    int rfd;
    pid_t pid = spawn_run(o, tmp, NULL, &rfd);
    if (pid < 0)
        return -1;
    r->seed = o->seed;
    int status = 0, forwarded = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        if (sim_interrupted && !forwarded) {     /* Ctrl-C sent to this process alone: pass it on */
            kill(pid, SIGINT);
            forwarded = 1;
        }
    finish(r, status, rfd, tmp);
    return 0;
}

void ex_json_str(FILE *f, const char *s)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    json_append_string(&buf, &len, &cap, s);
    fwrite(buf, 1, len, f);
    free(buf);
}

/* The failing (or erroring) seeds, in the order they finish; sorted by seed
 * before printing. Passing seeds are only counted, so a sweep of any length
 * needs memory for its failures alone. */
struct results {
    struct seed_result *v;
    size_t n, cap;
};

static void results_add(struct results *rs, const struct seed_result *r)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 16;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        if (!rs->v)
            abort();
    }
    rs->v[rs->n++] = *r;
}

static int by_seed(const void *a, const void *b)
{
    uint64_t x = ((const struct seed_result *)a)->seed, y = ((const struct seed_result *)b)->seed;
    return x < y ? -1 : x > y;
}

void ex_repro_string(const struct run_opts *o, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fmemopen(buf, n, "w");
    if (!f)
        return;
    print_repro(f, o);
    fclose(f);
    buf[n - 1] = 0;
    buf[strcspn(buf, "\n")] = 0;
    const char *p = "reproduce: ";
    if (strncmp(buf, p, strlen(p)) == 0)
        memmove(buf, buf + strlen(p), strlen(buf + strlen(p)) + 1);
}

/* ------------------------------------------------------------ coverage */

/* Summed over the seeds that ran: faults fired per kind and how many hit
 * the leader of the moment, and every algorithm counter's value per seed
 * (kept, for its mean and percentiles). */
struct coverage {
    long fired[NEM_NKINDS], leader[NEM_NKINDS], limited;
    long seeds;
    struct cov_metric { char name[40]; double *v; size_t n, cap; } m[EX_MAX_METRICS];
    int nm;
    /* invariants by name (so shards merge to the same order): evaluations, seeds */
    struct cov_inv { char name[40]; long n, seeds; } inv[EX_MAX_INV];
    int ninv;
};

static void cov_add_inv(struct coverage *c, const struct ex_inv *v)
{
    int j = 0;
    while (j < c->ninv && strcmp(c->inv[j].name, v->name) < 0)
        j++;
    if (j == c->ninv || strcmp(c->inv[j].name, v->name) != 0) {
        if (c->ninv == EX_MAX_INV)
            return;
        memmove(&c->inv[j + 1], &c->inv[j], (size_t)(c->ninv - j) * sizeof c->inv[0]);
        memset(&c->inv[j], 0, sizeof c->inv[0]);
        snprintf(c->inv[j].name, sizeof c->inv[j].name, "%s", v->name);
        c->ninv++;
    }
    c->inv[j].n += (long)v->n;
    c->inv[j].seeds++;
}

static void cov_add(struct coverage *c, const struct child_report *r)
{
    c->seeds++;
    for (int k = 0; k < NEM_NKINDS; k++) {
        c->fired[k] += r->st.fired[k];
        c->leader[k] += r->st.leader[k];
    }
    c->limited += r->st.limited;
    for (int i = 0; i < r->ninv && i < EX_MAX_INV; i++)
        cov_add_inv(c, &r->inv[i]);
    for (int i = 0; i < r->nmetrics && i < EX_MAX_METRICS; i++) {
        int j = 0;
        while (j < c->nm && strcmp(c->m[j].name, r->metrics[i].name) != 0)
            j++;
        if (j == c->nm) {
            if (c->nm == EX_MAX_METRICS)
                continue;
            snprintf(c->m[c->nm++].name, sizeof c->m[0].name, "%s", r->metrics[i].name);
        }
        struct cov_metric *m = &c->m[j];
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->v = realloc(m->v, m->cap * sizeof *m->v);
            if (!m->v)
                abort();
        }
        m->v[m->n++] = r->metrics[i].v;
    }
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* mean, p50, p99 (nearest rank) of one metric; sorts its values. */
static void cov_stats(struct cov_metric *m, double *mean, double *p50, double *p99)
{
    double sum = 0;
    for (size_t i = 0; i < m->n; i++)
        sum += m->v[i];
    qsort(m->v, m->n, sizeof *m->v, by_double);
    *mean = m->n ? sum / (double)m->n : 0;
    *p50 = m->n ? m->v[(m->n - 1) / 2] : 0;
    size_t r99 = m->n ? (size_t)((double)m->n * 0.99 + 0.999999) : 0;
    *p99 = m->n ? m->v[(r99 ? r99 : 1) - 1] : 0;
}

static void cov_print(struct coverage *c, FILE *f)
{
    long total = 0, lead = 0;
    for (int k = 0; k < NEM_NKINDS; k++) {
        total += c->fired[k];
        lead += c->leader[k];
    }
    if (total) {
        fprintf(f, "coverage: faults fired (on a leader):");
        for (int k = 0; k < NEM_NKINDS; k++)
            if (c->fired[k])
                fprintf(f, " %s %ld (%ld)", nemesis_fault_names[k], c->fired[k], c->leader[k]);
        if (c->limited)
            fprintf(f, "; %ld refused (max_down, a busy link or no leader to aim at)", c->limited);
        fprintf(f, "\n");
        if (lead == 0)
            fprintf(f, "coverage: no fault ever hit a leader\n");
        else if (c->leader[0] + c->leader[5] + c->leader[6] == 0)
            fprintf(f, "coverage: no leader was ever crashed\n");
    } else if (c->seeds) {
        fprintf(f, "coverage: no nemesis fault fired\n");
    }
    if (c->nm) {
        fprintf(f, "metrics over %ld seeds (mean p50 p99):", c->seeds);
        for (int i = 0; i < c->nm; i++) {
            double mean, p50, p99;
            cov_stats(&c->m[i], &mean, &p50, &p99);
            fprintf(f, "%s %s %.4g %.4g %.4g", i ? ";" : "", c->m[i].name, mean, p50, p99);
        }
        fprintf(f, "\n");
    }
    if (c->ninv) {
        fprintf(f, "invariants evaluated (in seeds):");
        for (int i = 0; i < c->ninv; i++)
            fprintf(f, "%s %s %ld (%ld)", i ? ";" : "", c->inv[i].name, c->inv[i].n, c->inv[i].seeds);
        fprintf(f, "\n");
    } else if (c->seeds) {
        fprintf(f, "invariants evaluated: none (the algorithm's checker counts none)\n");
    }
}

static void cov_json(struct coverage *c, FILE *f)
{
    fprintf(f, "\"coverage\":{\"faults\":{");
    int first = 1;
    for (int k = 0; k < NEM_NKINDS; k++)
        if (c->fired[k]) {
            fprintf(f, "%s\"%s\":{\"fired\":%ld,\"leader\":%ld}", first ? "" : ",", nemesis_fault_names[k],
                    c->fired[k], c->leader[k]);
            first = 0;
        }
    fprintf(f, "},\"refused\":%ld,\"metrics\":{", c->limited);
    for (int i = 0; i < c->nm; i++) {
        double mean, p50, p99;
        cov_stats(&c->m[i], &mean, &p50, &p99);
        fprintf(f, "%s", i ? "," : "");
        ex_json_str(f, c->m[i].name);
        fprintf(f, ":{\"n\":%zu,\"mean\":%.17g,\"p50\":%.17g,\"p99\":%.17g,\"hist\":[", c->m[i].n, mean, p50, p99);
        /* every value with its count: what lets `clustersim merge` give
         * shards the same percentiles as one sweep */
        for (size_t j = 0, k; j < c->m[i].n; j = k) {
            for (k = j; k < c->m[i].n && c->m[i].v[k] == c->m[i].v[j]; k++)
                ;
            fprintf(f, "%s[%.17g,%zu]", j ? "," : "", c->m[i].v[j], k - j);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "},\"invariants\":{");
    for (int i = 0; i < c->ninv; i++) {
        fprintf(f, "%s", i ? "," : "");
        ex_json_str(f, c->inv[i].name);
        fprintf(f, ":{\"evaluated\":%ld,\"seeds\":%ld}", c->inv[i].n, c->inv[i].seeds);
    }
    fprintf(f, "}}");
}

static void cov_free(struct coverage *c)
{
    for (int i = 0; i < c->nm; i++)
        free(c->m[i].v);
}

static void json_failure(FILE *json, const struct explore_opts *e, const struct seed_result *r, int first)
{
    struct run_opts o = e->run;
    o.seed = r->seed;
    char repro[2048];
    ex_repro_string(&o, repro, sizeof repro);
    fprintf(json, "%s{\"seed\":\"%" PRIu64 "\",\"exit\":%d,\"invariant\":", first ? "" : ",", r->seed, r->exit_code);
    if (r->rep.invariant[0])
        ex_json_str(json, r->rep.invariant);
    else
        fprintf(json, "null");
    if (r->rep.invariant[0])
        fprintf(json, ",\"t_ms\":%.3f", r->rep.violation_at_ms);
    fprintf(json, ",\"message\":");
    ex_json_str(json, r->first_line);
    fprintf(json, ",\"bugs\":[");
    for (int i = 0; i < e->run.nbugs; i++) {
        fprintf(json, "%s", i ? "," : "");
        ex_json_str(json, e->run.bugs[i]);
    }
    fprintf(json, "],\"params\":[");
    for (int i = 0; i < e->run.nparams; i++) {
        fprintf(json, "%s", i ? "," : "");
        ex_json_str(json, e->run.params[i]);
    }
    fprintf(json, "],\"faults\":%d", r->rep.faults);
    if (r->rep.st.swarm[0]) {
        fprintf(json, ",\"swarm\":");
        ex_json_str(json, r->rep.st.swarm);
    }
    fprintf(json, ",\"reproduce\":");
    ex_json_str(json, repro);
    fprintf(json, "}");
}

int explore(struct explore_opts *e)
{
    if (access(e->run.scenario, R_OK) != 0) {
        fprintf(stderr, "clustersim explore: cannot open scenario '%s': %s\n", e->run.scenario, strerror(errno));
        return EXIT_NOINPUT;
    }
    const char *inputs[] = { e->run.scenario };
    if (e->json_path && strcmp(e->json_path, "-") != 0 && refuse_output_over_input("explore", e->json_path, inputs, 1))
        return EXIT_USAGE;
    /* Open the result file first: a path that cannot be written is an
     * error now, not after an hour of seeds. */
    FILE *json = NULL;
    if (e->json_path) {
        json = strcmp(e->json_path, "-") == 0 ? stdout : fopen(e->json_path, "w");
        if (!json) {
            fprintf(stderr, "clustersim explore: cannot write '%s': %s\n", e->json_path, strerror(errno));
            return EXIT_IOERR;
        }
    }
    /* With --json -, standard output carries the JSON alone: the report goes to stderr. */
    FILE *rep = json == stdout ? stderr : stdout;
    /* Every seed's stderr goes to a file made and removed here: in memory
     * (tmpfs) when there is one, since on a disk's file system making and
     * removing a file per seed costs more than many a short seed's run. */
    snprintf(tmpdir, sizeof tmpdir, "%s/clustersim-explore-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "clustersim explore: cannot make a temporary directory: %s\n", strerror(errno));
        if (json && json != stdout)
            fclose(json);
        return EXIT_IOERR;
    }
    devnull = open("/dev/null", O_WRONLY);
    if (e->trace_dir && mkdir(e->trace_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "clustersim explore: cannot make the trace directory '%s': %s\n", e->trace_dir,
                strerror(errno));
        drop_tmp();
        if (json && json != stdout)
            fclose(json);
        return EXIT_IOERR;
    }
    /* The seeds of this shard: first, first + step, ... up to seed_hi.
     * `last` is the index of the last one, so the whole 64-bit range
     * (2^64 seeds, one more than a uint64 counts) needs no special case. */
    uint64_t step = e->shard_n ? (uint64_t)e->shard_n : 1;
    uint64_t off = e->shard_n ? (uint64_t)(e->shard_i - 1) : 0;
    int empty = off > e->seed_hi - e->seed_lo;
    uint64_t first_seed = e->seed_lo + off;
    uint64_t last = empty ? 0 : (e->seed_hi - first_seed) / step;

    /* By default (check_auto) the probe below runs unchecked and tells
     * whether the clients' history is one the checker models. */
    history_check = e->check_auto ? NULL : e->check;
    /* One seed first, alone: a scenario that cannot run at all (a script
     * error, a bad -P or --bug) is reported once, not once per seed. */
    if (!empty) {
        struct seed_result probe;
        struct run_opts o = e->run;
        o.seed = first_seed;
        if (ex_run_one(&o, tmpdir, &probe) == 0 && !sim_interrupted &&
            (probe.exit_code == EXIT_USAGE || probe.exit_code == EXIT_SCRIPT || probe.exit_code == EXIT_NOINPUT)) {
            fprintf(stderr, "clustersim explore: seed %" PRIu64 " cannot run, so no seed can: %s\n", first_seed,
                    probe.first_line);
            drop_tmp();
            if (json && json != stdout)
                fclose(json);
            return probe.exit_code;
        }
        if (e->check_auto && probe.rep.checkable)
            history_check = e->check;
    }

    struct results rs = { NULL, 0, 0 };
    struct coverage cov;
    memset(&cov, 0, sizeof cov);
    pid_t *pids = calloc((size_t)e->jobs, sizeof *pids);
    int *fds = calloc((size_t)e->jobs, sizeof *fds);
    uint64_t *which = calloc((size_t)e->jobs, sizeof *which);
    if (!pids || !fds || !which)
        abort();
    uint64_t next = 0, done = 0, nfailed_so_far = 0;
    int more = !empty;          /* seeds left to start */
    int running = 0;
    int progress = isatty(2) && (empty || last >= 63);   /* a progress line for long runs, on a terminal only */
    int forwarded = 0, stopped = 0;
    size_t passed = 0, failed = 0, errors = 0, inconclusive = 0, ran = 0;
    int first_error = 0;
    for (;;) {
        while (running < e->jobs && more && !sim_interrupted) {
            int slot = 0;
            while (pids[slot])
                slot++;
            uint64_t seed = first_seed + next * step;
            pids[slot] = spawn(e, seed, e->run.nemesis_skip, e->run.nnemesis_skip, &fds[slot]);
            if (pids[slot] < 0) {
                fprintf(stderr, "clustersim explore: cannot start a worker: %s\n", strerror(errno));
                pids[slot] = 0;
                struct seed_result r;
                memset(&r, 0, sizeof r);
                r.seed = seed;
                r.exit_code = EXIT_INTERNAL;
                snprintf(r.first_line, sizeof r.first_line, "cannot start a worker: %s", strerror(errno));
                results_add(&rs, &r);
                ran++;
                errors++;
                first_error = first_error ? first_error : EXIT_INTERNAL;
                done++;
            } else {
                which[slot] = seed;
                running++;
            }
            if (next == last)
                more = 0;
            else
                next++;
        }
        if (running == 0)
            break;            /* all done, or Ctrl-C: start no more seeds, report what finished */
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno != EINTR)
                break;
            /* Ctrl-C reaches the workers too when they share the terminal;
             * a signal sent to this process alone must be passed on. */
            if (sim_interrupted && !forwarded) {
                for (int k = 0; k < e->jobs; k++)
                    if (pids[k])
                        kill(pids[k], SIGINT);
                forwarded = 1;
            }
            continue;
        }
        for (int slot = 0; slot < e->jobs; slot++) {
            if (pids[slot] != pid)
                continue;
            struct seed_result r;
            memset(&r, 0, sizeof r);
            r.seed = which[slot];
            finish(&r, status, fds[slot], tmpdir);
            if (e->trace_dir && r.exit_code == 0) {
                char tp[512];
                snprintf(tp, sizeof tp, "%s/seed-%" PRIu64 ".jsonl", e->trace_dir, r.seed);
                unlink(tp);
            }
            pids[slot] = 0;
            running--;
            done++;
            int c = r.exit_code;
            if (c != EXIT_INTERRUPTED) {     /* cut short by Ctrl-C: no verdict */
                ran++;
                cov_add(&cov, &r.rep);
                if (c == 0)
                    passed++;
                else if (c == EXIT_FAILED)
                    failed++;
                else if (c == EXIT_INCONCLUSIVE)
                    inconclusive++;
                else if (errors++ == 0)
                    first_error = c;
                if (c != 0)
                    results_add(&rs, &r);
            }
            if (c != 0)
                nfailed_so_far++;
            if (e->stop_after && c == EXIT_FAILED && failed >= (size_t)e->stop_after && more) {
                more = 0;        /* the seeds already running finish; none start */
                stopped = 1;
            }
            if (progress && done % 16 == 0) {
                if (empty || last == UINT64_MAX)
                    fprintf(stderr, "\r  %" PRIu64 " seeds, %" PRIu64 " not passing", done, nfailed_so_far);
                else
                    fprintf(stderr, "\r  %" PRIu64 "/%" PRIu64 " seeds, %" PRIu64 " not passing", done, last + 1,
                            nfailed_so_far);
            }
        }
    }
    if (progress)
        fputs("\r\033[K", stderr);     /* the summary below replaces the progress line */
    if (rs.n)
        qsort(rs.v, rs.n, sizeof *rs.v, by_seed);

    /* A broken scenario outranks a failing seed, which outranks an inconclusive one. */
    int worst = first_error ? first_error : failed ? EXIT_FAILED : inconclusive ? EXIT_INCONCLUSIVE : 0;
    if (history_check)
        fprintf(rep, "explore %s: --check: every passing seed's history checked for linearizability; "
                     "inconclusive checks are counted as inconclusive, not passed\n", e->run.scenario);
    if (sim_interrupted && !worst)
        worst = EXIT_INTERRUPTED;
    /* Coverage first: the last lines stay the failing seeds and the summary,
     * as scripts that take `tail -1` expect. */
    cov_print(&cov, rep);
    for (size_t i = 0; i < rs.n; i++) {
        struct run_opts o = e->run;
        o.seed = rs.v[i].seed;
        fprintf(rep, "seed %" PRIu64 ": exit %d: %s\n  ", rs.v[i].seed, rs.v[i].exit_code, rs.v[i].first_line);
        print_repro(rep, &o);
        if (strcmp(rs.v[i].rep.invariant, "linearizability") == 0 || rs.v[i].exit_code == EXIT_INCONCLUSIVE)
            fprintf(rep, "  then: %s check TRACE (the run above with --trace TRACE)\n", e->run.repro_prefix);
    }
    if (sim_interrupted) {
        char total[32];
        if (last == UINT64_MAX)
            snprintf(total, sizeof total, "18446744073709551616");
        else
            snprintf(total, sizeof total, "%" PRIu64, empty ? 0 : last + 1);
        fprintf(rep, "explore %s: interrupted: %zu of %s seeds ran to the end\n", e->run.scenario, ran, total);
    }
    if (stopped)
        fprintf(rep, "explore %s: stopped after %zu failures (--stop-after %d)\n", e->run.scenario, failed,
                e->stop_after);
    fprintf(rep, "explore %s: %zu seeds, %zu passed, %zu failed, %zu inconclusive, %zu errors\n", e->run.scenario, ran,
            passed, failed, inconclusive, errors);

    if (json) {
        fprintf(json, "{\"scenario\":");
        ex_json_str(json, e->run.scenario);
        fprintf(json, ",\"seeds\":[\"%" PRIu64 "\",\"%" PRIu64 "\"],", e->seed_lo, e->seed_hi);
        if (e->shard_n)
            fprintf(json, "\"shard\":\"%d/%d\",", e->shard_i, e->shard_n);
        fprintf(json, "\"runs\":%zu,\"passed\":%zu,\"failed\":%zu,\"inconclusive\":%zu,\"errors\":%zu,", ran, passed,
                failed, inconclusive, errors);
        cov_json(&cov, json);
        fprintf(json, ",\"failures\":[");
        for (size_t i = 0; i < rs.n; i++)
            json_failure(json, e, &rs.v[i], i == 0);
        fprintf(json, "],\"shrunk\":[");
    }
    if (e->shrink) {
        int shrunk = 0, first = 1;
        for (size_t i = 0; i < rs.n && shrunk < e->max_failures; i++)
            if (rs.v[i].exit_code == EXIT_FAILED) {
                explore_shrink_seed(e, &rs.v[i], tmpdir, rep, json, &first);
                shrunk++;
            }
    }
    if (json) {
        fprintf(json, "]}\n");
        int bad = json == stdout ? fflush(json) != 0 || ferror(json) : ferror(json) | (fclose(json) != 0);
        if (bad) {
            fprintf(stderr, "clustersim explore: error writing '%s': %s\n", e->json_path, strerror(errno ? errno : EIO));
            worst = EXIT_IOERR;
        }
    }
    /* The report itself is a result: a stdout that cannot take it (a full
     * disk, a closed pipe) fails the command. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "clustersim explore: error writing the report to standard output: %s\n",
                strerror(errno ? errno : EIO));
        worst = EXIT_IOERR;
    }
    if (e->summary) {
        struct explore_summary *su = e->summary;
        memset(su, 0, sizeof *su);
        su->runs = ran;
        su->passed = passed;
        su->failed = failed;
        su->inconclusive = inconclusive;
        su->errors = errors;
        for (int i = 0; i < cov.nm && i < 32; i++) {
            snprintf(su->m[i].name, sizeof su->m[i].name, "%s", cov.m[i].name);
            cov_stats(&cov.m[i], &su->m[i].mean, &su->m[i].p50, &su->m[i].p99);
            su->nm++;
        }
    }
    cov_free(&cov);
    free(rs.v);
    free(pids);
    free(fds);
    free(which);
    drop_tmp();
    return worst;
}
