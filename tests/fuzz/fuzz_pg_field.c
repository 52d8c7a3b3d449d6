/*
 * fuzz_pg_field.c — libFuzzer target for the PostgreSQL binary COPY field
 * decoders (pg_decode_field, pg_decode_array in src/source/pg_types.c).
 *
 * Input layout:
 *
 *   byte 0    flags: bit 0 = decode as a one-dimensional array (LIST column)
 *                    of the chosen kind; bit 1 = check_utf8 (SQL_ASCII server)
 *   byte 1    the column's PostgreSQL type, an index into `types` below
 *   byte 2    numeric(p,s): p = 1 + byte % 45 (p > 38 maps to text)
 *   byte 3    numeric(p,s): s = the byte as a signed char (-128 … 127)
 *   rest      the field: its bytes exactly as COPY (FORMAT binary) sends them,
 *             without the int32 length in front
 *
 * The column (type, precision, scale) comes from pg_type_map, as in
 * postgres.c, so every (kind, column) pair fuzzed is one the source can
 * produce, and decimal columns are DECIMAL(1…38, 0…p).  Array columns get
 * sc->list = true and the element kind, as postgres.c does for arrays of a
 * mapped element type (the lossy kinds are fuzzed as elements too: they
 * decode into string children and must be as safe).
 *
 * Batches are kept across inputs, one per column layout, with capacity 1,
 * and reset before each input — as the source reuses its batch — so stale
 * state left by an earlier input (a failed array half-way, a grown child) is
 * fuzzed too.  After a successful decode the batch's invariants are checked;
 * a NUMERIC is also decoded as NUMERIC_TEXT and the text parsed back with
 * sl_decimal_parse: for a canonical numeric (dscale covers its digits) both
 * must agree on success and on the value.
 */
#include "source/pg_types.h"
#include "util/decimal.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_COLUMN_BYTES 2048 /* small, so the batch cap is reachable */

static const struct pg_type_info types[] = {
    {.oid = 16, .typtype = 'b', .name = "bool"},
    {.oid = 21, .typtype = 'b', .name = "int2"},
    {.oid = 23, .typtype = 'b', .name = "int4"},
    {.oid = 20, .typtype = 'b', .name = "int8"},
    {.oid = 26, .typtype = 'b', .name = "oid"},
    {.oid = 700, .typtype = 'b', .name = "float4"},
    {.oid = 701, .typtype = 'b', .name = "float8"},
    {.oid = 1700, .typtype = 'b', .name = "numeric"}, /* typmod from the input */
    {.oid = 1700, .typmod = -1, .typtype = 'b', .name = "numeric"},
    {.oid = 790, .typtype = 'b', .name = "money"},
    {.oid = 25, .typtype = 'b', .name = "text"},
    {.oid = 1043, .typtype = 'b', .name = "varchar"},
    {.oid = 40000, .typtype = 'e', .name = "mood"},
    {.oid = 40001, .typtype = 'b', .name = "citext"},
    {.oid = 17, .typtype = 'b', .name = "bytea"},
    {.oid = 114, .typtype = 'b', .name = "json"},
    {.oid = 3802, .typtype = 'b', .name = "jsonb"},
    {.oid = 2950, .typtype = 'b', .name = "uuid"},
    {.oid = 1082, .typtype = 'b', .name = "date"},
    {.oid = 1083, .typtype = 'b', .name = "time"},
    {.oid = 1114, .typtype = 'b', .name = "timestamp"},
    {.oid = 1184, .typtype = 'b', .name = "timestamptz"},
    {.oid = 600, .typtype = 'b', .name = "point"}, /* no mapping: ::text */
};
#define NTYPES (sizeof types / sizeof types[0])
#define NUMERIC_TYPMOD_INDEX 7

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_pg_field: broken promise: %s\n", what);
        abort();
    }
}

/* One reusable batch per layout: element type, wide decimal, LIST or not. */
struct slot {
    struct sl_column col;
    struct sl_schema schema;
    struct sl_batch *b;
};
static struct slot slots[SL_T_TIMESTAMPTZ + 1][2][2];
static struct pg_decoder decoder;
static bool decoder_ready;

static struct sl_batch *batch_for(const struct sl_column *c)
{
    struct slot *s = &slots[c->type][c->precision > 18][c->list];
    if (!s->b) {
        s->col = *c;
        s->schema.ncols = 1;
        s->schema.cols = &s->col;
        s->b = sl_batch_new(&s->schema, 1, MAX_COLUMN_BYTES);
        check(s->b != NULL, "sl_batch_new");
    }
    sl_batch_reset(s->b);
    return s->b;
}

static sl_int128 decimal_at(const void *values, size_t i, int precision)
{
    return precision <= 18 ? (sl_int128)((const int64_t *)values)[i]
                           : ((const sl_int128 *)values)[i];
}

/* The layout promises of batch.h for one flat column of `count` values. */
static void check_flat(const struct sl_batch_column *bc, const struct sl_column *c, size_t count)
{
    size_t w = sl_type_width(c->type, c->precision);
    if (!w) {
        check(bc->offsets[0] == 0, "offsets[0] is 0");
        for (size_t i = 0; i < count; i++)
            check(bc->offsets[i] <= bc->offsets[i + 1], "offsets grow");
        check(bc->offsets[count] == bc->data.len, "last offset is the data length");
        check(bc->data.len <= bc->data.cap && bc->data.len <= MAX_COLUMN_BYTES, "data in cap");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        check(bc->valid[i] <= 1, "valid is 0 or 1");
        if (!bc->valid[i])
            continue;
        if (c->type == SL_T_DECIMAL) {
            sl_int128 v = decimal_at(bc->values, i, c->precision);
            sl_int128 lim = sl_pow10_128(c->precision);
            check(v < lim && v > -lim, "decimal below 10^precision");
        } else if (c->type == SL_T_TIME) {
            int64_t v = ((const int64_t *)bc->values)[i];
            check(v >= 0 && v <= 86400000000LL, "time within a day");
        } else if (c->type == SL_T_BOOL) {
            check(((const uint8_t *)bc->values)[i] <= 1, "bool is 0 or 1");
        }
    }
}

static void check_batch(const struct sl_batch *b, const struct sl_column *c)
{
    const struct sl_batch_column *bc = &b->cols[0];
    check(b->nrows == 1 && bc->valid[0] == 1, "one present row");
    if (!c->list) {
        check_flat(bc, c, 1);
        return;
    }
    check(bc->list_offsets[0] == 0, "list_offsets[0] is 0");
    check(bc->list_offsets[1] == bc->child_count, "list ends at child_count");
    check(bc->child_count <= bc->child_capacity, "child within capacity");
    if (bc->child_count)
        check_flat(bc->child, c, bc->child_count);
}

/* A canonical numeric's dscale covers all its nonzero fractional digits
 * (what PostgreSQL sends); then its text is exact. */
static bool numeric_canonical(const uint8_t *p, size_t n)
{
    if (n < 8)
        return false;
    int ndigits = (int16_t)(p[0] << 8 | p[1]), weight = (int16_t)(p[2] << 8 | p[3]);
    int dscale = (int16_t)(p[6] << 8 | p[7]);
    if (ndigits < 0 || n != 8 + 2 * (size_t)ndigits)
        return false;
    for (int i = ndigits - 1; i > weight; i--) {
        int d = p[8 + 2 * i] << 8 | p[9 + 2 * i];
        if (d == 0)
            continue;
        int frac = 4 * (i - weight);
        for (; d % 10 == 0; d /= 10)
            frac--;
        return dscale >= frac;
    }
    return true;
}

/* NUMERIC and NUMERIC_TEXT + sl_decimal_parse must agree. */
static void numeric_differential(const struct sl_column *c, const uint8_t *p, size_t n,
                                 int numeric_rc, sl_int128 numeric_value, const char *numeric_why)
{
    if (!numeric_canonical(p, n))
        return;
    struct sl_column tc = {.type = SL_T_STRING};
    struct sl_batch *tb = batch_for(&tc);
    char why[256], pwhy[256];
    if (pg_decode_field(&decoder, PGK_NUMERIC_TEXT, &tc, p, n, tb, 0, why, sizeof why))
        return; /* malformed: NUMERIC failed too (numeric_parse is shared) */
    uint32_t len;
    const char *text = (const char *)sl_batch_bytes(tb, 0, 0, &len);
    if (len > 120)
        return; /* sl_decimal_parse takes at most 128 digits */
    sl_int128 v = 0;
    int rc = sl_decimal_parse(text, len, c->precision, c->scale, &v, pwhy, sizeof pwhy);
    if (rc != numeric_rc || (rc == SL_OK && v != numeric_value)) {
        char a[64], b[64];
        sl_decimal_format(numeric_value, c->scale, a, sizeof a);
        sl_decimal_format(v, c->scale, b, sizeof b);
        fprintf(stderr,
                "fuzz_pg_field: DECIMAL(%d,%d): binary → %s (%s), text '%.*s' → %s (%s)\n",
                c->precision, c->scale, numeric_rc ? "error" : a, numeric_rc ? numeric_why : "ok",
                (int)len, text, rc ? "error" : b, rc ? pwhy : "ok");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!decoder_ready) {
        sl_buf_init(&decoder.scratch, 1u << 20); /* as postgres.c */
        decoder_ready = true;
    }
    bool as_array = data[0] & 1;
    decoder.check_utf8 = (data[0] & 2) != 0;
    struct pg_type_info ti = types[data[1] % NTYPES];
    if (data[1] % NTYPES == NUMERIC_TYPMOD_INDEX) {
        int p = 1 + data[2] % 45, s = (int8_t)data[3];
        ti.typmod = (int32_t)(((uint32_t)p << 16) | ((uint32_t)s & 0x7ff)) + 4;
    }
    const uint8_t *field = data + 4;
    size_t n = size - 4;

    struct sl_column c = {0};
    bool lossy;
    enum pg_kind k = pg_type_map(&ti, &c, &lossy);
    check(k != PGK_ARRAY, "pg_type_map never returns PGK_ARRAY for a scalar");
    if (c.type == SL_T_DECIMAL)
        check(c.precision >= 1 && c.precision <= SL_DECIMAL_MAX_PRECISION && c.scale >= 0 &&
                  c.scale <= c.precision,
              "pg_type_map: DECIMAL(p,s) with 1 <= p <= 38, 0 <= s <= p");
    c.list = as_array;

    struct sl_batch *b = batch_for(&c);
    char why[256] = "";
    int rc = as_array ? pg_decode_array(&decoder, k, &c, field, n, b, 0, why, sizeof why)
                      : pg_decode_field(&decoder, k, &c, field, n, b, 0, why, sizeof why);
    if (rc != SL_OK) {
        check(rc == SL_ERROR && why[0] != '\0', "an error has a reason");
    } else {
        sl_batch_end_row(b);
        check_batch(b, &c);
    }
    if (!as_array && k == PGK_NUMERIC) {
        sl_int128 v = rc == SL_OK ? decimal_at(b->cols[0].values, 0, c.precision) : 0;
        numeric_differential(&c, field, n, rc, v, why);
    }
    return 0;
}
