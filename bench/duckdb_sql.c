/*
 * duckdb_sql.c — run SQL on an in-memory DuckDB: the peer side of the
 * benchmarks (there is no DuckDB CLI on these machines, only the library).
 *
 *   duckdb_sql "SQL; SQL; …"          run it
 *   duckdb_sql SQL1 SQL2 …            run each in turn on the same database,
 *                                     printing "cpu_s=S wall_s=W" per argument
 *                                     on stdout (process CPU: all of DuckDB's
 *                                     threads), so that one statement can be
 *                                     timed apart from the setup before it
 */
#include <duckdb.h>
#include <stdio.h>
#include <time.h>

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: duckdb_sql SQL [SQL …]\n");
        return 2;
    }
    duckdb_database db;
    duckdb_connection con;
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "duckdb_sql: cannot open DuckDB\n");
        return 1;
    }
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        duckdb_result res;
        double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID), wall = seconds(CLOCK_MONOTONIC);
        if (duckdb_query(con, argv[i], &res) == DuckDBError) {
            fprintf(stderr, "duckdb_sql: %s\n", duckdb_result_error(&res));
            rc = 1;
        } else if (argc > 2) {
            printf("cpu_s=%.3f wall_s=%.3f\n", seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu,
                   seconds(CLOCK_MONOTONIC) - wall);
        }
        duckdb_destroy_result(&res);
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
