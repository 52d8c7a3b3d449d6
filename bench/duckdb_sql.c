/*
 * duckdb_sql.c — run SQL statements on an in-memory DuckDB: the peer side
 * of the benchmarks (there is no DuckDB CLI on these machines, only the
 * library).  usage: duckdb_sql "SQL; SQL; …"
 */
#include <duckdb.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: duckdb_sql SQL\n");
        return 2;
    }
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "duckdb_sql: cannot open DuckDB\n");
        return 1;
    }
    int rc = 0;
    if (duckdb_query(con, argv[1], &res) == DuckDBError) {
        fprintf(stderr, "duckdb_sql: %s\n", duckdb_result_error(&res));
        rc = 1;
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
