/*
 * cache.h — a local copy of a remote lake's published run.
 *
 * DuckDB here cannot read s3:// (httpfs cannot be installed), so `snaplake
 * query` on an S3 lake reads a local copy: the catalog file and every file
 * of the published run, laid out as in the lake, under one folder.  The
 * catalog's views name `coalesce(getvariable('snaplake_lake'), <lake>)`
 * (catalog/duckdb.c), so setting the variable to that folder makes them read
 * the copy.  Files are checked against the run's manifest (size and CRC-32):
 * one already there and matching is kept, so a second query downloads
 * nothing; one that does not match after download is an error naming it.
 */
#ifndef SL_LAKE_CACHE_H
#define SL_LAKE_CACHE_H

#include <stddef.h>

#include "store/store.h"
#include "util/err.h"

/* Bring `dir` (created when missing) to the published run of the lake in
 * `st`: its id into run_id ("" when nothing is published: then nothing is
 * copied).  Files of other runs under dir are removed. *fetched counts the
 * files downloaded (NULL allowed). */
int lake_cache_published(struct store *st, const char *dir, char *run_id, size_t size,
                         int *fetched, struct sl_err *err);

#endif
