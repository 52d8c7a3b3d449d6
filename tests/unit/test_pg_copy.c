/*
 * test_pg_copy.c — the binary COPY stream parser (src/source/pg_copy.c) and
 * the inline fast decoders it uses (pg_decode_fast in pg_types.h).
 *
 * PostgreSQL sends one tuple per CopyData message, so a live server never
 * exercises the path where a tuple is cut between messages (a proxy or
 * another server may cut anywhere): here synthetic streams are fed whole,
 * in pieces of every size, and split at every byte, and each way must give
 * the same rows.  The fast decoders must agree with pg_decode_field on every
 * value they accept, and leave the rest to it.
 */
#include "check.h"
#include "source/pg_copy.h"
#include "util/err.h"

#include <limits.h>
#include <stdlib.h>

/* ---- a synthetic stream ------------------------------------------------ */

struct stream {
    uint8_t data[1 << 16];
    size_t len;
};

static void put16(struct stream *s, int v)
{
    s->data[s->len++] = (uint8_t)((unsigned)v >> 8);
    s->data[s->len++] = (uint8_t)v;
}

static void put32(struct stream *s, int64_t v)
{
    for (int i = 3; i >= 0; i--)
        s->data[s->len++] = (uint8_t)((uint64_t)v >> (8 * i));
}

static void put64(struct stream *s, int64_t v)
{
    put32(s, (int64_t)((uint64_t)v >> 32));
    put32(s, (int64_t)(uint32_t)v);
}

static void put_field(struct stream *s, const void *p, size_t n)
{
    put32(s, (int64_t)n);
    memcpy(s->data + s->len, p, n);
    s->len += n;
}

/* A binary numeric: sign, weight, dscale, base-10000 digits. */
static void put_numeric(struct stream *s, int sign, int weight, int dscale, int n,
                        const int *digits)
{
    put32(s, 8 + 2 * n);
    put16(s, n);
    put16(s, weight);
    put16(s, sign);
    put16(s, dscale);
    for (int i = 0; i < n; i++)
        put16(s, digits[i]);
}

/* A one-dimensional text[] with `n` elements; NULL entries are NULL elements. */
static void put_text_array(struct stream *s, int n, const char *const *elems)
{
    size_t at = s->len;
    put32(s, 0); /* length, patched below */
    put32(s, n ? 1 : 0);
    put32(s, 0);  /* has-null flag (not read) */
    put32(s, 25); /* element oid */
    if (n) {
        put32(s, n);
        put32(s, 1);
    }
    for (int i = 0; i < n; i++) {
        if (elems[i])
            put_field(s, elems[i], strlen(elems[i]));
        else
            put32(s, -1);
    }
    size_t len = s->len - at - 4;
    for (int i = 0; i < 4; i++)
        s->data[at + (size_t)i] = (uint8_t)(len >> (8 * (3 - i)));
}

/* Columns: id int8, n int4 NULL, ts timestamptz, amount numeric(12,2),
 * note text NULL, tags text[] NULL, paid bool, day date, big numeric(30,2). */
enum { NCOLS = 9 };
static const enum pg_kind kinds[NCOLS] = {PGK_INT8, PGK_INT4, PGK_TIMESTAMPTZ,
                                          PGK_NUMERIC, PGK_TEXT, PGK_ARRAY,
                                          PGK_BOOL, PGK_DATE, PGK_NUMERIC};
static const enum pg_kind elem_kinds[NCOLS] = {[5] = PGK_TEXT};

static void table_init(struct src_table *t, struct sl_column *cols)
{
    memset(t, 0, sizeof *t);
    memset(cols, 0, sizeof *cols * NCOLS);
    snprintf(t->schema, sizeof t->schema, "public");
    snprintf(t->name, sizeof t->name, "receipts");
    static const enum sl_type types[NCOLS] = {SL_T_INT64, SL_T_INT32, SL_T_TIMESTAMPTZ,
                                              SL_T_DECIMAL, SL_T_STRING, SL_T_STRING,
                                              SL_T_BOOL, SL_T_DATE, SL_T_DECIMAL};
    for (int i = 0; i < NCOLS; i++) {
        cols[i].type = types[i];
        cols[i].nullable = true;
        snprintf(cols[i].name, sizeof cols[i].name, "c%d", i);
        snprintf(cols[i].source_name, sizeof cols[i].source_name, "c%d", i);
        snprintf(cols[i].source_type, sizeof cols[i].source_type, "t%d", i);
    }
    cols[3].precision = 12, cols[3].scale = 2;
    cols[8].precision = 30, cols[8].scale = 2;
    cols[5].list = true;
    t->columns.ncols = NCOLS;
    t->columns.cols = cols;
}

/* Whether the streams built end each tuple with a ctid (the COPY of a table
 * without a key to name rows by) and the parser expects it. */
static bool with_ctid = true;

/* Row r of the stream: varied values, NULLs, empty and NULL arrays, long
 * text (so a tuple spans many pieces). */
static void put_row(struct stream *s, int r)
{
    put16(s, NCOLS + with_ctid);
    put32(s, 8), put64(s, (int64_t)r * 1000003 - 7);
    if (r % 4 == 1)
        put32(s, -1);
    else
        put32(s, 4), put32(s, r * -17);
    put32(s, 8), put64(s, (int64_t)r * 1234567 - 5000000);
    int amount[] = {r % 10000, (r * 37 % 100) * 100};
    put_numeric(s, r % 3 ? 0 : 0x4000, 0, 2, 2, amount);
    if (r % 3 == 0) {
        put32(s, -1);
    } else {
        char note[300];
        int n = snprintf(note, sizeof note, "note %d ", r);
        while (n < (r * 13) % 250)
            note[n] = (char)('a' + n % 26), n++;
        put_field(s, note, (size_t)n);
    }
    if (r % 5 == 0) {
        put32(s, -1);
    } else {
        const char *elems[] = {"x", NULL, "yz", "", "long element here"};
        put_text_array(s, r % 5 == 1 ? 0 : r % 5 + 1, elems);
    }
    put32(s, 1), s->data[s->len++] = (uint8_t)(r % 2);
    put32(s, 4), put32(s, r * 3 - 100);
    int big[] = {12, 3456, 7890, 1234, 5600};
    put_numeric(s, 0, 4, 2, 5, big);
    /* ctid (block r, offset r % 7 + 1) */
    if (with_ctid)
        put32(s, 6), put32(s, r), put16(s, r % 7 + 1);
}

static void stream_build(struct stream *s, int rows)
{
    static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    s->len = 0;
    memcpy(s->data, sig, 11);
    s->len = 11;
    put32(s, 0); /* flags */
    put32(s, 3); /* header extension of 3 bytes */
    s->data[s->len++] = 1, s->data[s->len++] = 2, s->data[s->len++] = 3;
    for (int r = 0; r < rows; r++)
        put_row(s, r);
    put16(s, -1);
}

/* ---- parsing and a canonical dump of the rows -------------------------- */

static void dump_bytes(struct sl_buf *out, const void *p, size_t n)
{
    uint32_t l = (uint32_t)n;
    sl_buf_append(out, &l, 4);
    sl_buf_append(out, p, n);
}

/* Append every row of b to out (the emit callback). */
static int dump_batch(void *arg, const struct sl_batch *b, struct sl_err *err)
{
    (void)err;
    struct sl_buf *out = arg;
    for (size_t r = 0; r < b->nrows; r++) {
        for (int i = 0; i < b->schema->ncols; i++) {
            const struct sl_column *sc = &b->schema->cols[i];
            const struct sl_batch_column *c = &b->cols[i];
            sl_buf_putc(out, c->valid[r]);
            if (!c->valid[r])
                continue;
            if (sc->list) {
                const struct sl_batch_column *ch = c->child;
                for (uint32_t e = c->list_offsets[r]; e < c->list_offsets[r + 1]; e++) {
                    sl_buf_putc(out, ch->valid[e]);
                    if (ch->valid[e])
                        dump_bytes(out, ch->data.data + ch->offsets[e],
                                   ch->offsets[e + 1] - ch->offsets[e]);
                }
                sl_buf_putc(out, 0xEE);
            } else if (c->offsets) {
                dump_bytes(out, c->data.data + c->offsets[r], c->offsets[r + 1] - c->offsets[r]);
            } else {
                size_t w = sl_type_width(sc->type, sc->precision);
                dump_bytes(out, (const uint8_t *)c->values + w * r, w);
            }
        }
    }
    return SL_OK;
}

struct parse {
    struct src_table t;
    struct sl_column cols[NCOLS];
    struct pg_decoder dec;
    struct sl_buf pending, out;
    struct sl_batch *b;
    struct sl_err err;
    struct pg_copy cs;
};

static void parse_open(struct parse *ps, size_t capacity)
{
    memset(ps, 0, sizeof *ps);
    table_init(&ps->t, ps->cols);
    sl_buf_init(&ps->dec.scratch, 1 << 20);
    sl_buf_init(&ps->pending, 1 << 20);
    sl_buf_init(&ps->out, 1 << 24);
    ps->b = sl_batch_new(&ps->t.columns, capacity, 1 << 20);
    ps->cs = (struct pg_copy){.t = &ps->t, .ncols = NCOLS, .key_col = with_ctid ? -1 : 0,
                              .kinds = kinds,
                              .elem_kinds = elem_kinds, .dec = &ps->dec,
                              .pending = &ps->pending, .b = ps->b, .emit = dump_batch,
                              .arg = &ps->out, .err = &ps->err};
}

/* Feed s in pieces of `step` bytes (the first piece `first` bytes), then
 * emit the last partial batch.  0 or SL_ERROR. */
static int parse_run(struct parse *ps, const struct stream *s, size_t first, size_t step)
{
    size_t at = 0;
    while (at < s->len) {
        size_t k = at == 0 && first ? first : step;
        if (k > s->len - at)
            k = s->len - at;
        if (pg_copy_feed(&ps->cs, s->data + at, k))
            return SL_ERROR;
        at += k;
    }
    if (!ps->cs.trailer_seen || ps->pending.len)
        return SL_ERROR;
    if (ps->b->nrows && dump_batch(&ps->out, ps->b, &ps->err))
        return SL_ERROR;
    return SL_OK;
}

static void parse_close(struct parse *ps)
{
    sl_batch_free(ps->b);
    sl_buf_free(&ps->dec.scratch);
    sl_buf_free(&ps->pending);
    sl_buf_free(&ps->out);
}

/* The same rows whether the stream comes whole, in pieces of 1…64 bytes, or
 * cut in two at any byte; with batches of 3 rows, so batches end while a
 * tuple waits in pending. */
static void test_split_everywhere(void)
{
    static struct stream s;
    stream_build(&s, 40);
    struct parse whole;
    parse_open(&whole, 1024);
    CHECK_EQ_INT(parse_run(&whole, &s, 0, s.len), 0);
    CHECK_EQ_INT(whole.cs.rows, 40);
    for (size_t step = 1; step <= 64; step++) {
        struct parse ps;
        parse_open(&ps, 3);
        CHECK_EQ_INT(parse_run(&ps, &s, 0, step), 0);
        CHECK_EQ_INT(ps.cs.rows, 40);
        CHECK_EQ_INT(ps.out.len, whole.out.len);
        if (ps.out.len == whole.out.len && memcmp(ps.out.data, whole.out.data, ps.out.len)) {
            fprintf(stderr, "  pieces of %zu bytes: rows differ\n", step);
            check_failed_now = 1;
        }
        parse_close(&ps);
    }
    for (size_t cut = 1; cut < s.len; cut++) {
        struct parse ps;
        parse_open(&ps, 3);
        int rc = parse_run(&ps, &s, cut, s.len);
        if (rc || ps.out.len != whole.out.len ||
            memcmp(ps.out.data, whole.out.data, ps.out.len)) {
            fprintf(stderr, "  cut at byte %zu: rows differ\n", cut);
            check_failed_now = 1;
            parse_close(&ps);
            break;
        }
        parse_close(&ps);
    }
    parse_close(&whole);
}

/* A stream of rows 0, 1, 2 and 5 whose row 5 has an amount (c3) too large
 * for DECIMAL(12,2); *at gets the offset right after that bad field. */
static void bad_stream(struct stream *bad, size_t *at)
{
    static struct stream s;
    stream_build(&s, 3);
    s.len -= 2; /* drop the trailer, append a bad row, then the trailer */
    size_t row_at = s.len;
    put_row(&s, 5);
    put16(&s, -1);
    /* amount of row 5 becomes 12345678901.00: 11 integer digits, (12,2) holds 10 */
    *bad = s;
    int digits[] = {123, 4567, 8901};
    struct stream num = {.len = 0};
    put_numeric(&num, 0, 2, 2, 3, digits);
    /* find row 5's amount field: skip count, id, n, ts */
    size_t f = row_at + 2;
    for (int i = 0; i < 3; i++) {
        int32_t len = (int32_t)((uint32_t)s.data[f] << 24 | (uint32_t)s.data[f + 1] << 16 |
                                (uint32_t)s.data[f + 2] << 8 | s.data[f + 3]);
        f += 4 + (len > 0 ? (size_t)len : 0);
    }
    int32_t old = (int32_t)((uint32_t)s.data[f] << 24 | (uint32_t)s.data[f + 1] << 16 |
                            (uint32_t)s.data[f + 2] << 8 | s.data[f + 3]);
    memcpy(bad->data + f, num.data, num.len);
    memcpy(bad->data + f + num.len, s.data + f + 4 + (size_t)old, s.len - f - 4 - (size_t)old);
    bad->len = s.len - (4 + (size_t)old) + num.len;
    *at = f + num.len;
}

/* A value that does not fit names its row by the ctid that follows it in
 * the tuple, also when that ctid arrives in a later message. */
static void test_value_error_names_ctid(void)
{
    static struct stream bad;
    size_t at;
    bad_stream(&bad, &at);
    for (size_t cut = 0; cut < 2; cut++) {
        struct parse ps;
        parse_open(&ps, 1024);
        /* whole, then cut right after the bad field (the ctid comes later) */
        int rc = parse_run(&ps, &bad, cut ? at : 0, bad.len);
        CHECK_EQ_INT(rc, SL_ERROR);
        CHECK(strstr(ps.err.object, "column c3, row ctid (5,6)") != NULL);
        CHECK(strstr(ps.err.msg, "does not fit DECIMAL(12,2)") != NULL);
        parse_close(&ps);
    }
}

/* Without the ctid, the row is named by its key column: one before the bad
 * field (c0, an int8) or after it (c4, text, arriving in a later message). */
static void test_value_error_names_key(void)
{
    static struct stream bad;
    size_t at;
    with_ctid = false;
    bad_stream(&bad, &at);
    for (size_t cut = 0; cut < 4; cut++) {
        struct parse ps;
        parse_open(&ps, 1024);
        if (cut >= 2)
            ps.cs.key_col = 4;
        int rc = parse_run(&ps, &bad, cut % 2 ? at : 0, bad.len);
        CHECK_EQ_INT(rc, SL_ERROR);
        if (cut < 2)
            CHECK(strstr(ps.err.object, "column c3, row c0=5000008") != NULL);
        else
            CHECK(strstr(ps.err.object, "column c3, row c4='note 5 hijklm") != NULL);
        CHECK(strstr(ps.err.object, "ctid") == NULL);
        parse_close(&ps);
    }
    /* A good stream without ctid parses to the same rows as one with it. */
    static struct stream s;
    struct parse a, b;
    stream_build(&s, 40);
    parse_open(&a, 7);
    CHECK_EQ_INT(parse_run(&a, &s, 0, 13), SL_OK);
    with_ctid = true;
    stream_build(&s, 40);
    parse_open(&b, 7);
    CHECK_EQ_INT(parse_run(&b, &s, 0, 13), SL_OK);
    CHECK_EQ_INT((int)a.out.len, (int)b.out.len);
    CHECK(a.out.len > 0 && !memcmp(a.out.data, b.out.data, a.out.len));
    parse_close(&a);
    parse_close(&b);
}

/* Malformed streams are errors, not crashes. */
static void test_malformed(void)
{
    static struct stream s;
    stream_build(&s, 2);
    struct parse ps;
    parse_open(&ps, 16);
    s.data[0] = 'X';
    CHECK_EQ_INT(parse_run(&ps, &s, 0, s.len), SL_ERROR);
    CHECK(strstr(ps.err.msg, "bad signature") != NULL);
    parse_close(&ps);

    stream_build(&s, 2);
    s.data[22 + 1] = 3; /* first tuple: 3 fields */
    parse_open(&ps, 16);
    CHECK_EQ_INT(parse_run(&ps, &s, 0, s.len), SL_ERROR);
    CHECK(strstr(ps.err.msg, "tuple with 3 fields, expected 10") != NULL);
    parse_close(&ps);

    stream_build(&s, 1);
    put16(&s, NCOLS + 1); /* data after the trailer */
    parse_open(&ps, 16);
    CHECK_EQ_INT(parse_run(&ps, &s, 0, s.len), SL_ERROR);
    CHECK(strstr(ps.err.msg, "data after the trailer") != NULL);
    parse_close(&ps);
}

/* ---- fast decoders against pg_decode_field ----------------------------- */

struct one {
    struct sl_column col;
    struct sl_schema schema;
    struct sl_batch *fast, *slow;
    struct pg_decoder dec;
    char why[256];
};

static void one_open(struct one *o, enum sl_type t, int p, int s)
{
    memset(o, 0, sizeof *o);
    o->col.type = t;
    o->col.precision = p;
    o->col.scale = s;
    o->schema.ncols = 1;
    o->schema.cols = &o->col;
    o->fast = sl_batch_new(&o->schema, 4, 1 << 20);
    o->slow = sl_batch_new(&o->schema, 4, 1 << 20);
    /* The fast path appends only into room the buffer already has. */
    sl_buf_reserve(&o->fast->cols[0].data, 64);
    sl_buf_init(&o->dec.scratch, 1 << 20);
}

static void one_close(struct one *o)
{
    sl_batch_free(o->fast);
    sl_batch_free(o->slow);
    sl_buf_free(&o->dec.scratch);
}

/* Decode p both ways.  Returns 1 when the fast path took it (and then
 * checks that the slow path agrees), 0 when it left it to the slow path. */
static int both(struct one *o, enum pg_kind k, const uint8_t *p, size_t n)
{
    sl_batch_reset(o->fast);
    sl_batch_reset(o->slow);
    size_t w = sl_type_width(o->col.type, o->col.precision);
    if (w) {
        memset(o->fast->cols[0].values, 0xAB, w);
        memset(o->slow->cols[0].values, 0xAB, w);
    }
    if (!pg_decode_fast(k, &o->col, o->dec.check_utf8, p, n, &o->fast->cols[0], 0))
        return 0;
    int rc = pg_decode_field(&o->dec, k, &o->col, p, n, o->slow, 0, o->why, sizeof o->why);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "  fast path accepted what pg_decode_field refuses: %s\n", o->why);
        return 1;
    }
    const struct sl_batch_column *a = &o->fast->cols[0], *b = &o->slow->cols[0];
    CHECK_EQ_INT(a->valid[0], b->valid[0]);
    if (a->offsets) {
        CHECK_EQ_INT(a->offsets[1], b->offsets[1]);
        CHECK_MEM(a->data.data, b->data.data, b->offsets[1]);
    } else {
        CHECK_MEM(a->values, b->values, w);
    }
    return 1;
}

/* Numerics of random shape (digits, weight, scale, sign, malformed ones)
 * for every precision 1..18 and scale 0..precision: whatever the fast path
 * takes, pg_decode_field decodes to the same value; and the usual values
 * do take the fast path. */
static void test_numeric_fast_matches(void)
{
    uint64_t seed = 88172645463325252ull;
    int taken = 0, total = 0;
    for (int prec = 1; prec <= 18; prec++) {
        for (int scale = 0; scale <= prec; scale++) {
            struct one o;
            one_open(&o, SL_T_DECIMAL, prec, scale);
            for (int k = 0; k < 400; k++) {
                seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                int nd = (int)(seed % 7);
                int weight = (int)((seed >> 8) % 9) - 4;
                int dscale = (int)((seed >> 16) % 12);
                int sign = (seed >> 24) % 16 == 0 ? 0xC000 : (seed >> 28) % 2 ? 0x4000 : 0;
                uint8_t buf[64];
                struct stream st = {.len = 0};
                int digits[8];
                for (int i = 0; i < nd; i++) {
                    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                    digits[i] = (int)(seed % 10000);
                    if (seed % 23 == 0)
                        digits[i] = 10000 + (int)(seed % 50000); /* malformed */
                    if (seed % 5 == 0)
                        digits[i] = digits[i] / 100 * 100; /* fits scale 2 */
                }
                put_numeric(&st, sign, weight, dscale, nd, digits);
                memcpy(buf, st.data + 4, st.len - 4);
                size_t n = st.len - 4;
                if ((seed >> 40) % 31 == 0)
                    n--; /* truncated */
                taken += both(&o, PGK_NUMERIC, buf, n);
                total++;
            }
            /* the usual shape: 1234.56 at scale 2 */
            if (prec >= 6 && scale == 2) {
                int d[] = {1234, 5600};
                struct stream st = {.len = 0};
                put_numeric(&st, 0x4000, 0, 2, 2, d);
                CHECK_EQ_INT(both(&o, PGK_NUMERIC, st.data + 4, st.len - 4), 1);
            }
            one_close(&o);
        }
    }
    CHECK(taken > total / 10); /* the fast path is used, not always skipped */
    /* precision over 18 always goes the slow way */
    struct one o;
    one_open(&o, SL_T_DECIMAL, 19, 2);
    int d[] = {1};
    struct stream st = {.len = 0};
    put_numeric(&st, 0, 0, 0, 1, d);
    CHECK_EQ_INT(both(&o, PGK_NUMERIC, st.data + 4, st.len - 4), 0);
    one_close(&o);
}

static void be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Dates and timestamps at their edges; the infinities and overflows go to
 * the slow path, which reports them. */
static void test_datetime_fast_matches(void)
{
    struct one o;
    uint8_t buf[8];
    one_open(&o, SL_T_DATE, 0, 0);
    const int64_t days[] = {0, -1, 1, INT32_MAX, INT32_MIN, INT32_MAX - 10957,
                            INT32_MAX - 10956, INT32_MIN + 1, -10957};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        be(buf, (uint64_t)days[i], 4);
        int fast = both(&o, PGK_DATE, buf, 4);
        if (days[i] == INT32_MAX || days[i] == INT32_MIN || days[i] == INT32_MAX - 10956)
            CHECK_EQ_INT(fast, 0);
        else if (days[i] == 0)
            CHECK_EQ_INT(fast, 1);
    }
    CHECK_EQ_INT(both(&o, PGK_DATE, buf, 3), 0);
    one_close(&o);

    one_open(&o, SL_T_TIMESTAMPTZ, 0, 0);
    const int64_t ts[] = {0, -1, INT64_MAX, INT64_MIN, INT64_MAX - 946684800000000LL,
                          INT64_MAX - 946684800000000LL - 1, INT64_MIN + 1, 1234567890123LL};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        be(buf, (uint64_t)ts[i], 8);
        int fast = both(&o, PGK_TIMESTAMPTZ, buf, 8);
        if (ts[i] == INT64_MAX || ts[i] == INT64_MIN || ts[i] == INT64_MAX - 946684800000000LL)
            CHECK_EQ_INT(fast, 0);
        else if (ts[i] == 0)
            CHECK_EQ_INT(fast, 1);
    }
    one_close(&o);
}

/* Integers, floats, booleans, text, bytea, uuid: fast and slow agree; wrong
 * lengths and SQL_ASCII text (to verify) take the slow path. */
static void test_scalars_fast_matches(void)
{
    struct one o;
    uint8_t buf[16];
    one_open(&o, SL_T_INT16, 0, 0);
    be(buf, 0x8001, 2);
    CHECK_EQ_INT(both(&o, PGK_INT2, buf, 2), 1);
    CHECK_EQ_INT(both(&o, PGK_INT2, buf, 4), 0);
    one_close(&o);
    one_open(&o, SL_T_INT32, 0, 0);
    be(buf, 0x80000001u, 4);
    CHECK_EQ_INT(both(&o, PGK_INT4, buf, 4), 1);
    CHECK_EQ_INT(both(&o, PGK_INT4, buf, 2), 0);
    one_close(&o);
    one_open(&o, SL_T_INT64, 0, 0);
    be(buf, 0x8000000000000001ull, 8);
    CHECK_EQ_INT(both(&o, PGK_INT8, buf, 8), 1);
    one_close(&o);
    one_open(&o, SL_T_FLOAT, 0, 0);
    be(buf, 0xFFC00001u, 4); /* a NaN with payload: bits kept */
    CHECK_EQ_INT(both(&o, PGK_FLOAT4, buf, 4), 1);
    one_close(&o);
    one_open(&o, SL_T_DOUBLE, 0, 0);
    be(buf, 0x8000000000000000ull, 8); /* -0.0 */
    CHECK_EQ_INT(both(&o, PGK_FLOAT8, buf, 8), 1);
    one_close(&o);
    one_open(&o, SL_T_BOOL, 0, 0);
    buf[0] = 7;
    CHECK_EQ_INT(both(&o, PGK_BOOL, buf, 1), 1);
    CHECK_EQ_INT(((uint8_t *)o.fast->cols[0].values)[0], 1);
    one_close(&o);
    one_open(&o, SL_T_UUID, 0, 0);
    for (int i = 0; i < 16; i++)
        buf[i] = (uint8_t)(i * 17);
    CHECK_EQ_INT(both(&o, PGK_UUID, buf, 16), 1);
    CHECK_EQ_INT(both(&o, PGK_UUID, buf, 15), 0);
    one_close(&o);
    one_open(&o, SL_T_STRING, 0, 0);
    CHECK_EQ_INT(both(&o, PGK_TEXT, (const uint8_t *)"héllo", 6), 1);
    CHECK_EQ_INT(both(&o, PGK_TEXT, (const uint8_t *)"", 0), 1);
    o.dec.check_utf8 = true;
    CHECK_EQ_INT(both(&o, PGK_TEXT, (const uint8_t *)"h\xffllo", 5), 0);
    one_close(&o);
    one_open(&o, SL_T_BINARY, 0, 0);
    CHECK_EQ_INT(both(&o, PGK_BYTEA, (const uint8_t *)"\0\1\2", 3), 1);
    one_close(&o);
}

int main(void)
{
    RUN(test_split_everywhere);
    RUN(test_value_error_names_ctid);
    RUN(test_value_error_names_key);
    RUN(test_malformed);
    RUN(test_numeric_fast_matches);
    RUN(test_datetime_fast_matches);
    RUN(test_scalars_fast_matches);
    return CHECK_DONE();
}
