/*
 * shop.c — generate the sample shopping-receipts database (see shop.h).
 *
 * How the rows are made:
 *
 *   - One splitmix64 stream, seeded with `seed`, drives the receipts and
 *     items in id order.  Attributes of users, stores and products are pure
 *     hashes of (seed, kind, id), so a receipt can look up "the price of
 *     product 42" or "the signup day of user 7" without any table in memory.
 *   - Users sign up in id order between 2023-10-01 and 2025-10-31; many
 *     leave again after a while, and each has an activity level.  Receipts
 *     run in id order over 2024-01-01 .. 2025-12-31, the daily volume
 *     doubling over the period, each made by a user who has signed up and
 *     not left (usually at the user's home store).  So the cohorts, monthly
 *     actives and the lake's incremental export all see data that grows and
 *     churns over time like a real app's.
 *   - Products belong to category (id - 1) % 14.  Items pick products with a
 *     skew towards low ids (popular products), plus a seasonal category per
 *     month, so the per-month category ranking changes over the year.
 *   - Money is integer cents throughout; text '12.34' is only made at bind
 *     time.  A receipt's items are inserted first and its total summed on the
 *     way, then the receipt row itself: ids stay ascending in both tables and
 *     nothing is buffered.
 *
 * Speed: one transaction, journal and fsync off (the file is written under a
 * temporary name and only renamed when complete, so there is nothing to
 * protect), prepared statements, values formatted into stack buffers bound
 * with SQLITE_STATIC.  No allocation per row.  A crash of the machine (not
 * the process) right after the rename could in theory leave a damaged file;
 * the data is regenerated in seconds, so no fsync is spent on it.
 */
#include "demo/shop.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- randomness ------------------------------------------------------- */

struct rng {
    uint64_t state;
};

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, passes BigCrush. */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is
 * below 2^-40 for our n and irrelevant for sample data). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* A stateless hash of (seed, kind, id) for per-entity attributes. */
static uint64_t entity_hash(uint64_t seed, uint64_t kind, uint64_t id)
{
    struct rng r = {seed ^ (kind * 0xd1b54a32d192ed03ULL) ^ (id * 0x8cb92ba72f3d8dd7ULL)};
    return rng_next(&r);
}

enum { KIND_USER = 1, KIND_STORE, KIND_PRODUCT, KIND_HOME, KIND_HABIT };

/* ---- dates and text ---------------------------------------------------- */

/* Days since 1970-01-01 from a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *put_digits(char *p, long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DD"; returns the length (10). */
static int format_date(char *buf, long day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    char *p = put_digits(buf, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p = '\0';
    return (int)(p - buf);
}

/* "YYYY-MM-DD HH:MM:SS.ffffff"; returns the length (26). */
static int format_timestamp(char *buf, long day, long micros_of_day)
{
    long secs = micros_of_day / 1000000;
    char *p = buf + format_date(buf, day);
    *p++ = ' ';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    *p++ = '.';
    p = put_digits(p, micros_of_day % 1000000, 6);
    *p = '\0';
    return (int)(p - buf);
}

/* Non-negative cents as "1234.56"; returns the length. */
static int format_cents(char *buf, long cents)
{
    char tmp[24];
    int n = 0;
    long whole = cents / 100;
    do {
        tmp[n++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n++] = '.';
    put_digits(buf + n, cents % 100, 2);
    buf[n + 2] = '\0';
    return n + 2;
}

/* ---- the fixed vocabulary ---------------------------------------------- */

#define COUNT(a) ((long)(sizeof(a) / sizeof((a)[0])))

enum weighing { NO_WEIGHT, PACKAGED, WEIGHED };

struct category {
    const char *name;
    int lo_cents, hi_cents; /* list price range; per kg when WEIGHED */
    enum weighing weighing;
    int max_grams; /* WEIGHED: a line weighs 50 g .. this much */
    const char *nouns[10];
};

/* The vocabulary tables read better as rows. */
/* clang-format off */
static const struct category categories[] = {
    {"Produce", 99, 899, WEIGHED, 2500,
     {"Äpfel", "Bananen", "Tomaten", "Kartoffeln", "みかん", "Avocados", "Karotten", "Trauben",
      "Paprika", "Zwiebeln"}},
    {"Dairy", 59, 499, PACKAGED, 0,
     {"Vollmilch", "Joghurt", "Butter", "Gouda", "Quark", "牛乳", "Sahne", "Eier"}},
    {"Bakery", 49, 399, PACKAGED, 0,
     {"Brötchen", "Vollkornbrot", "Croissants", "Brezeln", "メロンパン", "Bagels"}},
    {"Meat & Fish", 599, 3499, WEIGHED, 1500,
     {"Hähnchenbrust", "Rinderhack", "Lachsfilet", "Schweinebauch", "鮭", "Thunfisch"}},
    {"Beverages", 39, 299, PACKAGED, 0,
     {"Mineralwasser", "Apfelschorle", "Orangensaft", "Cola", "緑茶", "Kaffee"}},
    {"Snacks & Sweets", 79, 499, PACKAGED, 0,
     {"Schokolade", "Gummibärchen", "Chips", "ポッキー", "Kekse", "Nüsse"}},
    {"Frozen", 129, 799, PACKAGED, 0,
     {"Pizza", "Rahmspinat", "Fischstäbchen", "Eiscreme", "餃子"}},
    {"Pantry", 49, 699, PACKAGED, 0,
     {"Spaghetti", "Reis", "Olivenöl", "Mehl", "味噌", "Haferflocken", "Tomatensoße"}},
    {"Household", 99, 1299, NO_WEIGHT, 0,
     {"Spülmittel", "Küchenrolle", "Müllbeutel", "Waschmittel", "Schwämme"}},
    {"Personal Care", 99, 999, NO_WEIGHT, 0,
     {"Zahnpasta", "Shampoo", "Duschgel", "Deo", "Handcreme"}},
    {"Baby", 199, 2499, PACKAGED, 0,
     {"Windeln", "Babybrei", "Feuchttücher"}},
    {"Pet", 99, 2999, PACKAGED, 0,
     {"Katzenfutter", "Hundefutter", "Katzenstreu"}},
    {"Alcohol", 79, 2999, PACKAGED, 0,
     {"Pils", "Riesling", "日本酒", "Sekt", "Weißbier"}},
    {"Deli", 999, 4999, WEIGHED, 600,
     {"Serrano", "Bergkäse", "Oliven", "Feta", "Antipasti"}},
};
#define N_CATEGORIES COUNT(categories)

/* The category that gets extra sales in each month, January first. */
static const int seasonal_category[12] = {0, 5, 0, 5, 12, 4, 4, 3, 7, 6, 1, 5};

static const char *const brands[] = {"Bio",       "ja!",      "Gut&Günstig", "トップバリュ",
                                     "K-Classic", "Alnatura", "Kirkland",    "Beste Wahl"};
static const int package_grams[] = {100, 200, 250, 500, 750, 1000, 1500};

static const char *const chains[] = {
    "REWE", "EDEKA", "Aldi Süd", "Lidl", "Kaufland", "イオン", "セブン-イレブン", "ローソン",
    "Whole Foods Market", "Migros"};
static const char *const independents[] = {
    "Bäckerei Schmidt", "Hofladen Müller", "八百屋 田中", "Corner Deli", "Wochenmarkt am Platz"};
static const char *const cities[] = {
    "Berlin", "München", "Köln", "Hamburg", "東京", "大阪", "京都", "Zürich", "Wien", "New York",
    "San Francisco", "Düsseldorf"};

/* first_names[i] is written handles[i] in e-mail addresses */
static const char *const first_names[] = {
    "Anna", "Jürgen", "Sophie", "Lukas", "さくら", "太郎", "Émile", "Zoë", "Mia", "Noah",
    "Øystein", "Chloé", "Hiro", "Leonie", "Ömer", "José"};
static const char *const handles[] = {
    "anna", "juergen", "sophie", "lukas", "sakura", "taro", "emile", "zoe", "mia", "noah",
    "oystein", "chloe", "hiro", "leonie", "oemer", "jose"};
_Static_assert(COUNT(first_names) == COUNT(handles), "one handle per first name");
static const char *const last_names[] = {
    "Müller", "Schmidt", "山田", "佐藤", "Weiß", "Smith", "García", "Nguyen", "鈴木", "Fischer",
    "Dubois", "Kowalski"};
static const char *const countries[] = {"DE", "JP", "US", "FR", "AT", "CH", "GB", "NL", "ES", "PL"};

static const char *const notes[] = {
    "Wocheneinkauf", "Geburtstag 🎂", "お弁当の材料", "für Oma", "BBQ 🔥", "office snacks",
    "Grillabend mit Nachbarn", "返品あり", "Party 🎉", "Müsli & Obst", "vergessen: Milch!",
    "ランチ", "Weihnachtsessen 🎄", "Kita-Ausflug", "camping trip ⛺"};
/* clang-format on */

/* ---- the generator ------------------------------------------------------ */

static const char schema_sql[] =
    "PRAGMA journal_mode=OFF;"
    "PRAGMA synchronous=OFF;"
    "PRAGMA locking_mode=EXCLUSIVE;"
    "PRAGMA cache_size=-65536;"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,"
    " signed_up_on DATE NOT NULL, is_premium BOOLEAN NOT NULL, country TEXT);"
    "CREATE TABLE stores(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, chain TEXT);"
    "CREATE TABLE products(id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,"
    " list_price DECIMAL(10,2));"
    "CREATE TABLE receipts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
    " store_id INTEGER NOT NULL, purchased_at TIMESTAMP NOT NULL, total DECIMAL(12,2) NOT NULL,"
    " tax DECIMAL(10,2) NOT NULL, payment_method TEXT NOT NULL, note TEXT);"
    "CREATE TABLE receipt_items(id INTEGER PRIMARY KEY, receipt_id INTEGER NOT NULL,"
    " product_id INTEGER NOT NULL, quantity INTEGER NOT NULL, unit_price DECIMAL(10,2) NOT NULL,"
    " weight_kg REAL);"
    "BEGIN;";

struct gen {
    sqlite3 *db;
    const char *path; /* the final path, for messages */
    uint64_t seed;
    struct rng rng;
    struct demo_shop_sizes n;
    long signup_first, signup_span; /* users sign up over [first, first + span) */
    long purchase_first, purchase_span;
    struct sl_err *err;
};

/* Record the database's last error; BUSY and I/O errors may go away. */
static int db_fail(struct gen *g, const char *table, const char *doing)
{
    int rc = sqlite3_errcode(g->db);
    bool transient = rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_IOERR;
    char object[512];
    snprintf(object, sizeof object, "%s%s%s", g->path, table ? ", table " : "", table ? table : "");
    return sl_err_set(g->err, transient, "demo", object, "%s: %s", doing,
                      g->db ? sqlite3_errmsg(g->db) : "out of memory");
}

static int prepare(struct gen *g, const char *table, const char *sql, sqlite3_stmt **stmt)
{
    if (sqlite3_prepare_v2(g->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return db_fail(g, table, "cannot prepare the insert");
    return SL_OK;
}

/* Step an insert whose values are bound, and make it ready for the next. */
static int insert(struct gen *g, const char *table, sqlite3_stmt *stmt)
{
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        sqlite3_reset(stmt);
        return db_fail(g, table, "cannot insert");
    }
    sqlite3_reset(stmt);
    return SL_OK;
}

static void bind_str(sqlite3_stmt *stmt, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, col);
}

static void bind_cents(sqlite3_stmt *stmt, int col, char *buf, long cents)
{
    sqlite3_bind_text(stmt, col, buf, format_cents(buf, cents), SQLITE_STATIC);
}

/* The day user `id` (1-based) signed up: evenly in id order. */
static long user_signup_day(const struct gen *g, long id)
{
    return g->signup_first + (id - 1) * g->signup_span / g->n.users;
}

/* How many users (ids 1..result) have signed up by `day`, at least 1. */
static long users_signed_up_by(const struct gen *g, long day)
{
    long x = day - g->signup_first;
    if (x < 0)
        return 1;
    long count = ((x + 1) * g->n.users - 1) / g->signup_span + 1;
    return count < g->n.users ? count : g->n.users;
}

/* Who shops on `day`: a user who has signed up and not yet left the app,
 * drawn with the user's activity as weight (rejection sampling; after 64
 * misses the last candidate shops anyway).  35% of users never leave, the
 * others leave 30..629 days after signing up; activity is 1..8 in 8. */
static long pick_user(struct gen *g, long day)
{
    long signed_up = users_signed_up_by(g, day), id = 1;
    for (int attempt = 0; attempt < 64; attempt++) {
        id = 1 + (long)rng_below(&g->rng, (uint64_t)signed_up);
        uint64_t h = entity_hash(g->seed, KIND_HABIT, (uint64_t)id);
        long leaves = user_signup_day(g, id) + 30 + (long)((h >> 8) % 600);
        bool left = h % 100 >= 35 && day > leaves;
        if (!left && rng_below(&g->rng, 8) <= (h >> 24) % 8)
            return id;
    }
    return id;
}

/* Receipts made before day `d` of the purchase period (0 <= d <= span):
 * the daily volume grows linearly to twice its start, as an app's user base
 * does.  With u = d / span, the share is (2u + u^2) / 3, exact in integers. */
static long receipts_before(const struct gen *g, long d)
{
    long s = g->purchase_span;
    return (long)((__int128)g->n.receipts * (2 * d * s + d * d) / (3 * s * s));
}

static int make_users(struct gen *g)
{
    sqlite3_stmt *stmt = NULL;
    char email[64], name[96], day[16];
    int rc = prepare(g, "users", "INSERT INTO users VALUES(?,?,?,?,?,?)", &stmt);
    for (long id = 1; rc == SL_OK && id <= g->n.users; id++) {
        uint64_t h = entity_hash(g->seed, KIND_USER, (uint64_t)id);
        long first = (long)(h % COUNT(first_names));
        long last = (long)((h >> 8) % COUNT(last_names));
        snprintf(email, sizeof email, "%s.%ld@example.com", handles[first], id);
        snprintf(name, sizeof name, "%s %s", first_names[first], last_names[last]);
        sqlite3_bind_int64(stmt, 1, id);
        bind_str(stmt, 2, email);
        bind_str(stmt, 3, name);
        sqlite3_bind_text(stmt, 4, day, format_date(day, user_signup_day(g, id)), SQLITE_STATIC);
        sqlite3_bind_int(stmt, 5, (h >> 16) % 5 == 0); /* 20% premium */
        bind_str(stmt, 6, (h >> 24) % 10 == 0 ? NULL : countries[(h >> 32) % COUNT(countries)]);
        rc = insert(g, "users", stmt);
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int make_stores(struct gen *g)
{
    sqlite3_stmt *stmt = NULL;
    char name[128];
    int rc = prepare(g, "stores", "INSERT INTO stores VALUES(?,?,?,?)", &stmt);
    for (long id = 1; rc == SL_OK && id <= g->n.stores; id++) {
        uint64_t h = entity_hash(g->seed, KIND_STORE, (uint64_t)id);
        const char *city = (h % 20 == 0) ? NULL : cities[(h >> 8) % COUNT(cities)];
        const char *chain = ((h >> 16) % 4 == 0) ? NULL : chains[(h >> 24) % COUNT(chains)];
        if (chain)
            snprintf(name, sizeof name, "%s %s", chain, city ? city : "Online");
        else
            snprintf(name, sizeof name, "%s", independents[(h >> 32) % COUNT(independents)]);
        sqlite3_bind_int64(stmt, 1, id);
        bind_str(stmt, 2, name);
        bind_str(stmt, 3, city);
        bind_str(stmt, 4, chain);
        rc = insert(g, "stores", stmt);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* What the items need to know about a product, derived from its id. */
struct product {
    const struct category *category;
    long price_cents; /* list price; per kg when weighed */
    int package_grams;
    bool list_price_missing; /* 2% of products have no list price */
};

static struct product product_of(const struct gen *g, long id)
{
    uint64_t h = entity_hash(g->seed, KIND_PRODUCT, (uint64_t)id);
    struct product p;
    p.category = &categories[(id - 1) % N_CATEGORIES];
    p.price_cents = p.category->lo_cents +
                    (long)(h % (uint64_t)(p.category->hi_cents - p.category->lo_cents + 1));
    p.package_grams = package_grams[(h >> 24) % COUNT(package_grams)];
    p.list_price_missing = (h >> 40) % 50 == 0;
    return p;
}

static int make_products(struct gen *g)
{
    sqlite3_stmt *stmt = NULL;
    char name[128], price[24];
    int rc = prepare(g, "products", "INSERT INTO products VALUES(?,?,?,?)", &stmt);
    for (long id = 1; rc == SL_OK && id <= g->n.products; id++) {
        uint64_t h = entity_hash(g->seed, KIND_PRODUCT, (uint64_t)id);
        struct product p = product_of(g, id);
        long n_nouns = 0;
        while (n_nouns < COUNT(p.category->nouns) && p.category->nouns[n_nouns])
            n_nouns++;
        const char *brand = brands[(h >> 48) % COUNT(brands)];
        const char *noun = p.category->nouns[(h >> 52) % (uint64_t)n_nouns];
        if (p.category->weighing == PACKAGED)
            snprintf(name, sizeof name, "%s %s %dg", brand, noun, p.package_grams);
        else
            snprintf(name, sizeof name, "%s %s", brand, noun);
        sqlite3_bind_int64(stmt, 1, id);
        bind_str(stmt, 2, name);
        bind_str(stmt, 3, p.category->name);
        if (p.list_price_missing)
            sqlite3_bind_null(stmt, 4);
        else
            bind_cents(stmt, 4, price, p.price_cents);
        rc = insert(g, "products", stmt);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Popular products have low ids; each month one category sells extra. */
static long pick_product(struct gen *g, int month)
{
    if (rng_below(&g->rng, 5) == 0) {
        long c = seasonal_category[month - 1];
        long in_category = (g->n.products - c + N_CATEGORIES - 1) / N_CATEGORIES;
        return (long)rng_below(&g->rng, (uint64_t)in_category) * N_CATEGORIES + c + 1;
    }
    long a = (long)rng_below(&g->rng, (uint64_t)g->n.products);
    long b = (long)rng_below(&g->rng, (uint64_t)g->n.products);
    return (a < b ? a : b) + 1;
}

/* The statements and text buffers shared by make_receipts and make_item;
 * the buffers stay bound (SQLITE_STATIC) until the next row rebinds them. */
struct receipt_ctx {
    sqlite3_stmt *receipt, *item;
    long next_item_id;
    char price[24], total[24], tax[24], when[32];
};

/* Insert one item of receipt `receipt_id`; adds quantity * unit price to
 * *total_cents. */
static int make_item(struct gen *g, struct receipt_ctx *c, long receipt_id, int month,
                     long *total_cents)
{
    long product_id = pick_product(g, month);
    struct product p = product_of(g, product_id);
    long quantity = 1, unit, grams = 0;
    if (p.category->weighing == WEIGHED) {
        grams = 50 + (long)rng_below(&g->rng, (uint64_t)p.category->max_grams - 49);
        unit = (p.price_cents * grams + 500) / 1000;
    } else {
        if (rng_below(&g->rng, 10) >= 6)
            quantity += 1 + (long)rng_below(&g->rng, 4);
        unit = p.price_cents;
        uint64_t deal = rng_below(&g->rng, 100);
        if (deal < 15)
            unit = unit * (70 + (long)rng_below(&g->rng, 21)) / 100; /* on sale */
        else if (deal < 18)
            unit = unit * 105 / 100; /* price went up */
        if (p.category->weighing == PACKAGED && rng_below(&g->rng, 20) != 0)
            grams = p.package_grams * quantity;
    }
    if (unit < 1)
        unit = 1;
    *total_cents += quantity * unit;

    sqlite3_stmt *s = c->item;
    sqlite3_bind_int64(s, 1, c->next_item_id++);
    sqlite3_bind_int64(s, 2, receipt_id);
    sqlite3_bind_int64(s, 3, product_id);
    sqlite3_bind_int64(s, 4, quantity);
    bind_cents(s, 5, c->price, unit);
    if (grams)
        sqlite3_bind_double(s, 6, (double)grams / 1000.0);
    else
        sqlite3_bind_null(s, 6);
    return insert(g, "receipt_items", s);
}

/* How many items receipt `r` (0-based) gets: uniform around the average
 * of what is left, so the counts add up to exactly n.receipt_items. */
static long items_for_receipt(struct gen *g, long r, long items_done)
{
    long left = g->n.receipt_items - items_done, receipts_left = g->n.receipts - r;
    if (receipts_left == 1)
        return left;
    long avg = left / receipts_left;
    long k = 1 + (long)rng_below(&g->rng, (uint64_t)(2 * avg - 1));
    long most = left - (receipts_left - 1);
    return k < most ? k : most;
}

/* Receipt `r` (0-based), made on `day`, with its items. */
static int make_receipt(struct gen *g, struct receipt_ctx *c, long r, long day, long *items_done)
{
    static const char *const payments[] = {"card", "card", "card",   "card",   "card",
                                           "cash", "cash", "mobile", "mobile", "voucher"};
    long id = r + 1;
    long user = pick_user(g, day);
    long store = 1 + (long)rng_below(&g->rng, (uint64_t)g->n.stores);
    if (rng_below(&g->rng, 10) < 7) /* usually the user's home store */
        store = 1 + (long)(entity_hash(g->seed, KIND_HOME, (uint64_t)user) % (uint64_t)g->n.stores);
    long micros = (7L * 3600 + (long)rng_below(&g->rng, 15 * 3600)) * 1000000 +
                  (long)rng_below(&g->rng, 1000000);
    const char *payment = payments[rng_below(&g->rng, COUNT(payments))];
    const char *note = rng_below(&g->rng, 10) < 3 ? NULL : notes[rng_below(&g->rng, COUNT(notes))];
    int y, month, d;
    civil_from_days(day, &y, &month, &d);

    long k = items_for_receipt(g, r, *items_done), total = 0;
    for (long i = 0; i < k; i++)
        if (make_item(g, c, id, month, &total) != SL_OK)
            return SL_ERROR;
    *items_done += k;

    sqlite3_stmt *s = c->receipt;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, user);
    sqlite3_bind_int64(s, 3, store);
    sqlite3_bind_text(s, 4, c->when, format_timestamp(c->when, day, micros), SQLITE_STATIC);
    bind_cents(s, 5, c->total, total);
    bind_cents(s, 6, c->tax, (total * 8 + 50) / 100);
    bind_str(s, 7, payment);
    bind_str(s, 8, note);
    return insert(g, "receipts", s);
}

static int make_receipts(struct gen *g)
{
    struct receipt_ctx c = {.next_item_id = 1};
    long items_done = 0, day = 0; /* day of the purchase period */
    int rc = prepare(g, "receipts", "INSERT INTO receipts VALUES(?,?,?,?,?,?,?,?)", &c.receipt);
    if (rc == SL_OK)
        rc = prepare(g, "receipt_items", "INSERT INTO receipt_items VALUES(?,?,?,?,?,?)", &c.item);
    for (long r = 0; rc == SL_OK && r < g->n.receipts; r++) {
        while (day + 1 < g->purchase_span && receipts_before(g, day + 1) <= r)
            day++;
        rc = make_receipt(g, &c, r, g->purchase_first + day, &items_done);
    }
    sqlite3_finalize(c.receipt);
    sqlite3_finalize(c.item);
    return rc;
}

void demo_shop_sizes(long receipt_items, struct demo_shop_sizes *out)
{
    long n = receipt_items > 0 ? receipt_items : 0;
    out->receipt_items = n;
    out->receipts = n / 4 > 0 ? n / 4 : (n > 0 ? 1 : 0);
    out->users = n / 200 > 50 ? n / 200 : 50;
    out->stores = n / 2000 > 10 ? (n / 2000 < 500 ? n / 2000 : 500) : 10;
    out->products = n / 100 > 100 ? (n / 100 < 20000 ? n / 100 : 20000) : 100;
}

/* Fill the open database at g->db: schema, rows, commit. */
static int fill(struct gen *g)
{
    char *msg = NULL;
    if (sqlite3_exec(g->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
        sl_err_set(g->err, false, "demo", g->path, "cannot create the schema: %s",
                   msg ? msg : "unknown error");
        sqlite3_free(msg);
        return SL_ERROR;
    }
    if (make_users(g) != SL_OK || make_stores(g) != SL_OK || make_products(g) != SL_OK ||
        make_receipts(g) != SL_OK)
        return SL_ERROR;
    if (sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(g, NULL, "cannot commit");
    return SL_OK;
}

int demo_shop_generate(const char *path, long receipt_items, uint64_t seed, struct sl_err *err)
{
    struct gen g = {.path = path, .seed = seed, .rng = {seed}, .err = err};
    char tmp[4096];
    if (receipt_items < 0)
        return sl_err_set(err, false, "demo", path, "receipt_items must be >= 0, not %ld",
                          receipt_items);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return sl_err_set(err, false, "demo", path, "path too long");
    demo_shop_sizes(receipt_items, &g.n);
    g.signup_first = days_from_civil(2023, 10, 1);
    g.signup_span = days_from_civil(2025, 11, 1) - g.signup_first;
    g.purchase_first = days_from_civil(2024, 1, 1);
    g.purchase_span = days_from_civil(2026, 1, 1) - g.purchase_first;

    if (unlink(tmp) != 0 && errno != ENOENT)
        return sl_err_set(err, false, "demo", tmp, "cannot remove the old temporary file: %s",
                          strerror(errno));
    int rc = SL_OK;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX; /* one thread */
    if (sqlite3_open_v2(tmp, &g.db, flags, NULL) != SQLITE_OK)
        rc = db_fail(&g, NULL, "cannot create the database");
    if (rc == SL_OK)
        rc = fill(&g);
    if (sqlite3_close(g.db) != SQLITE_OK && rc == SL_OK)
        rc = db_fail(&g, NULL, "cannot close the database");
    if (rc == SL_OK && rename(tmp, path) != 0)
        rc = sl_err_set(err, false, "demo", path, "cannot rename %s into place: %s", tmp,
                        strerror(errno));
    if (rc != SL_OK)
        unlink(tmp);
    return rc;
}
