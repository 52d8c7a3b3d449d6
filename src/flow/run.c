/*
 * run.c — the orchestrator (see run.h): the run's order as a table of
 * steps, and what surrounds it — the run lock, run ids, leftovers of a
 * crashed run, the hooks (the fault switch is fault.c).
 *
 * Order of a run: lock → leftovers → run id → the steps below (each in its
 * phase's file: export.c, stage.c, publish.c) → the caller reports the
 * result and runs the hook (flow_run_hook), lock released.  The catalog
 * switch inside run_publish is the commit point: a failure before it leaves
 * the previous run published.
 */
#include "flow/deadline.h"
#include "flow/run.h"
#include "flow/run_internal.h"
#include "util/log.h"
#include "util/version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STEP_MODELS      1 /* skipped by `snaplake export` */
#define STEP_BEST_EFFORT 2 /* a failure is a warning: the run is already published */

static const struct step {
    const char *name;
    int (*fn)(struct run *r, const char *arg, struct sl_err *err);
    const char *arg;
    int flags;
} steps[] = {
    {"snapshot", run_snapshot, NULL, 0},          /* open the source, list tables */
    {"export", run_export, NULL, 0},              /* chunks → raw/<t>/run=<ID>/ */
    {"raw datasets", run_register_raw, NULL, 0},  /* engine + catalog (begin) */
    {"stage1", run_stage, "stage1", STEP_MODELS}, /* models/stage1/<name>.sql */
    {"stage2", run_stage, "stage2", STEP_MODELS}, /* models/stage2/<name>.sql */
    {"publish", run_publish, NULL, 0},            /* manifest, catalog switch, current */
    {"retention", run_retention, NULL, STEP_BEST_EFFORT},
};

volatile sig_atomic_t run_interrupt_signal;

static void on_interrupt(int sig)
{
    run_interrupt_signal = sig;
}

void flow_interrupt_install(void)
{
    /* SA_RESETHAND: the second signal meets the default action and ends the
     * process at once.  SA_RESTART: a system call in another thread goes on;
     * the flag is what stops the work. */
    struct sigaction sa = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    run_interrupt_signal = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void flow_interrupt_restore(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int flow_interrupted(void)
{
    return run_interrupt_signal;
}

const char *run_stop_reason(void)
{
    return run_interrupt_signal == RUN_TIMED_OUT ? "stopped: the run timed out (run.timeouts.run)"
                                                 : "interrupted";
}

const char *run_seconds(double s, char *buf, size_t size)
{
    snprintf(buf, size, "%g s", s);
    return buf;
}

double run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void flow_state_path(const struct sl_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "%s/.snaplake/state.db", cfg->dir);
}

void run_task_state(struct run *r, const char *id, const char *kind, const char *name,
                    const char *state, int attempts, int64_t rows, int64_t bytes,
                    const struct sl_err *e)
{
    char msg[2200];
    struct flow_task_update u = {.kind = kind,
                                 .name = name,
                                 .state = state,
                                 .attempts = attempts,
                                 .rows = rows,
                                 .bytes = bytes,
                                 .error = e ? sl_err_format(e, msg, sizeof msg) : NULL};
    struct sl_err ignored = {0};
    /* A task that failed after a signal failed because of it. */
    if (!strcmp(state, "failed") && run_interrupt_signal)
        u.state = state = "interrupted";
    if (!strcmp(state, "failed") && !r->failed_task[0])
        snprintf(r->failed_task, sizeof r->failed_task, "%s", id);
    if (flow_state_task(r->state, r->run_id, id, &u, &ignored)) {
        char buf[2200];
        sl_warn("%s", sl_err_format(&ignored, buf, sizeof buf));
    }
}

void run_record_failed(struct run *r, const struct sl_err *e)
{
    if (!r->record_failed)
        r->record_err = *e;
    r->record_failed = 1;
}

int run_record_check(struct run *r, struct sl_err *err)
{
    if (!r->record_failed)
        return SL_OK;
    *err = r->record_err;
    return SL_ERROR;
}

/* Is `id` free: never recorded in the run state, and no manifest of it in
 * the lake (runs of another state file)? */
static int run_id_free(struct run *r, const char *id)
{
    if (flow_state_run_exists(r->state, id))
        return 0;
    char path[64];
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct sl_err e = {0};
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", id);
    int exists = r->store.type->get(r->store.ctx, path, &b, &e) == SL_OK;
    sl_buf_free(&b);
    return !exists;
}

/* A run's id is its start time in UTC, YYYYMMDDTHHMMSSZ; a second run in
 * the same second gets "_2", then "_3" … "_9".  Ids sort by time as plain
 * text ("…00Z" < "…00Z_2" < "…00Z_9" < "…01Z"), which retention, the
 * manifests' listing and `status --list` rely on: so an id is never earlier
 * than the newest recorded one (a clock set back takes that run's second),
 * and a tenth run within one second takes the next second.  The lake's
 * `run=<ID>` folders and manifests use the id as it is. */
static int make_run_id(struct run *r, struct sl_err *err)
{
    char last[32], base[24];
    time_t t = r->fault_clock ? r->fault_clock : time(NULL);
    if (flow_state_last_run(r->state, last, sizeof last, err))
        return SL_ERROR;
    struct tm lt = {0};
    if (sscanf(last, "%4d%2d%2dT%2d%2d%2dZ", &lt.tm_year, &lt.tm_mon, &lt.tm_mday, &lt.tm_hour,
               &lt.tm_min, &lt.tm_sec) == 6) {
        lt.tm_year -= 1900;
        lt.tm_mon -= 1;
        time_t tl = timegm(&lt);
        if (tl > t)
            t = tl;
    }
    for (int i = 0; i < 1000; i++, t++) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(base, sizeof base, "%Y%m%dT%H%M%SZ", &tm);
        for (int k = 1; k <= 9; k++) {
            if (k == 1)
                snprintf(r->run_id, sizeof r->run_id, "%s", base);
            else
                snprintf(r->run_id, sizeof r->run_id, "%s_%d", base, k);
            if (strcmp(r->run_id, last) > 0 && run_id_free(r, r->run_id)) {
                if (k > 1 || i > 0)
                    sl_debug("run id %s: %s was taken (newest recorded run: %s)", r->run_id, base,
                             last[0] ? last : "none");
                return SL_OK;
            }
        }
    }
    return sl_err_set(err, false, "run", "", "cannot find a free run id");
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[PATH_MAX + 300];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_dir(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

/* One run at a time per project: an open-file-description lock (F_OFD_SETLK)
 * on .snaplake/lock, held until the process ends (the kernel drops it even
 * after kill -9).  OFD rather than flock() so that `snaplake status` can ask
 * whether a run holds it (F_OFD_GETLK) without taking it, which would make
 * a run starting at that moment fail. */
static void lock_path(const struct sl_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "%s/.snaplake/lock", cfg->dir);
}

static int take_run_lock(const struct sl_config *cfg, int *fd, struct sl_err *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.snaplake", cfg->dir);
    mkdir(path, 0777);
    lock_path(cfg, path, sizeof path);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return sl_err_set(err, false, "run", path, "cannot open the run lock: %s", strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(*fd, F_OFD_SETLK, &fl) != 0) {
        close(*fd);
        *fd = -1;
        return sl_err_set(err, true, "run", path,
                          "another run of this project is in progress; wait for it or check "
                          "`snaplake status`");
    }
    return SL_OK;
}

int flow_run_active(const struct sl_config *cfg)
{
    char path[PATH_MAX + 32];
    lock_path(cfg, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int active = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return active;
}

void flow_state_damaged_hint(const struct sl_config *cfg, struct sl_err *err)
{
    char quoted[PATH_MAX + 8];
    const char *p = cfg->path;
    if (p[strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")])
        snprintf(quoted, sizeof quoted, "'%s'", p);
    else
        snprintf(quoted, sizeof quoted, "%s", p);
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n,
             ". To move it aside (to state.db.corrupt-<time>) and start a new history: "
             "`snaplake run -c %s --new-history`",
             quoted);
}

struct leftovers {
    char (*path)[PATH_MAX];
    int n;
};

static int collect_catalog_leftover(void *arg, const char *path, int64_t size)
{
    struct leftovers *l = arg;
    (void)size;
    if (strncmp(path, "_snaplake/catalog-", 18))
        return SL_OK;
    void *p = realloc(l->path, sizeof *l->path * (size_t)(l->n + 1));
    if (!p)
        return SL_ERROR;
    l->path = p;
    snprintf(l->path[l->n++], PATH_MAX, "%s", path);
    return SL_OK;
}

/* What a crashed, failed or interrupted run left: its snapshot copy and
 * temp files in .snaplake/tmp (kept for the run being resumed), its
 * unpublished catalog in the lake.  Called with the run
 * lock held, so no other run of this project is using them. */
static void clean_leftovers(struct run *r)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/.snaplake/tmp", r->cfg->dir);
    DIR *d = opendir(tmp);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char sub[PATH_MAX + 300];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            (r->resuming && !strcmp(de->d_name, r->run_id)))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", tmp, de->d_name);
        remove_dir(sub);
    }
    if (d)
        closedir(d);
    /* A report's local copy is written to <run>.html.tmp and renamed; a run
     * killed in between leaves the .tmp.  Reports are saved under the run
     * lock (flow_run_unlock), which we hold: any .tmp is a dead run's. */
    snprintf(tmp, sizeof tmp, "%s/.snaplake/reports", r->cfg->dir);
    d = opendir(tmp);
    while (d && (de = readdir(d))) {
        char file[PATH_MAX + 300];
        struct stat st;
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".tmp"))
            continue;
        snprintf(file, sizeof file, "%s/%s", tmp, de->d_name);
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && unlink(file) == 0)
            sl_debug("removed the unfinished report %s of an earlier run", file);
    }
    if (d)
        closedir(d);
    struct leftovers l = {0};
    struct sl_err e = {0};
    if (r->store.type->list(r->store.ctx, "_snaplake", NULL, collect_catalog_leftover, &l, &e) == SL_OK)
        for (int i = 0; i < l.n; i++)
            r->store.type->remove_prefix(r->store.ctx, l.path[i], &e);
    free(l.path);
    /* Unfinished puts of killed runs (the *.tmp-* files of a part, a
     * manifest, a report): no put of this lake is under way while the lock
     * is held, and none is ever finished later (a resumed run writes an
     * unfinished chunk again), so they go whether their run can be resumed
     * or not. */
    int swept = 0;
    char buf[2200];
    if (r->store.type->sweep_incomplete(r->store.ctx, "", &swept, &e))
        sl_warn("cannot remove the unfinished writes of killed runs: %s",
                sl_err_format(&e, buf, sizeof buf));
    else if (swept)
        sl_info("removed %d unfinished upload%s of an earlier run", swept,
                swept == 1 ? "" : "s");
}

/* See run.h.  Built for the child instead of calling setenv(), which is not
 * thread-safe while DuckDB's threads are alive (a thread reading the
 * environment may see a freed entry). */
char **flow_hook_environment(const char *const names[], const char *const values[], int n,
                             char *own[])
{
    /* Every variable a hook of ours sets: an inherited one is never passed on. */
    static const char *const ours[] = {"SNAPLAKE_RUN_ID",     "SNAPLAKE_STATUS",
                                       "SNAPLAKE_ERROR",      "SNAPLAKE_FAILED_TASK",
                                       "SNAPLAKE_DEADLINE",   "SNAPLAKE_PREDICTED_END"};
    size_t count = 0, k = 0;
    while (environ[count])
        count++;
    char **env = calloc(count + (size_t)n + 1, sizeof *env);
    if (!env)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        int skip = 0;
        for (size_t v = 0; v < sizeof ours / sizeof *ours && !skip; v++) {
            size_t len = strlen(ours[v]);
            skip = !strncmp(environ[i], ours[v], len) && environ[i][len] == '=';
        }
        if (!skip)
            env[k++] = environ[i];
    }
    for (int v = 0; v < n; v++) {
        if (asprintf(&own[v], "%s=%s", names[v], values[v]) < 0) {
            while (v-- > 0)
                free(own[v]), own[v] = NULL;
            free(env);
            return NULL;
        }
        env[k++] = own[v];
    }
    env[k] = NULL;
    return env;
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* See run.h.  Hooks run in the config file's folder (so `./notify.sh` works
 * from cron, whose working folder is elsewhere). */
int flow_hook_spawn(struct flow_hook *h, const struct sl_config *cfg, const char *which,
                    const char *cmd, char **env, int background)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int fa_ok = 0, attr_ok = 0, e = ENOMEM, pipe_fd[2] = {-1, -1};
    *h = (struct flow_hook){.pid = -1, .out_fd = -1, .which = which, .cmd = cmd};
    if (env && (e = posix_spawn_file_actions_init(&fa)) == 0) {
        fa_ok = 1;
        e = posix_spawn_file_actions_addchdir_np(&fa, cfg->dir);
    }
    /* A JSON log holds only JSON lines: read the hook's output and log it,
     * or drop it for a hook in the background (no one reads a pipe while
     * the run goes on, and a full one would stop the hook). */
    if (e == 0 && sl_log_json() && background &&
        (e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) == 0)
        e = posix_spawn_file_actions_adddup2(&fa, 1, 2);
    else if (e == 0 && sl_log_json()) {
        if (pipe2(pipe_fd, O_CLOEXEC))
            e = errno;
        else if ((e = posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], 1)) == 0)
            e = posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], 2);
    }
    /* Only with a limit its own process group: then the stop reaches the
     * script's children too, while without one a Ctrl-C at the terminal
     * still reaches the hook as it reaches us. */
    if (e == 0 && (e = posix_spawnattr_init(&attr)) == 0) {
        attr_ok = 1;
        if (cfg->timeouts.hook > 0 && (e = posix_spawnattr_setpgroup(&attr, 0)) == 0)
            e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    }
    if (e == 0) {
        char *argv[] = {"sh", "-c", (char *)cmd, NULL};
        /* What we logged so far reaches a shared log file before the hook's lines. */
        fflush(stdout);
        fflush(stderr);
        e = posix_spawn(&h->pid, "/bin/sh", &fa, &attr, argv, env);
    }
    h->started = monotonic_now();
    if (pipe_fd[1] >= 0)
        close(pipe_fd[1]);
    if (e == 0)
        h->out_fd = pipe_fd[0];
    else if (pipe_fd[0] >= 0)
        close(pipe_fd[0]);
    if (e)
        h->pid = -1;
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    return e;
}

/* Log the complete lines of buf[0..*n) and keep the rest at its start; all
 * of it when `flush` (the pipe ended) or when a line fills the buffer. */
static void log_hook_lines(const struct flow_hook *h, char *buf, size_t *n, size_t size, int flush)
{
    size_t from = 0;
    for (size_t i = 0; i < *n; i++)
        if (buf[i] == '\n') {
            sl_log_event(SL_LOG_INFO, "hook", "hook %s: %.*s", h->which, (int)(i - from),
                         buf + from);
            from = i + 1;
        }
    if (from < *n && (flush || (from == 0 && *n == size))) {
        sl_log_event(SL_LOG_INFO, "hook", "hook %s: %.*s", h->which, (int)(*n - from), buf + from);
        from = *n;
    }
    memmove(buf, buf + from, *n - from);
    *n -= from;
}

/* See run.h.  The limit is checked every 100 ms; a hook without one is
 * waited for as long as it takes, as before run.timeouts.hook existed. */
void flow_hook_wait(struct flow_hook *h, const struct sl_config *cfg)
{
    if (h->pid <= 0)
        return;
    double limit = cfg->timeouts.hook;
    char buf[4096];
    size_t n = 0;
    int wstatus = 0, ended = 0, stop = 0; /* 0, 1 SIGTERM sent, 2 SIGKILL sent */
    double term_at = 0;
    while (!ended) {
        if (h->out_fd >= 0) {
            struct pollfd p = {.fd = h->out_fd, .events = POLLIN};
            if (poll(&p, 1, 100) > 0) {
                ssize_t got = read(h->out_fd, buf + n, sizeof buf - n);
                if (got > 0) {
                    n += (size_t)got;
                    log_hook_lines(h, buf, &n, sizeof buf, 0);
                } else if (got == 0 || errno != EINTR) {
                    log_hook_lines(h, buf, &n, sizeof buf, 1);
                    close(h->out_fd);
                    h->out_fd = -1;
                }
            }
        } else if (limit <= 0) {
            while (waitpid(h->pid, &wstatus, 0) < 0 && errno == EINTR)
                ;
            break;
        } else {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        pid_t w = waitpid(h->pid, &wstatus, WNOHANG);
        /* With output still to read, the pipe's end says when it is done. */
        if (w == h->pid && h->out_fd < 0)
            ended = 1;
        else if (w == h->pid) {
            ended = 2; /* reaped: read what is there (a child it left may hold the pipe) */
            while (h->out_fd >= 0) {
                struct pollfd p = {.fd = h->out_fd, .events = POLLIN};
                ssize_t got = poll(&p, 1, 0) > 0 ? read(h->out_fd, buf + n, sizeof buf - n) : 0;
                if (got > 0) {
                    n += (size_t)got;
                    log_hook_lines(h, buf, &n, sizeof buf, 0);
                    continue;
                }
                if (got < 0 && errno == EINTR)
                    continue;
                log_hook_lines(h, buf, &n, sizeof buf, 1);
                close(h->out_fd);
                h->out_fd = -1;
            }
        }
        double now = monotonic_now();
        if (ended || limit <= 0)
            continue;
        if (stop == 0 && now - h->started > limit) {
            sl_warn("hook %s ('%s') still running after %g s (run.timeouts.hook): stopping it",
                    h->which, h->cmd, limit);
            kill(-h->pid, SIGTERM);
            stop = 1;
            term_at = now;
        } else if (stop == 1 && now - term_at > 5) {
            kill(-h->pid, SIGKILL);
            stop = 2;
        }
    }
    if (h->out_fd >= 0)
        close(h->out_fd);
    h->out_fd = -1;
    /* The hook's shell is gone; children it left in its group are not ours
     * to wait for, but with a limit they are stopped with it. */
    if (stop)
        kill(-h->pid, SIGKILL);
    h->pid = -1;
    if (stop)
        return; /* the warning above said why it ended */
    if (WIFSIGNALED(wstatus))
        sl_warn("hook %s ('%s') was ended by signal %d (%s)", h->which, h->cmd, WTERMSIG(wstatus),
                strsignal(WTERMSIG(wstatus)));
    else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127)
        sl_warn("hook %s ('%s') exited with status 127: command not found (hooks run with "
                "`sh -c` in %s)",
                h->which, h->cmd, cfg->dir);
    else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0)
        sl_warn("hook %s ('%s') exited with status %d", h->which, h->cmd, WEXITSTATUS(wstatus));
}

/* See run.h.  Hooks run after the run has let go of its lock (an
 * on_failure hook may start the next run) and closed DuckDB. */
void flow_run_hook(const struct sl_config *cfg, const struct flow_run_options *opt,
                   const struct sl_err *err)
{
    const char *which = err ? "on_failure" : "on_success";
    const char *cmd = err ? cfg->on_failure : cfg->on_success;
    if (!opt->began || !cmd)
        return;
    char error[2200];
    const char *value[4] = {opt->run_id,
                            opt->interrupted ? "interrupted"
                            : err            ? "failed"
                                             : "done",
                            err ? sl_err_format(err, error, sizeof error) : "", opt->failed_task};
    static const char *const names[4] = {"SNAPLAKE_RUN_ID", "SNAPLAKE_STATUS", "SNAPLAKE_ERROR",
                                         "SNAPLAKE_FAILED_TASK"};
    char *own[4] = {0};
    char **env = flow_hook_environment(names, value, 4, own);
    struct flow_hook h;
    sl_debug("hook %s: sh -c '%s' in %s", which, cmd, cfg->dir);
    int e = flow_hook_spawn(&h, cfg, which, cmd, env, 0);
    if (e)
        sl_warn("hook %s ('%s') could not be started in %s: %s", which, cmd, cfg->dir, strerror(e));
    flow_hook_wait(&h, cfg);
    for (int v = 0; v < 4; v++)
        free(own[v]);
    free(env);
}

/* The steps of the table, in order; the first failure ends the run.  The
 * deadline (deadline.h) hears of each step's start and end. */
static int run_steps(struct run *r, struct sl_err *err)
{
    const char *names[FLOW_DEADLINE_STEPS];
    int n = 0, rc = SL_OK;
    for (size_t i = 0; i < sizeof steps / sizeof *steps && n < FLOW_DEADLINE_STEPS; i++)
        if (!((steps[i].flags & STEP_MODELS) && r->export_only))
            names[n++] = steps[i].name;
    struct flow_deadline dl;
    flow_deadline_begin(&dl, r->cfg, r->state, r->run_id, r->resuming, r->fault_clock, r->t0, names,
                        n);
    n = 0;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        const struct step *s = &steps[i];
        if ((s->flags & STEP_MODELS) && r->export_only)
            continue;
        run_fault_pause(r, s->name);
        /* Before the commit point an interrupt ends the run; after it the
         * run is published and ends as such. */
        if (run_interrupt_signal && !(s->flags & STEP_BEST_EFFORT)) {
            rc = sl_err_set(err, false, "run", "", "interrupted");
            break;
        }
        sl_debug("step %s", s->name);
        flow_deadline_step_begin(&dl, n);
        int sr = s->fn(r, s->arg, err);
        flow_deadline_step_end(&dl, n++, sr == SL_OK);
        if (sr == SL_OK)
            continue;
        if (!(s->flags & STEP_BEST_EFFORT)) {
            rc = SL_ERROR;
            break;
        }
        /* The step's name once: an error of the step's own stage starts with it. */
        char buf[2200];
        if (strcmp(err->stage, s->name))
            sl_warn("%s: %s", s->name, sl_err_format(err, buf, sizeof buf));
        else
            sl_warn("%s", sl_err_format(err, buf, sizeof buf));
        sl_err_clear(err);
    }
    flow_deadline_end(&dl);
    return rc;
}

/* A run's start reads the catalog (a DuckDB open, 50 ms; or a download
 * from S3) only when the state cannot vouch for what it publishes
 * (flow_state_publish_unsettled); gc always reads it.  A `current` whose
 * update failed (warned then) is set again by the next publish. */
static int recover_if_unsettled(struct run *r, struct sl_err *err)
{
    bool unsettled = true;
    if (flow_state_publish_unsettled(r->state, &unsettled, err))
        return SL_ERROR;
    return unsettled ? run_recover_published(r, err) : SL_OK;
}

int flow_gc(const struct sl_config *cfg, int *removed, struct sl_err *err)
{
    struct run r = {.cfg = cfg};
    char state_path[PATH_MAX + 32];
    int rc = SL_ERROR, lock_fd = -1;
    *removed = 0;
    flow_state_path(cfg, state_path, sizeof state_path);
    if (take_run_lock(cfg, &lock_fd, err))
        goto out;
    int so = flow_state_open(state_path, 0, &r.state, err);
    if (so == FLOW_STATE_DAMAGED)
        flow_state_damaged_hint(cfg, err);
    if (so || flow_state_mark_interrupted(r.state, err) || store_open(&r.store, cfg->lake, &(struct store_options){.config = cfg}, err) ||
        run_recover_published(&r, err))
        goto out;
    /* The newest run, when it can be resumed, keeps its snapshot copy. */
    char why[256];
    if (flow_state_resumable(r.state, NULL, r.run_id, sizeof r.run_id, why, sizeof why, err))
        goto out;
    r.resuming = r.run_id[0] != 0;
    clean_leftovers(&r);
    /* "~" sorts after every run id: every run a published run superseded. */
    rc = run_clean_abandoned(&r, "~", removed, err);
out:
    store_close(&r.store);
    flow_state_close(r.state);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}

/* run.timeouts.run: a thread that sleeps until the limit and then sets the
 * stop flag, which every phase already obeys for SIGINT and SIGTERM (the
 * pools stop and cancel their running attempts, the step loop ends the
 * run before the commit point).  A thread and not alarm(): SIGALRM would be
 * one more process-wide disposition, and a signal landing in DuckDB's or
 * libpq's threads interrupts their system calls. */
struct run_timer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct timespec until; /* CLOCK_MONOTONIC */
    int done, started;
};

static void *run_timer_main(void *arg)
{
    struct run_timer *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->done)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &t->until) == ETIMEDOUT) {
            if (!run_interrupt_signal)
                run_interrupt_signal = RUN_TIMED_OUT;
            break;
        }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Start the timer for `seconds` after t0 (wall clock, seconds). */
static void run_timer_start(struct run_timer *t, double t0, double seconds)
{
    pthread_condattr_t ca;
    struct timespec now;
    double left = t0 + seconds - run_now();
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (left < 0)
        left = 0;
    t->until.tv_sec = now.tv_sec + (time_t)left;
    t->until.tv_nsec = now.tv_nsec + (long)((left - (double)(time_t)left) * 1e9);
    if (t->until.tv_nsec >= 1000000000) {
        t->until.tv_sec++;
        t->until.tv_nsec -= 1000000000;
    }
    t->started = pthread_create(&t->thread, NULL, run_timer_main, t) == 0;
    if (!t->started)
        sl_warn("run.timeouts.run is not enforced: cannot start its timer thread");
}

static void run_timer_stop(struct run_timer *t)
{
    if (!t->started)
        return;
    pthread_mutex_lock(&t->mu);
    t->done = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    t->started = 0;
}

/* A lake the engine cannot read (S3: DuckDB here has no httpfs) is opened
 * again, now that the run has its folder, so that the store keeps a local
 * copy of every file the run writes (<tmp>/lake/<path>): the models read
 * the run's raw files from there.  The folder lives as long as the run can
 * be resumed, so a resumed run finds the copies of the chunks it keeps. */
static int reopen_with_copies(struct run *r, struct sl_err *err)
{
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/lake", r->tmp_dir);
    store_close(&r->store);
    struct store_options so = {.config = r->cfg,
                               .interrupt = (const volatile int *)&run_interrupt_signal,
                               .cache_dir = cache};
    return store_open(&r->store, r->cfg->lake, &so, err);
}

int flow_run(const struct sl_config *cfg, struct flow_run_options *opt, struct sl_err *err)
{
    struct run r = {.cfg = cfg, .export_only = opt->export_only, .t0 = run_now()};
    char state_path[PATH_MAX + 32], red[1024];
    int rc = SL_ERROR, began = 0, lock_fd = -1, ncancel = 0;
    struct run_timer timer = {0};
    opt->lock_fd = -1;
    pq_options_default(&r.pq);
    r.pq.codec = cfg->compression;
    r.pq.level = cfg->compression_level;
    r.pq.format_version = cfg->parquet_format_version;
    r.pq.timestamp_int96 =
        cfg->parquet_timestamp_type && !strcmp(cfg->parquet_timestamp_type, "int96");
    r.pq.row_group_bytes = (size_t)cfg->row_group_mb << 20;
    r.pq.bloom_columns = cfg->bloom_filter_columns;
    r.pq.n_bloom_columns = cfg->n_bloom_filter_columns;
    r.pq.run_id = r.run_id;
    src_redact_url(cfg->source, red, sizeof red);
    run_fault_read(&r);

    flow_state_path(cfg, state_path, sizeof state_path);
    if (take_run_lock(cfg, &lock_fd, err))
        goto out;
    int sf = FLOW_STATE_CREATE | (opt->new_history ? FLOW_STATE_NEW_IF_DAMAGED : 0);
    int so = flow_state_open(state_path, sf, &r.state, err);
    if (so == FLOW_STATE_DAMAGED)
        flow_state_damaged_hint(cfg, err);
    /* Transfers stop when the run is interrupted (sig_atomic_t is an int). */
    struct store_options sopt = {.config = cfg,
                                 .interrupt = (const volatile int *)&run_interrupt_signal};
    if (so || flow_state_mark_interrupted(r.state, err) || store_open(&r.store, cfg->lake, &sopt, err) ||
        recover_if_unsettled(&r, err))
        goto out;
    sl_debug("run history %s; run lock %s/.snaplake/lock", state_path, cfg->dir);
    if (opt->resume) {
        char why[256];
        if (flow_state_resumable(r.state, opt->resume_id, r.run_id, sizeof r.run_id, why,
                                 sizeof why, err))
            goto out;
        if (!r.run_id[0]) {
            sl_log_result(false, "nothing to resume: %s", why);
            opt->nothing_to_resume = 1;
            rc = SL_OK;
            goto out;
        }
        r.resuming = 1;
        r.allow_mixed = opt->allow_mixed_snapshots;
    }
    clean_leftovers(&r);
    if (!r.resuming && make_run_id(&r, err))
        goto out;
    snprintf(opt->run_id, sizeof opt->run_id, "%s", r.run_id);
    snprintf(r.tmp_dir, sizeof r.tmp_dir, "%s/.snaplake/tmp/%s", cfg->dir, r.run_id);
    if (mkdir_p(r.tmp_dir)) {
        sl_err_set(err, false, "run", r.tmp_dir, "cannot create folder: %s", strerror(errno));
        goto out;
    }
    if (!(r.store.type->caps & STORE_CAP_LOCAL) && reopen_with_copies(&r, err))
        goto out;
    if (r.resuming) {
        /* SQLite's copy of the first attempt, complete (source/sqlite.c
         * writes this marker after it): the same point in time. */
        char marker[PATH_MAX + 16];
        snprintf(marker, sizeof marker, "%s/snapshot.done", r.tmp_dir);
        r.same_snapshot = access(marker, F_OK) == 0;
        if (flow_state_chunks(r.state, r.run_id, &r.recorded, &r.nrecorded, err) ||
            flow_state_run_resume(r.state, r.run_id, err))
            goto out;
    } else if (flow_state_run_begin(r.state, r.run_id, red, cfg->lake, err)) {
        goto out;
    }
    began = 1;
    sl_info("run %s%s: %s → %s", r.run_id, r.resuming ? " (resumed)" : "", red, cfg->lake);

    if (cfg->timeouts.run > 0)
        run_timer_start(&timer, r.t0, cfg->timeouts.run);
    r.cancel = calloc((size_t)cfg->jobs, sizeof *r.cancel);
    if (!r.cancel) {
        sl_err_set(err, false, "run", r.run_id, "out of memory");
        goto out;
    }
    for (; ncancel < cfg->jobs; ncancel++)
        sl_cancel_init(&r.cancel[ncancel]);
    struct engine_env env = {.threads = cfg->jobs,
                             .compression = cfg->compression,
                             .store = &r.store,
                             .catalog = &r.catalog,
                             .cfg = cfg,
                             .tmp_dir = r.tmp_dir,
                             .stop = &run_interrupt_signal};
    /* `snaplake export` runs no model: no engine (an in-memory DuckDB is
     * 30 ms of a small export; a cloud engine's session is not needed). */
    if (catalog_open(&r.catalog, cfg, &r.store, err) ||
        (!r.export_only && engine_open(&r.engine, &env, err)))
        goto out;
    rc = run_steps(&r, err);
out:
    run_timer_stop(&timer);
    if (r.catalog.type)
        r.catalog.type->abort(r.catalog.ctx);
    int64_t rows = 0, bytes = 0;
    for (int i = 0; i < r.ndatasets; i++)
        rows += r.datasets[i].rows, bytes += r.datasets[i].bytes;
    int sig = rc ? run_interrupt_signal : 0;
    if (sig == RUN_TIMED_OUT) {
        /* Whatever failed after the limit failed because of it; the run
         * failed (it was not stopped from outside): state, hook and exit
         * status say so. */
        char limit[32];
        sl_err_clear(err);
        sl_err_set(err, false, "run", r.run_id, "run timed out after %s (run.timeouts.run)",
                   run_seconds(cfg->timeouts.run, limit, sizeof limit));
        sig = 0;
    } else if (sig) {
        run_fault_pause(&r, "ending");
        /* Whatever failed after the signal failed because of it. */
        sl_err_clear(err);
        sl_err_set(err, false, "run", r.run_id, "interrupted by %s",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    if (began) {
        char msg[2200];
        struct sl_err e2 = {0};
        flow_state_run_end(r.state, r.run_id,
                           sig  ? "interrupted"
                           : rc ? "failed"
                                : "done",
                           rows, bytes, rc ? sl_err_format(err, msg, sizeof msg) : NULL, &e2);
    }
    opt->interrupted = sig;
    if (rc == SL_OK && began)
        sl_log_result(false, "published run %s: %d datasets, %lld rows, %.1f MiB in %.2f s",
                      r.run_id, r.ndatasets, (long long)rows, bytes / 1048576.0, run_now() - r.t0);
    opt->began = began;
    snprintf(opt->failed_task, sizeof opt->failed_task, "%s", r.failed_task);
    /* A run that did not publish keeps its folder (its snapshot copy) for
     * --resume; the next run removes it once it cannot be resumed. */
    if (r.tmp_dir[0] && rc == SL_OK)
        remove_dir(r.tmp_dir);
    engine_close(&r.engine);
    catalog_close(&r.catalog);
    source_close(&r.source);
    store_close(&r.store);
    flow_state_close(r.state);
    src_tables_free(r.tables, r.ntables);
    for (int i = 0; i < r.ndatasets; i++) {
        sl_schema_free(&r.datasets[i].schema);
        free(r.datasets[i].file);
    }
    free(r.datasets);
    src_chunks_free(r.chunks, r.nchunks);
    free(r.results);
    free(r.chunks_left);
    free(r.models);
    free(r.kept);
    run_free_model_results(&r);
    flow_deps_free(&r.deps);
    flow_state_chunks_free(r.recorded, r.nrecorded);
    for (int i = 0; i < ncancel; i++)
        sl_cancel_destroy(&r.cancel[i]);
    free(r.cancel);
    free(r.snapshot_identity);
    /* Held on: the caller saves the report under it (a next run's sweep
     * of unfinished writes must not meet the report's), then lets go with
     * flow_run_unlock before the hook. */
    opt->lock_fd = lock_fd;
    return rc;
}

void flow_run_unlock(struct flow_run_options *opt)
{
    if (opt->lock_fd >= 0)
        close(opt->lock_fd);
    opt->lock_fd = -1;
}
