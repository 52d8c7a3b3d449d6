/*
 * test_source_url.c — the source URL as shown to people (src_redact_url).
 *
 * Every form libpq accepts for a password must yield the same description,
 * rebuilt from libpq's own parse (postgres://user@host:port/dbname), with no
 * piece of the password in it.  The passwords use the fragments Zq, TAIL1,
 * TAIL2, TAIL3 so a leak of any piece is caught.
 */
#include "check.h"
#include "source/source.h"

static int leaks(const char *s)
{
    return strstr(s, "Zq") || strstr(s, "TAIL") || strstr(s, "s3cret");
}

/* The description of url, checked for leaks, against want. */
#define DESCRIBES(url, want)                                                        \
    do {                                                                            \
        char out_[512];                                                             \
        src_redact_url((url), out_, sizeof out_);                                   \
        CHECK_EQ_STR(out_, (want));                                                 \
        CHECK(!leaks(out_));                                                        \
    } while (0)

static void test_pg_url(void)
{
    DESCRIBES("postgres://app:s3cret@db:5432/shop", "postgres://app@db:5432/shop");
    DESCRIBES("postgresql://app:Zq%20A%26TAIL1%20TAIL2@db:5432/shop",
              "postgres://app@db:5432/shop");
    DESCRIBES("postgresql://app@db/shop?password=Zq%20TAIL1&sslmode=require",
              "postgres://app@db/shop");
    DESCRIBES("postgres://db/shop?user=app&password=Zq", "postgres://app@db/shop");
    DESCRIBES("postgres:///shop", "postgres:///shop");
    DESCRIBES("postgres://", "postgres:///");
    DESCRIBES("postgresql://h1:5432,h2:5433/shop", "postgres://h1:5432,h2:5433/shop");
    DESCRIBES("postgresql://[::1]:5432/shop", "postgres://[::1]:5432/shop");
    DESCRIBES("postgresql:///shop?host=/run/pg&port=5433&password=Zq",
              "postgres:///shop?host=/run/pg&port=5433");
}

static void test_pg_conninfo(void)
{
    DESCRIBES("postgres:host=db dbname=shop user=app password='Zq A&TAIL1 TAIL2'",
              "postgres://app@db/shop");
    DESCRIBES("postgres:host=db dbname=shop user=app password='Zq\\'TAIL1\\\\TAIL2 x'",
              "postgres://app@db/shop");
    DESCRIBES("postgres:host=db dbname=shop user=app password=Zq\\ TAIL3",
              "postgres://app@db/shop");
    DESCRIBES("postgres: host = db  port = 5433 password = Zq user = app dbname = shop",
              "postgres://app@db:5433/shop");
    DESCRIBES("postgresql:host=db port=5432 dbname=shop", "postgres://db:5432/shop");
    DESCRIBES("postgres:port=5433 dbname=shop", "postgres://:5433/shop");
    DESCRIBES("postgres:hostaddr=10.0.0.7 dbname=shop", "postgres://10.0.0.7/shop");
    DESCRIBES("postgres:host=/tmp/pg port=5433 dbname=shop",
              "postgres:///shop?host=/tmp/pg&port=5433");
    /* A bare word is a database name to libpq (no '=', no URI prefix). */
    DESCRIBES("postgres:shop", "postgres:///shop");
    /* Options that may hold secrets are never shown. */
    DESCRIBES("postgres:host=db options='-c x=Zq' sslpassword=TAIL1 dbname=shop",
              "postgres://db/shop");
    /* Odd characters in user or dbname are %-encoded, not passed through. */
    DESCRIBES("postgres:host=db user='a@b c' dbname='x/y'", "postgres://a%40b%20c@db/x%2Fy");
}

static void test_pg_unparsable(void)
{
    /* libpq's message would quote "TAIL1": nothing of the string shows. */
    DESCRIBES("postgres:host=db password=Zq TAIL1 dbname=shop",
              "postgres:(a connection string libpq cannot parse)");
    DESCRIBES("postgres:host=db password='Zq TAIL1",
              "postgres:(a connection string libpq cannot parse)");
    DESCRIBES("postgresql://app:Zq%zzTAIL1@db/shop",
              "postgres:(a connection string libpq cannot parse)");
}

/* MySQL / MariaDB: rebuilt from mysql.c's own parse; %-decoded parts are
 * encoded again; a bad URL shows why, never its text. */
static void test_mysql_url(void)
{
    DESCRIBES("mysql://app:Zq@db/shop", "mysql://app@db/shop");
    DESCRIBES("mariadb://app:Zq%40TAIL1@db:3307/shop", "mariadb://app@db:3307/shop");
    DESCRIBES("mysql://app:Zq@TAIL1@db:3306/shop?ssl-mode=required&ssl-ca=/ca.pem",
              "mysql://app@db:3306/shop");
    DESCRIBES("mysql://a%20b:Zq@127.0.0.1/my%20db", "mysql://a%20b@127.0.0.1/my%20db");
    DESCRIBES("mysql://app:Zq@[::1]:3306/shop", "mysql://app@[::1]:3306/shop");
    DESCRIBES("mysql://app@localhost/shop?socket=/run/my.sock",
              "mysql://app@localhost/shop?socket=/run/my.sock");
    DESCRIBES("mysql://app:Zq%zzTAIL1@db/shop",
              "mysql://(a URL that cannot be read: the password has a bad %-escape or is too "
              "long (%-encode '%', '@', '/', '?' and ':' in it))");
    DESCRIBES("mysql://app:Zq@db:99999/shop",
              "mysql://(a URL that cannot be read: the port must be a number from 1 to 65535)");
}

static void test_other_sources(void)
{
    DESCRIBES("sqlite:///tmp/app.db", "sqlite:///tmp/app.db");
    DESCRIBES("odbc://app:Zq@db/shop", "odbc://…");
    DESCRIBES("odbc:DSN=x;PWD=Zq", "odbc:…");
    DESCRIBES("host=db password=a:Zq", "(a source string without a scheme)");
    DESCRIBES("host=db password=Zq", "(a source string without a scheme)");
    DESCRIBES("", "(a source string without a scheme)");
}

static void test_small_buffer(void)
{
    char out[12];
    memset(out, 'x', sizeof out);
    src_redact_url("postgres://app:Zq@database.example.com/shop", out, sizeof out);
    CHECK_EQ_INT(strlen(out), sizeof out - 1);
    CHECK(!leaks(out));
    src_redact_url("postgres://app:Zq@db/shop", out, 1);
    CHECK_EQ_STR(out, "");
}

int main(void)
{
    RUN(test_pg_url);
    RUN(test_pg_conninfo);
    RUN(test_pg_unparsable);
    RUN(test_mysql_url);
    RUN(test_other_sources);
    RUN(test_small_buffer);
    return CHECK_DONE();
}
