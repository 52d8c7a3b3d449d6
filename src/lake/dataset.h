/*
 * dataset.h — what the pipeline hands to catalogs and engines: one dataset
 * of the lake in one run (a raw table or a model's output), where its files
 * are and what they hold.
 */
#ifndef SL_LAKE_DATASET_H
#define SL_LAKE_DATASET_H

#include <limits.h>
#include <stdint.h>

#include "batch/batch.h"

struct lake_file {
    char path[PATH_MAX]; /* store path: raw/users/run=X/part-0.parquet */
    int64_t rows;
    int64_t bytes;
    double seconds; /* time to produce it */
    uint32_t crc32; /* zlib CRC-32 of the whole file, as written */
};

struct lake_dataset {
    char layer[8];            /* "raw", "stage1", "stage2" */
    char name[128];           /* safe name: table or model */
    char prefix[PATH_MAX];    /* store path of the run folder: raw/users/run=X */
    char location[PATH_MAX];  /* engine-readable URL of that folder */
    struct sl_schema schema;  /* raw tables: the mapped columns; models: may be empty */
    int64_t rows;
    int64_t bytes;
    int files;
    struct lake_file *file; /* `files` entries, owned; free() */
};

#endif
