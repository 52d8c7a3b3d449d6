/*
 * hive.h — Hive, Athena and Trino names for the lake's column types, for
 * catalogs outside DuckDB: the Glue Data Catalog (glue.c) and the DDL that
 * `snaplake ddl` prints for a metastore of the user's own.
 *
 * Every column type reaches this module spelled as DuckDB spells it: raw
 * tables' columns through sl_type_sql ("BIGINT", "DECIMAL(12,2)",
 * "VARCHAR[]"), models' outputs as DuckDB describes their Parquet files
 * ("STRUCT(a INTEGER)", "MAP(VARCHAR, BIGINT)").  One parser then serves
 * both.  The mapping (docs/cloud.md "Column types") follows what the files
 * hold (parquet/writer.c) and what Hive's and Trino's Parquet readers accept:
 *
 *   DuckDB                     Hive / Athena      Trino (Hive connector)
 *   BOOLEAN                    boolean            boolean
 *   TINYINT SMALLINT INTEGER   tinyint smallint int   tinyint smallint integer
 *   BIGINT                     bigint             bigint
 *   FLOAT DOUBLE               float double       real double
 *   DECIMAL(p,s)               decimal(p,s)       decimal(p,s)
 *   VARCHAR, JSON              string             varchar
 *   BLOB                       binary             varbinary
 *   UUID (FLBA(16))            binary             varbinary  (16 bytes, big-endian)
 *   DATE                       date               date
 *   TIME (INT64 µs)            bigint             bigint     (µs since midnight)
 *   TIMESTAMP                  timestamp          timestamp(6)
 *   TIMESTAMP WITH TIME ZONE   timestamp          timestamp(6)  (UTC instants)
 *   T[]                        array<t>           array(t)
 *   STRUCT(a T)                struct<a:t>        row(a t)
 *   MAP(K, V)                  map<k,v>           map(k, v)
 *
 * Hive's Parquet SerDe has no time of day, no UUID and no zone-carrying
 * timestamp; the table above reads the same bytes as the nearest type that
 * exists.  INTERVAL and the other DuckDB-only types have no reading in
 * Hive: an error that names the column and asks for a cast in the model.
 */
#ifndef SL_CATALOG_HIVE_H
#define SL_CATALOG_HIVE_H

#include <stddef.h>

#include "lake/dataset.h"
#include "store/store.h"
#include "util/err.h"

enum hive_dialect {
    HIVE_DIALECT_HIVE,   /* Hive metastore, Glue */
    HIVE_DIALECT_ATHENA, /* Athena's DDL: Hive's */
    HIVE_DIALECT_TRINO,  /* Trino's Hive connector */
};

/* Longest type text produced; deeper nesting is an error. */
#define HIVE_TYPE_MAX 1024

struct hive_column {
    char name[256];
    char sql[HIVE_TYPE_MAX]; /* DuckDB's spelling, as received */
};

/* Parse "hive", "athena", "trino"; SL_ERROR for anything else. */
int hive_dialect_parse(const char *s, enum hive_dialect *out);

/* The dialect's type for a DuckDB type text.  `column` names the column in
 * the error (an unsupported or unparsable type).  SL_OK or SL_ERROR. */
int hive_type(const char *duckdb_type, enum hive_dialect dialect, const char *column, char *out,
              size_t size, struct sl_err *err);

/* The columns of a dataset as DuckDB types.  A raw table's: its schema
 * (what snaplake's writer wrote).  A model's: the footer of its first
 * file, read with DuckDB from the store's local path or copy
 * (store->type->local_path) — the engine's schema calls STRUCT, MAP and
 * INTERVAL text — else its schema.  *cols is malloc'd (caller frees), *n
 * may be 0 for a dataset without files and schema. */
int hive_dataset_columns(const struct lake_dataset *d, struct store *store,
                         struct hive_column **cols, int *n, struct sl_err *err);

/* The columns of one local Parquet file, as DuckDB describes them.  *cols
 * is malloc'd (caller frees). */
int hive_file_columns(const char *path, struct hive_column **cols, int *n, struct sl_err *err);

/* The LOCATION of a dataset's run folder: the store's URL of `prefix` with
 * a trailing '/' (Athena reads the objects under it), a local folder as a
 * file:// URL (a metastore resolves a bare path against its default file
 * system, HDFS). */
void hive_location(struct store *store, const char *prefix, char *out, size_t size);

#endif
