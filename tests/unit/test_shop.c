/*
 * test_shop.c — the sample database generator (src/demo/shop.c).
 *
 * Generates small databases under /tmp and checks them with SQL: row counts,
 * declared types and stored value formats, receipt totals against their
 * items, determinism per seed, the replace-by-rename promise and errors.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "demo/shop.h"

static char db_path[256];

static const char *temp_path(const char *name)
{
    snprintf(db_path, sizeof db_path, "/tmp/snaplake_test_shop_%d_%s.db", (int)getpid(), name);
    return db_path;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* The single integer a query returns, or -1 on any error. */
static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    else
        fprintf(stderr, "  query failed: %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return v;
}

/* FNV-1a over every value (type and text) of every table in id order. */
static uint64_t content_hash(sqlite3 *db)
{
    static const char *const tables[] = {"users", "stores", "products", "receipts",
                                         "receipt_items"};
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[128];
        sqlite3_stmt *stmt = NULL;
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", tables[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
            return 0;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(stmt); c++) {
                const unsigned char *text = sqlite3_column_text(stmt, c);
                int n = sqlite3_column_bytes(stmt, c);
                h = (h ^ (uint64_t)sqlite3_column_type(stmt, c)) * 0x100000001b3ULL;
                for (int i = 0; i < n; i++)
                    h = (h ^ text[i]) * 0x100000001b3ULL;
            }
        }
        sqlite3_finalize(stmt);
    }
    return h;
}

static uint64_t hash_of(const char *path)
{
    sqlite3 *db = open_db(path);
    uint64_t h = db ? content_hash(db) : 0;
    sqlite3_close(db);
    return h;
}

static int generate(const char *path, long items, uint64_t seed)
{
    struct sl_err err = {0};
    int rc = demo_shop_generate(path, items, seed, &err);
    if (rc != 0)
        fprintf(stderr, "  %s: %s: %s\n", err.stage, err.object, err.msg);
    return rc;
}

static void test_sizes(void)
{
    struct demo_shop_sizes n;
    demo_shop_sizes(1000, &n);
    CHECK_EQ_INT(n.users, 50);
    CHECK_EQ_INT(n.stores, 10);
    CHECK_EQ_INT(n.products, 100);
    CHECK_EQ_INT(n.receipts, 250);
    CHECK_EQ_INT(n.receipt_items, 1000);
    demo_shop_sizes(10000000, &n);
    CHECK_EQ_INT(n.users, 50000);
    CHECK_EQ_INT(n.stores, 500);
    CHECK_EQ_INT(n.products, 20000);
    CHECK_EQ_INT(n.receipts, 2500000);
    demo_shop_sizes(100000000, &n);
    CHECK_EQ_INT(n.stores, 500);
    CHECK_EQ_INT(n.products, 20000);
    demo_shop_sizes(3, &n);
    CHECK_EQ_INT(n.receipts, 1);
}

static void test_row_counts(void)
{
    const char *path = temp_path("counts");
    CHECK_EQ_INT(generate(path, 1000, 1), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM users"), 50);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM stores"), 10);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM products"), 100);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts"), 250);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipt_items"), 1000);
    /* ids are 1..n, and every reference points at an existing row */
    CHECK_EQ_INT(query_int(db, "SELECT max(id) FROM receipt_items"), 1000);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts WHERE id NOT IN"
                               " (SELECT receipt_id FROM receipt_items)"),
                 0);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipt_items WHERE product_id NOT IN"
                               " (SELECT id FROM products)"),
                 0);
    CHECK_EQ_INT(query_int(db,
                           "SELECT count(*) FROM receipts WHERE user_id NOT IN"
                           " (SELECT id FROM users) OR store_id NOT IN (SELECT id FROM stores)"),
                 0);
    /* nobody shops before signing up */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts r JOIN users u ON u.id = r.user_id"
                               " WHERE date(r.purchased_at) < u.signed_up_on"),
                 0);
    sqlite3_close(db);
    unlink(path);
}

static void test_totals(void)
{
    const char *path = temp_path("totals");
    CHECK_EQ_INT(generate(path, 1000, 3), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_EQ_INT(query_int(db,
                           "SELECT count(*) FROM receipts r JOIN"
                           " (SELECT receipt_id, sum(quantity * CAST(round(unit_price * 100)"
                           " AS INTEGER)) AS cents FROM receipt_items GROUP BY receipt_id) i"
                           " ON i.receipt_id = r.id"
                           " WHERE CAST(round(r.total * 100) AS INTEGER) != i.cents"
                           " OR CAST(round(r.tax * 100) AS INTEGER) != (i.cents * 8 + 50) / 100"),
                 0);
    CHECK(query_int(db, "SELECT count(*) FROM receipts WHERE total > 0") == 250);
    sqlite3_close(db);
    unlink(path);
}

static void test_declared_types(void)
{
    static const char *const expected[][2] = {
        {"users",
         "id INTEGER,email TEXT,name TEXT,signed_up_on DATE,is_premium BOOLEAN,country TEXT"},
        {"stores", "id INTEGER,name TEXT,city TEXT,chain TEXT"},
        {"products", "id INTEGER,name TEXT,category TEXT,list_price DECIMAL(10,2)"},
        {"receipts", "id INTEGER,user_id INTEGER,store_id INTEGER,purchased_at TIMESTAMP,"
                     "total DECIMAL(12,2),tax DECIMAL(10,2),payment_method TEXT,note TEXT"},
        {"receipt_items", "id INTEGER,receipt_id INTEGER,product_id INTEGER,quantity INTEGER,"
                          "unit_price DECIMAL(10,2),weight_kg REAL"},
    };
    const char *path = temp_path("types");
    CHECK_EQ_INT(generate(path, 1000, 1), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (!db)
        return;
    for (size_t t = 0; t < sizeof expected / sizeof expected[0]; t++) {
        char sql[256], got[512] = "";
        sqlite3_stmt *stmt = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(name || ' ' || type, ',')"
                 " FROM pragma_table_info('%s')",
                 expected[t][0]);
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        CHECK_EQ_STR(got, expected[t][1]);
    }
    sqlite3_close(db);
    unlink(path);
}

static void test_stored_values(void)
{
    const char *path = temp_path("values");
    CHECK_EQ_INT(generate(path, 1000, 5), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (!db)
        return;
    /* DATE as 'YYYY-MM-DD' text */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM users WHERE typeof(signed_up_on) = 'text'"
                               " AND signed_up_on GLOB '20[0-9][0-9]-[01][0-9]-[0-3][0-9]'"
                               " AND date(signed_up_on) = signed_up_on"),
                 50);
    /* TIMESTAMP as 'YYYY-MM-DD HH:MM:SS.ffffff' text, in 2024..2025, varied micros */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts WHERE typeof(purchased_at) = 'text'"
                               " AND length(purchased_at) = 26 AND purchased_at GLOB"
                               " '202[45]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]."
                               "[0-9][0-9][0-9][0-9][0-9][0-9]'"
                               " AND datetime(purchased_at) = substr(purchased_at, 1, 19)"),
                 250);
    CHECK(query_int(db, "SELECT count(DISTINCT substr(purchased_at, 21)) FROM receipts") > 200);
    CHECK(query_int(db, "SELECT count(DISTINCT substr(purchased_at, 1, 7)) FROM receipts") >= 20);
    CHECK_EQ_INT(query_int(db, "SELECT min(purchased_at) >= '2024-01-01' AND max(purchased_at) <"
                               " '2026-01-01' FROM receipts"),
                 1);
    /* BOOLEAN as integer 0/1, both present */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM users WHERE typeof(is_premium) = 'integer'"
                               " AND is_premium IN (0, 1)"),
                 50);
    CHECK(query_int(db, "SELECT count(DISTINCT is_premium) FROM users") == 2);
    /* DECIMAL: numeric storage, two decimals at most */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipt_items WHERE typeof(unit_price) NOT IN"
                               " ('real', 'integer') OR unit_price <= 0"
                               " OR abs(unit_price * 100 - round(unit_price * 100)) > 1e-6"),
                 0);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts WHERE typeof(total) NOT IN"
                               " ('real', 'integer') OR typeof(tax) NOT IN ('real', 'integer')"),
                 0);
    /* REAL with some NULLs; nullable texts with some NULLs */
    CHECK(query_int(db, "SELECT count(*) FROM receipt_items WHERE typeof(weight_kg) = 'real'") >
          300);
    CHECK(query_int(db, "SELECT count(*) FROM receipt_items WHERE weight_kg IS NULL") > 0);
    CHECK(query_int(db, "SELECT count(*) FROM users WHERE country IS NULL") > 0);
    CHECK(query_int(db, "SELECT count(*) FROM users WHERE country IS NOT NULL") > 30);
    /* note: about 30% NULL, the rest includes non-ASCII (length in chars < bytes) */
    long long null_notes = query_int(db, "SELECT count(*) FROM receipts WHERE note IS NULL");
    CHECK(null_notes > 40 && null_notes < 110);
    CHECK(query_int(db, "SELECT count(*) FROM receipts WHERE length(note) <"
                        " length(CAST(note AS BLOB))") > 20);
    CHECK(query_int(db, "SELECT count(*) FROM receipts WHERE note GLOB '*🎂*' OR note GLOB '*🔥*'"
                        " OR note GLOB '*🎉*' OR note GLOB '*🎄*' OR note GLOB '*⛺*'") > 0);
    sqlite3_close(db);
    unlink(path);
}

static void test_determinism(void)
{
    char a[256], b[256], c[256];
    snprintf(a, sizeof a, "%s", temp_path("seed_a"));
    snprintf(b, sizeof b, "%s", temp_path("seed_b"));
    snprintf(c, sizeof c, "%s", temp_path("seed_c"));
    CHECK_EQ_INT(generate(a, 1000, 42), 0);
    CHECK_EQ_INT(generate(b, 1000, 42), 0);
    CHECK_EQ_INT(generate(c, 1000, 43), 0);
    uint64_t ha = hash_of(a), hb = hash_of(b), hc = hash_of(c);
    CHECK(ha != 0);
    CHECK(ha == hb);
    CHECK(ha != hc);
    unlink(a);
    unlink(b);
    unlink(c);
}

static void test_replaces_existing_file(void)
{
    const char *path = temp_path("replace");
    char tmp[300];
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("not a database\n", f);
        fclose(f);
    }
    CHECK_EQ_INT(generate(path, 100, 9), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (db)
        CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipt_items"), 100);
    sqlite3_close(db);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);
    unlink(path);
}

static void test_zero_items(void)
{
    const char *path = temp_path("zero");
    CHECK_EQ_INT(generate(path, 0, 1), 0);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM receipts"), 0);
        CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM users"), 50);
    }
    sqlite3_close(db);
    unlink(path);
}

static void test_errors(void)
{
    struct sl_err err = {0};
    CHECK(demo_shop_generate("/nonexistent-dir/shop.db", 10, 1, &err) != 0);
    CHECK(err.set);
    CHECK_EQ_STR(err.stage, "demo");
    CHECK(strstr(err.object, "/nonexistent-dir/shop.db") != NULL);
    CHECK(access("/nonexistent-dir/shop.db", F_OK) != 0);

    struct sl_err neg = {0};
    CHECK(demo_shop_generate(temp_path("negative"), -1, 1, &neg) != 0);
    CHECK(neg.set && !neg.transient);
    CHECK(access(temp_path("negative"), F_OK) != 0);
}

int main(void)
{
    RUN(test_sizes);
    RUN(test_row_counts);
    RUN(test_totals);
    RUN(test_declared_types);
    RUN(test_stored_values);
    RUN(test_determinism);
    RUN(test_replaces_existing_file);
    RUN(test_zero_items);
    RUN(test_errors);
    return CHECK_DONE();
}
