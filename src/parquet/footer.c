/*
 * footer.c — a small Thrift compact-protocol reader for the footer structs
 * `snaplake inspect` needs and DuckDB does not expose: ColumnChunk's page
 * index pointers, OffsetIndex and ColumnIndex (field numbers as in
 * pageindex.c).  It walks the bytes once, skipping every field it does not
 * know, so it reads files from any writer; it is not on the writer's path.
 */
#include "parquet/footer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { T_STOP, T_TRUE, T_FALSE, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_BINARY, T_LIST, T_SET,
       T_MAP, T_STRUCT };

struct rd {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t rd_varint(struct rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            break;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t rd_int(struct rd *r)
{
    uint64_t v = rd_varint(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const uint8_t *rd_binary(struct rd *r, uint32_t *len)
{
    uint64_t n = rd_varint(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        *len = 0;
        return NULL;
    }
    const uint8_t *s = r->p;
    r->p += n;
    *len = (uint32_t)n;
    return s;
}

/* A list or set header: the element count, *type its element type. */
static uint64_t rd_list(struct rd *r, int *type)
{
    if (r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    uint8_t h = *r->p++;
    *type = h & 0x0f;
    uint64_t n = h >> 4;
    if (n == 15)
        n = rd_varint(r);
    if (n > (uint64_t)(r->end - r->p)) /* every element takes a byte at least */
        r->bad = true;
    return r->bad ? 0 : n;
}

/* The next field of a struct: 0 at its end (or on bad input). */
static int rd_field(struct rd *r, int16_t *id, int *type)
{
    if (r->bad || r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    uint8_t h = *r->p++;
    *type = h & 0x0f;
    if (*type == T_STOP)
        return 0;
    *id = (h >> 4) ? (int16_t)(*id + (h >> 4)) : (int16_t)rd_int(r);
    return 1;
}

static void rd_skip(struct rd *r, int type, int depth)
{
    if (depth > 32) { /* nesting this deep is not a Parquet footer */
        r->bad = true;
        return;
    }
    uint32_t len;
    int et, kt;
    int16_t id = 0;
    switch (type) {
    case T_TRUE: case T_FALSE: break;
    case T_BYTE: r->p < r->end ? (void)r->p++ : (void)(r->bad = true); break;
    case T_I16: case T_I32: case T_I64: rd_varint(r); break;
    case T_DOUBLE:
        if (r->end - r->p < 8)
            r->bad = true;
        else
            r->p += 8;
        break;
    case T_BINARY: rd_binary(r, &len); break;
    case T_LIST: case T_SET:
        for (uint64_t n = rd_list(r, &et); n-- && !r->bad;)
            rd_skip(r, et == T_TRUE || et == T_FALSE ? T_BYTE : et, depth + 1);
        break;
    case T_MAP: {
        uint64_t n = rd_varint(r);
        if (n && r->p < r->end) {
            kt = *r->p >> 4;
            et = *r->p++ & 0x0f;
            while (n-- && !r->bad) {
                rd_skip(r, kt, depth + 1);
                rd_skip(r, et, depth + 1);
            }
        }
        break;
    }
    case T_STRUCT:
        while (rd_field(r, &id, &et))
            rd_skip(r, et, depth + 1);
        break;
    default: r->bad = true;
    }
}

/* ColumnMetaData: 1 type, 3 path_in_schema. */
static void rd_column_meta(struct rd *r, struct pq_chunk *c)
{
    int16_t id = 0;
    int type, et;
    while (rd_field(r, &id, &type)) {
        if (id == 1 && type == T_I32) {
            c->type = (int)rd_int(r);
        } else if (id == 3 && type == T_LIST) {
            size_t len = 0;
            for (uint64_t n = rd_list(r, &et); n-- && !r->bad;) {
                uint32_t sl;
                const uint8_t *s = rd_binary(r, &sl);
                if (s)
                    len += (size_t)snprintf(c->column + len, len < sizeof c->column
                                                                 ? sizeof c->column - len : 0,
                                            "%s%.*s", len ? "." : "", (int)sl, (const char *)s);
                if (len >= sizeof c->column)
                    len = sizeof c->column - 1;
            }
        } else {
            rd_skip(r, type, 0);
        }
    }
}

static int bad_file(const char *path, struct sl_err *err, const char *what)
{
    return sl_err_set(err, false, "inspect", path,
                      "cannot decode the %s: the file is damaged or not a Parquet file", what);
}

/* length bytes at offset, malloc'ed; NULL (err set) when they cannot be read. */
static uint8_t *read_at(FILE *f, const char *path, int64_t offset, int64_t length,
                        struct sl_err *err)
{
    uint8_t *b = length > 0 && length < (1LL << 31) ? malloc((size_t)length) : NULL;
    if (!b) {
        sl_err_set(err, false, "inspect", path, "bad length %lld at offset %lld",
                   (long long)length, (long long)offset);
        return NULL;
    }
    if (fseeko(f, offset, SEEK_SET) != 0 || fread(b, 1, (size_t)length, f) != (size_t)length) {
        sl_err_set(err, false, "inspect", path, "cannot read %lld bytes at offset %lld: %s",
                   (long long)length, (long long)offset, ferror(f) ? strerror(errno)
                                                                    : "the file is shorter");
        free(b);
        return NULL;
    }
    return b;
}

int pq_footer_chunks(FILE *f, const char *path, struct pq_chunk **chunks, size_t *n,
                     struct sl_err *err)
{
    *chunks = NULL;
    *n = 0;
    uint8_t tail[8];
    if (fseeko(f, -8, SEEK_END) != 0 || fread(tail, 1, 8, f) != 8)
        return bad_file(path, err, "footer length");
    int64_t len = (int64_t)tail[0] | (int64_t)tail[1] << 8 | (int64_t)tail[2] << 16 |
                  (int64_t)tail[3] << 24;
    off_t size = ftello(f);
    if (len <= 0 || len > size - 12)
        return bad_file(path, err, "footer length");
    uint8_t *buf = read_at(f, path, size - 8 - len, len, err);
    if (!buf)
        return SL_ERROR;
    struct rd r = {buf, buf + len, false};
    struct pq_chunk *out = NULL;
    size_t count = 0, cap = 0;
    int16_t id = 0;
    int type, et;
    while (rd_field(&r, &id, &type)) {
        if (id != 4 || type != T_LIST) { /* FileMetaData 4: row_groups */
            rd_skip(&r, type, 0);
            continue;
        }
        uint64_t groups = rd_list(&r, &et);
        for (uint64_t g = 0; g < groups && !r.bad; g++) {
            int16_t gid = 0;
            int gt;
            while (rd_field(&r, &gid, &gt)) {
                if (gid != 1 || gt != T_LIST) { /* RowGroup 1: columns */
                    rd_skip(&r, gt, 0);
                    continue;
                }
                for (uint64_t k = rd_list(&r, &et); k-- && !r.bad;) {
                    if (count == cap) {
                        cap = cap ? cap * 2 : 16;
                        struct pq_chunk *p = realloc(out, cap * sizeof *p);
                        if (!p) {
                            free(out);
                            free(buf);
                            return sl_err_set(err, false, "inspect", path, "out of memory");
                        }
                        out = p;
                    }
                    struct pq_chunk *c = &out[count++];
                    memset(c, 0, sizeof *c);
                    c->rg = (int)g;
                    int16_t cid = 0;
                    int ct;
                    while (rd_field(&r, &cid, &ct)) {
                        if (cid == 3 && ct == T_STRUCT)
                            rd_column_meta(&r, c);
                        else if (cid == 4 && ct == T_I64)
                            c->oi_offset = rd_int(&r);
                        else if (cid == 5 && ct == T_I32)
                            c->oi_length = (int32_t)rd_int(&r);
                        else if (cid == 6 && ct == T_I64)
                            c->ci_offset = rd_int(&r);
                        else if (cid == 7 && ct == T_I32)
                            c->ci_length = (int32_t)rd_int(&r);
                        else
                            rd_skip(&r, ct, 0);
                    }
                }
            }
        }
    }
    free(buf);
    if (r.bad) {
        free(out);
        return bad_file(path, err, "footer (FileMetaData)");
    }
    *chunks = out;
    *n = count;
    return SL_OK;
}

void pq_pages_free(struct pq_pages *p)
{
    free(p->page);
    free(p->ci);
    memset(p, 0, sizeof *p);
}

/* ColumnIndex lists into the pages (already counted from the OffsetIndex). */
static void rd_column_index(struct rd *r, struct pq_pages *out)
{
    int16_t id = 0;
    int type, et;
    while (rd_field(r, &id, &type)) {
        if (type != T_LIST || id < 1 || id > 5 || id == 4) {
            rd_skip(r, type, 0);
            continue;
        }
        uint64_t n = rd_list(r, &et);
        for (uint64_t i = 0; i < n && !r->bad; i++) {
            struct pq_page *pg = i < out->n ? &out->page[i] : NULL;
            if (id == 1) {
                bool v = r->p < r->end && *r->p++ == 1;
                if (pg)
                    pg->null_page = v;
            } else if (id == 5) {
                int64_t v = rd_int(r);
                if (pg)
                    pg->nulls = v;
            } else {
                uint32_t len;
                const uint8_t *s = rd_binary(r, &len);
                if (pg && id == 2) {
                    pg->min = s;
                    pg->min_len = len;
                    pg->has_bounds = true;
                } else if (pg) {
                    pg->max = s;
                    pg->max_len = len;
                }
            }
        }
    }
}

int pq_footer_pages(FILE *f, const char *path, const struct pq_chunk *c, struct pq_pages *out,
                    struct sl_err *err)
{
    memset(out, 0, sizeof *out);
    if (c->oi_length <= 0)
        return SL_OK;
    uint8_t *oi = read_at(f, path, c->oi_offset, c->oi_length, err);
    if (!oi)
        return SL_ERROR;
    struct rd r = {oi, oi + c->oi_length, false};
    int16_t id = 0;
    int type, et;
    while (rd_field(&r, &id, &type)) {
        if (id != 1 || type != T_LIST || out->page) {
            rd_skip(&r, type, 0);
            continue;
        }
        uint64_t n = rd_list(&r, &et);
        if (!(out->page = calloc(n ? n : 1, sizeof *out->page))) {
            free(oi);
            return sl_err_set(err, false, "inspect", path, "out of memory");
        }
        out->n = n;
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            struct pq_page *pg = &out->page[i];
            pg->nulls = -1;
            int16_t pid = 0;
            int pt;
            while (rd_field(&r, &pid, &pt)) {
                if (pid == 1 && pt == T_I64)
                    pg->offset = rd_int(&r);
                else if (pid == 2 && pt == T_I32)
                    pg->size = (int32_t)rd_int(&r);
                else if (pid == 3 && pt == T_I64)
                    pg->first_row = rd_int(&r);
                else
                    rd_skip(&r, pt, 0);
            }
        }
    }
    free(oi);
    if (r.bad) {
        pq_pages_free(out);
        return bad_file(path, err, "OffsetIndex");
    }
    if (c->ci_length <= 0)
        return SL_OK;
    if (!(out->ci = read_at(f, path, c->ci_offset, c->ci_length, err))) {
        pq_pages_free(out);
        return SL_ERROR;
    }
    r = (struct rd){out->ci, out->ci + c->ci_length, false};
    rd_column_index(&r, out);
    if (r.bad) {
        pq_pages_free(out);
        return bad_file(path, err, "ColumnIndex");
    }
    return SL_OK;
}

int pq_footer_page_header(FILE *f, const char *path, const struct pq_page *pg, int *type,
                          int *encoding, struct sl_err *err)
{
    /* A header is small but for its statistics (<= 4 KiB min and max, and
     * their deprecated copies): 64 KiB or the page, whichever is less. */
    int64_t len = pg->size < 65536 ? pg->size : 65536;
    uint8_t *b = read_at(f, path, pg->offset, len, err);
    if (!b)
        return SL_ERROR;
    struct rd r = {b, b + len, false};
    int16_t id = 0;
    int ft;
    *type = *encoding = -1;
    while (rd_field(&r, &id, &ft)) {
        if (id == 1 && ft == T_I32) {
            *type = (int)rd_int(&r);
        } else if ((id == 5 || id == 8) && ft == T_STRUCT) {
            /* DataPageHeader 2: encoding; DataPageHeaderV2 4: encoding */
            int16_t hid = 0;
            int ht;
            while (rd_field(&r, &hid, &ht)) {
                if (hid == (id == 5 ? 2 : 4) && ht == T_I32)
                    *encoding = (int)rd_int(&r);
                else
                    rd_skip(&r, ht, 0);
            }
        } else {
            rd_skip(&r, ft, 0);
        }
    }
    free(b);
    if (r.bad)
        return bad_file(path, err, "page header");
    return SL_OK;
}

const char *pq_page_type_name(int type)
{
    static const char *const names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                        "DATA_PAGE_V2"};
    return type >= 0 && type < 4 ? names[type] : "?";
}

const char *pq_encoding_name(int encoding)
{
    static const char *const names[] = {"PLAIN",
                                        "GROUP_VAR_INT",
                                        "PLAIN_DICTIONARY",
                                        "RLE",
                                        "BIT_PACKED",
                                        "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY",
                                        "DELTA_BYTE_ARRAY",
                                        "RLE_DICTIONARY",
                                        "BYTE_STREAM_SPLIT"};
    return encoding >= 0 && encoding < 10 ? names[encoding] : "?";
}
