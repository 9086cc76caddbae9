/* explore (see explore.h). Each seed runs in its own forked process, so a
 * crash of one run cannot take the others down and a run's memory is gone
 * when it ends. A child tells the parent its exit code (as its exit status)
 * and a few figures through a pipe; its stderr goes to a file so the first
 * line of a failure can be shown next to the seed. Results are printed in
 * seed order whatever order the workers finish in. */
#include "sim/explore.h"

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

#include "sim/engine.h"
#include "sim/outpath.h"

struct child_report { int faults; int drawn; double violation_at_ms; };

struct seed_result {
    uint64_t seed;
    int exit_code;
    struct child_report rep;
    char first_line[300];
};

void explore_opts_default(struct explore_opts *e)
{
    memset(e, 0, sizeof *e);
    e->jobs = 1;
    e->max_failures = 3;
}

static char tmpdir[64];

static void log_path(char *buf, size_t n, uint64_t seed)
{
    snprintf(buf, n, "%s/seed-%" PRIu64 ".log", tmpdir, seed);
}

static pid_t spawn(const struct explore_opts *e, uint64_t seed, const int *skips, int nskips, int *rfd)
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
        char path[128];
        log_path(path, sizeof path, seed);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2);
        if (nul >= 0)
            dup2(nul, 1);
        struct run_opts o = e->run;
        o.seed = seed;
        o.quiet = 1;
        o.nemesis_skip = skips;
        o.nnemesis_skip = nskips;
        char trace[512];
        if (e->trace_dir) {
            snprintf(trace, sizeof trace, "%s/seed-%" PRIu64 ".jsonl", e->trace_dir, seed);
            o.trace_path = trace;
        }
        int code = run_scenario(&o);
        struct child_report rep = { o.faults_applied, o.faults_drawn, o.violation_at_ms };
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

/* Read a finished child's report and the telling line of its stderr. */
static void finish(struct seed_result *r, int status, int rfd)
{
    memset(&r->rep, 0, sizeof r->rep);
    if (read(rfd, &r->rep, sizeof r->rep) != (ssize_t)sizeof r->rep)
        memset(&r->rep, 0, sizeof r->rep);
    close(rfd);
    /* killed by a signal: a simulator bug, reported as internal */
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_INTERNAL;
    r->first_line[0] = 0;
    char path[128];
    log_path(path, sizeof path, r->seed);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[300];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            int telling = strstr(line, "invariant") || strstr(line, "assertion");
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

static int collect(pid_t pid, int rfd, struct seed_result *r)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    finish(r, status, rfd);
    return 0;
}

static int run_one(const struct explore_opts *e, uint64_t seed, const int *skips, int nskips, struct seed_result *r)
{
    int rfd;
    pid_t pid = spawn(e, seed, skips, nskips, &rfd);
    if (pid < 0)
        return -1;
    r->seed = seed;
    return collect(pid, rfd, r);
}

/* Greedy one-at-a-time removal: keep a fault out whenever the run still
 * fails. Faults drawn after the original failure are never applied (the
 * limit), so skipping one cannot let a later fault take its place. */
static void shrink_seed(const struct explore_opts *e, const struct seed_result *failed, FILE *json, int *first_json)
{
    int total = failed->rep.drawn;
    fprintf(stdout, "shrinking seed %" PRIu64 ": %d nemesis faults drawn before the failure\n", failed->seed, total);
    if (total == 0) {
        fprintf(stdout, "  nothing to shrink: the failure needs no nemesis fault\n");
        return;
    }
    struct explore_opts lim = *e;
    lim.run.nemesis_limit = total;
    int *skips = calloc((size_t)total + 1, sizeof *skips);
    if (!skips)
        abort();
    int nskips = 0;
    for (int i = 0; i < total; i++) {
        skips[nskips] = i;
        struct seed_result r;
        if (run_one(&lim, failed->seed, skips, nskips + 1, &r) == 0 && r.exit_code == EXIT_FAILED)
            nskips++;
    }
    /* The command names the faults kept: shorter than those skipped. */
    int *kept = calloc((size_t)total + 1, sizeof *kept);
    if (!kept)
        abort();
    int nkept = 0;
    for (int i = 0, k = 0; i < total; i++) {
        if (k < nskips && skips[k] == i)
            k++;
        else
            kept[nkept++] = i;
    }
    struct run_opts o = e->run;
    o.seed = failed->seed;
    o.nemesis_only = kept;
    o.nnemesis_only = nkept;
    fprintf(stdout, "  seed %" PRIu64 " still fails with %d of %d faults\n  ", failed->seed, total - nskips, total);
    print_repro(stdout, &o);
    if (json) {
        fprintf(json, "%s{\"seed\":\"%" PRIu64 "\",\"faults\":%d,\"kept\":%d,\"only\":[",
                *first_json ? "" : ",", failed->seed, total, nkept);
        for (int i = 0; i < nkept; i++)
            fprintf(json, "%s%d", i ? "," : "", kept[i]);
        fprintf(json, "]}");
        *first_json = 0;
    }
    free(skips);
    free(kept);
}

static void json_str(FILE *f, const char *s)
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

int explore(struct explore_opts *e)
{
    if (access(e->run.scenario, R_OK) != 0) {
        fprintf(stderr, "clustersim explore: cannot open scenario '%s': %s\n", e->run.scenario, strerror(errno));
        return EXIT_NOINPUT;
    }
    const char *inputs[] = { e->run.scenario };
    if (e->json_path && refuse_output_over_input("explore", e->json_path, inputs, 1))
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/clustersim-explore-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "clustersim explore: cannot make a temporary directory: %s\n", strerror(errno));
        if (json && json != stdout)
            fclose(json);
        return EXIT_IOERR;
    }
    if (e->trace_dir && mkdir(e->trace_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "clustersim explore: cannot make the trace directory '%s': %s\n", e->trace_dir,
                strerror(errno));
        rmdir(tmpdir);
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
    struct results rs = { NULL, 0, 0 };
    pid_t *pids = calloc((size_t)e->jobs, sizeof *pids);
    int *fds = calloc((size_t)e->jobs, sizeof *fds);
    uint64_t *which = calloc((size_t)e->jobs, sizeof *which);
    if (!pids || !fds || !which)
        abort();
    uint64_t next = 0, done = 0, nfailed_so_far = 0;
    int more = !empty;          /* seeds left to start */
    int running = 0;
    int progress = isatty(2) && (empty || last >= 63);   /* a progress line for long runs, on a terminal only */
    int forwarded = 0;
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
                struct seed_result r = { .seed = seed, .exit_code = EXIT_INTERNAL };
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
            finish(&r, status, fds[slot]);
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
    if (sim_interrupted && !worst)
        worst = EXIT_INTERRUPTED;
    for (size_t i = 0; i < rs.n; i++) {
        struct run_opts o = e->run;
        o.seed = rs.v[i].seed;
        printf("seed %" PRIu64 ": exit %d: %s\n  ", rs.v[i].seed, rs.v[i].exit_code, rs.v[i].first_line);
        print_repro(stdout, &o);
    }
    if (sim_interrupted) {
        char total[32];
        if (last == UINT64_MAX)
            snprintf(total, sizeof total, "18446744073709551616");
        else
            snprintf(total, sizeof total, "%" PRIu64, empty ? 0 : last + 1);
        printf("explore %s: interrupted: %zu of %s seeds ran to the end\n", e->run.scenario, ran, total);
    }
    printf("explore %s: %zu seeds, %zu passed, %zu failed, %zu inconclusive, %zu errors\n", e->run.scenario, ran,
           passed, failed, inconclusive, errors);

    if (json) {
        fprintf(json, "{\"scenario\":");
        json_str(json, e->run.scenario);
        fprintf(json, ",\"seeds\":[\"%" PRIu64 "\",\"%" PRIu64 "\"],\"runs\":%zu,\"passed\":%zu,\"failed\":%zu,"
                      "\"inconclusive\":%zu,\"errors\":%zu,\"failures\":[",
                e->seed_lo, e->seed_hi, ran, passed, failed, inconclusive, errors);
        int first = 1;
        for (size_t i = 0; i < rs.n; i++) {
            fprintf(json, "%s{\"seed\":\"%" PRIu64 "\",\"exit\":%d,\"message\":", first ? "" : ",", rs.v[i].seed,
                    rs.v[i].exit_code);
            json_str(json, rs.v[i].first_line);
            fprintf(json, "}");
            first = 0;
        }
        fprintf(json, "],\"shrunk\":[");
    }
    if (e->shrink) {
        int shrunk = 0, first = 1;
        for (size_t i = 0; i < rs.n && shrunk < e->max_failures; i++)
            if (rs.v[i].exit_code == EXIT_FAILED) {
                shrink_seed(e, &rs.v[i], json, &first);
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
    free(rs.v);
    free(pids);
    free(fds);
    free(which);
    rmdir(tmpdir);
    return worst;
}
