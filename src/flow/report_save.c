/*
 * report_save.c — every run keeps its report (report.h) where a reader
 * looks for the run: a published run's page goes into the lake next to its
 * manifest (_snaplake/runs/<RUN_ID>.html, through the store, so an S3 lake
 * gets it too); a run that published nothing keeps its page in the project,
 * .snaplake/reports/<RUN_ID>.html, since nothing of it may reach the lake.
 * Both go when the run's files go (retention, gc: publish.c).
 *
 * The page is made after the run's end is recorded, so it shows the run as
 * it ended.  A report that cannot be made is a warning: the run's result
 * stands.
 */
#include "flow/report.h"
#include "flow/run.h"
#include "store/store.h"
#include "util/log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void flow_report_local_path(const struct sl_config *cfg, const char *run_id, char *out,
                            size_t size)
{
    snprintf(out, size, "%s/.snaplake/reports/%s.html", cfg->dir, run_id);
}

static int put_lake(const struct sl_config *cfg, const char *path, const char *html, size_t n,
                    struct sl_err *err)
{
    struct store st;
    struct store_file *f = NULL;
    if (store_open(&st, cfg->lake, &(struct store_options){.config = cfg}, err))
        return SL_ERROR;
    int rc = st.type->put_open(st.ctx, path, &f, err);
    if (rc == SL_OK)
        rc = st.type->write(f, html, n, err);
    if (rc == SL_OK) {
        rc = st.type->commit(f, err);
        f = NULL;
    }
    st.type->abort(f, NULL);
    store_close(&st);
    return rc;
}

static int put_local(const char *path, const char *html, size_t n, struct sl_err *err)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    mkdir(dir, 0777);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(html, 1, n, f) == n;
    ok = f && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return sl_err_set(err, false, "report", path, "cannot write the report");
    }
    return SL_OK;
}

void flow_report_save(const struct sl_config *cfg, const struct flow_run_options *opt,
                      int published)
{
    if (!opt->began || !opt->run_id[0])
        return;
    char state[PATH_MAX], where[PATH_MAX + 64];
    flow_state_path(cfg, state, sizeof state);
    char *html = NULL;
    size_t n = 0;
    struct sl_err e = {0};
    FILE *f = open_memstream(&html, &n);
    int rc = f ? flow_report_write(state, opt->run_id, NULL, f, &e)
               : sl_err_set(&e, false, "report", opt->run_id, "out of memory");
    if (f && fclose(f) && rc == SL_OK)
        rc = sl_err_set(&e, false, "report", opt->run_id, "out of memory");
    if (rc == SL_OK && published) {
        char path[128];
        snprintf(path, sizeof path, "_snaplake/runs/%s.html", opt->run_id);
        snprintf(where, sizeof where, "%s/%s", cfg->lake, path);
        rc = put_lake(cfg, path, html, n, &e);
    } else if (rc == SL_OK) {
        flow_report_local_path(cfg, opt->run_id, where, sizeof where);
        rc = put_local(where, html, n, &e);
    }
    free(html);
    char buf[2200];
    if (rc)
        sl_warn("no report for run %s: %s", opt->run_id, sl_err_format(&e, buf, sizeof buf));
    else
        sl_info("report: %s", where);
}
