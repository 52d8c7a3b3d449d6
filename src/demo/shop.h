/*
 * shop.h — the sample database behind `snaplake demo` and examples/shop.
 *
 * A household-accounting app that scans shopping receipts: users, stores,
 * products (with their category), receipts and receipt_items, in SQLite.
 * The declared column types (INTEGER, TEXT, DATE, TIMESTAMP, BOOLEAN,
 * DECIMAL(p,s), REAL) are chosen to exercise the SQLite type mapping; the
 * values are stored the way real apps store them in SQLite:
 *
 *   DATE        TEXT 'YYYY-MM-DD'
 *   TIMESTAMP   TEXT 'YYYY-MM-DD HH:MM:SS.ffffff' (always 6 fractional digits)
 *   BOOLEAN     INTEGER 0/1
 *   DECIMAL     inserted as TEXT '12.34'; NUMERIC affinity keeps it as REAL
 *               (or INTEGER when the cents are zero)
 *   REAL        double, some NULLs
 *
 * Sizes follow from the number of receipt items (see demo_shop_sizes).  The
 * content is a pure function of (receipt_items, seed): same arguments, same
 * rows, byte for byte.  Every receipt's total is exactly the sum of its items'
 * quantity * unit_price in cents, and tax is round(total * 8%) in cents.
 */
#ifndef SL_DEMO_SHOP_H
#define SL_DEMO_SHOP_H

#include <stdint.h>

#include "util/err.h"

struct demo_shop_sizes {
    long users;         /* max(50, items / 200) */
    long stores;        /* max(10, items / 2000), at most 500 */
    long products;      /* max(100, items / 100), at most 20000 */
    long receipts;      /* items / 4, at least 1 when there are items */
    long receipt_items; /* as asked */
};

/* The row count of every table for `receipt_items` items (>= 0). */
void demo_shop_sizes(long receipt_items, struct demo_shop_sizes *out);

/* Create the sample database at `path`, replacing any file there.  Rows are
 * written to "<path>.tmp", which is renamed onto `path` only when complete,
 * so a crash never leaves a half-written database at `path`.
 * About 10 million items take a few seconds (one transaction, no journal).
 * Returns 0, or SL_ERROR with `err` set (stage "demo"). */
int demo_shop_generate(const char *path, long receipt_items, uint64_t seed, struct sl_err *err);

#endif
