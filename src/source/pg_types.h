/*
 * pg_types.h — PostgreSQL types: which internal type a column gets, and how
 * one field of a binary COPY stream is decoded into a batch.
 *
 * Internal to the PostgreSQL source (postgres.c); see pg_types.c for the
 * mapping table and the binary send formats it decodes.
 */
#ifndef SL_SOURCE_PG_TYPES_H
#define SL_SOURCE_PG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/buf.h"

/* How a field arrives in the COPY stream and is decoded. */
enum pg_kind {
    PGK_BOOL,
    PGK_INT2,
    PGK_INT4,
    PGK_INT8,
    PGK_OID,          /* unsigned 32-bit → int64 */
    PGK_FLOAT4,
    PGK_FLOAT8,
    PGK_NUMERIC,      /* numeric(p,s) → DECIMAL */
    PGK_NUMERIC_TEXT, /* numeric without typmod or p > 38 → its exact text */
    PGK_MONEY,        /* int64 cents → DECIMAL(19,2) */
    PGK_TEXT,         /* text, varchar, char(n), name, citext, enums */
    PGK_BYTEA,
    PGK_JSON,
    PGK_JSONB,        /* version byte 1, then the text */
    PGK_UUID,
    PGK_DATE,
    PGK_TIME,
    PGK_TIMESTAMP,
    PGK_TIMESTAMPTZ,
    PGK_CAST_TEXT,    /* no exact mapping: selected as `col::text` */
    PGK_ARRAY,        /* one-dimensional array of a mapped element kind → LIST */
};

/* The facts of a column's type after resolving domains to their base type. */
struct pg_type_info {
    uint32_t oid;      /* base type */
    int32_t typmod;    /* of the base type (a domain's typtypmod) */
    char typtype;      /* 'b' base, 'e' enum, 'r' range, 'c' composite, … */
    char typcategory;  /* 'A' for arrays */
    const char *name;  /* pg_type.typname of the base type */
};

/* Pick the kind and fill c->type, c->precision, c->scale.  *lossy is set
 * when the column is exported as text because no exact mapping exists (the
 * caller warns and lists it in the manifest). */
enum pg_kind pg_type_map(const struct pg_type_info *ti, struct sl_column *c, bool *lossy);

/* Per-reader decoding state. */
struct pg_decoder {
    bool check_utf8;       /* server_encoding is SQL_ASCII: text is not verified */
    struct sl_buf scratch; /* numeric text formatting */
};

/* Decode one non-NULL binary field (n bytes at p) into column `col` of the
 * batch's current row.  Returns SL_OK, or SL_ERROR with the reason in why
 * (a value that does not fit, a malformed field). */
int pg_decode_field(struct pg_decoder *d, enum pg_kind k, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t whysize);

/* Decode one non-NULL binary array (array_send: ndim, has-null flag,
 * element oid, per dimension size and lower bound, then per element a
 * length (-1 NULL) and its binary form) into the LIST column `col`, each
 * element as pg_decode_field would with `elem`.  Only one dimension (or an
 * empty array) is accepted; lower bounds are not kept. */
int pg_decode_array(struct pg_decoder *d, enum pg_kind elem, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t whysize);

#endif
