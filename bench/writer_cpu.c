/*
 * writer_cpu.c — the CPU time of snaplake's Parquet writer alone, for
 * bench/writer.sh.  `snaplake export` also spends CPU reading the source,
 * copying the snapshot and keeping the run's history, which the peer
 * (DuckDB's COPY from a table in memory) does not; issue 13's target is the
 * writer's CPU per row.
 *
 *   writer_cpu SQLITE_DB TABLE OUT.parquet [FORMAT_VERSION]
 *
 * Reads every chunk of TABLE through the SQLite source, as `snaplake
 * export` does, into one Parquet file with the export's default options
 * (zstd level 3, 8192-row batches), and prints on stdout
 *   rows=N writer_cpu_s=S
 * where S is the thread CPU time spent inside pq_writer_write and
 * pq_writer_finish (writing the file included), the source's excluded.
 */
#include "parquet/writer.h"
#include "source/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <malloc.h>
#include <time.h>

struct sink {
    FILE *f;
    struct pq_writer *w;
    double cpu; /* seconds inside the writer */
    int64_t rows;
};

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int file_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    if (fwrite(data, 1, n, ctx) != n)
        return sl_err_set(err, false, "bench", "", "cannot write the output file");
    return SL_OK;
}

static int emit(void *arg, const struct sl_batch *b, struct sl_err *err)
{
    struct sink *s = arg;
    double t0 = thread_cpu();
    int rc = pq_writer_write(s->w, b, err);
    s->cpu += thread_cpu() - t0;
    s->rows += (int64_t)b->nrows;
    return rc;
}

static int run(const char *db, const char *table, const char *out, int version, struct sl_err *err)
{
    char url[4200];
    snprintf(url, sizeof url, "sqlite://%s", db);
    char tmp[] = "/tmp/writer_cpu.XXXXXX";
    if (!mkdtemp(tmp))
        return sl_err_set(err, false, "bench", tmp, "cannot make a temporary folder");
    struct source_options so = {.jobs = 1, .tmp_dir = tmp, .batch_rows = 8192};
    struct source src = {0};
    struct src_table *tables = NULL;
    struct src_chunk *chunks = NULL;
    int ntables = 0, nchunks = 0, rc;
    void *reader = NULL;
    struct sink s = {0};
    struct sl_batch *batch = NULL;
    if ((rc = source_open(&src, url, &so, err)) ||
        (rc = src.type->list_tables(src.snap, &tables, &ntables, err)))
        goto out;
    int ti = 0;
    while (ti < ntables && strcmp(tables[ti].name, table))
        ti++;
    if (ti == ntables) {
        rc = sl_err_set(err, false, "bench", db, "no table %s", table);
        goto out;
    }
    struct src_table *t = &tables[ti];
    struct pq_options po;
    pq_options_default(&po);
    po.format_version = version;
    po.table = t->name;
    po.expected_rows = t->est_rows; /* as the export passes its chunk's */
    if (!(s.f = fopen(out, "wb"))) {
        rc = sl_err_set(err, false, "bench", out, "cannot create it");
        goto out;
    }
    if (!(batch = sl_batch_new(&t->columns, so.batch_rows, (size_t)64 << 20))) {
        rc = sl_err_set(err, false, "bench", "", "out of memory");
        goto out;
    }
    double t0 = thread_cpu();
    rc = pq_writer_open(&s.w, &t->columns, &po, file_sink, s.f, err);
    s.cpu += thread_cpu() - t0;
    if (rc || (rc = src.type->plan_chunks(src.snap, t, ti, &chunks, &nchunks, err)) ||
        (rc = src.type->reader_open(src.snap, &reader, err)))
        goto out;
    for (int i = 0; i < nchunks && !rc; i++)
        rc = src.type->read_chunk(reader, t, &chunks[i], batch, emit, &s, err);
    if (rc)
        goto out;
    t0 = thread_cpu();
    rc = pq_writer_finish(s.w, NULL, err);
    if (!rc && fflush(s.f))
        rc = sl_err_set(err, false, "bench", out, "cannot write it");
    s.cpu += thread_cpu() - t0;
    if (!rc)
        printf("rows=%lld writer_cpu_s=%.3f\n", (long long)s.rows, s.cpu);
out:
    if (reader)
        src.type->reader_close(reader);
    pq_writer_free(s.w);
    if (s.f)
        fclose(s.f);
    sl_batch_free(batch);
    src_chunks_free(chunks, nchunks);
    src_tables_free(tables, ntables);
    source_close(&src);
    nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS); /* the snapshot copy */
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: writer_cpu SQLITE_DB TABLE OUT.parquet [FORMAT_VERSION]\n");
        return 2;
    }
    mallopt(M_MMAP_THRESHOLD, 1 << 20); /* as main.c does */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    struct sl_err err = {0};
    if (run(argv[1], argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 1, &err)) {
        char buf[2200];
        fprintf(stderr, "writer_cpu: %s\n", sl_err_format(&err, buf, sizeof buf));
        return 1;
    }
    return 0;
}
