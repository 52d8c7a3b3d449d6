/*
 * config.c — snaplake.yml → struct sl_config.
 *
 * The file is loaded with libyaml's document API (one document, aliases
 * resolved by libyaml) and then walked against static key tables, in the
 * manner of redis' config.c: every key the file may hold is one row giving
 * its name, its kind, the field of struct sl_config it fills, its default
 * (as text, applied through the same setter the file's value goes through)
 * and its limits.  Mappings (`tables`, `parquet`, `run`) are rows whose kind
 * is K_MAP and that point at a child table; so adding a key is adding a row,
 * and the "expected one of: …" lists, the "did you mean" hints, the defaults
 * and config_free all follow from the tables.
 *
 * Order of work in config_parse:
 *   1. defaults from the tables (jobs from the number of online CPUs, models
 *      as "<dir>/models");
 *   2. YAML syntax (libyaml's problem and mark become "FILE:LINE:COLUMN");
 *   3. the walk: unknown keys, duplicate keys, wrong types and bad values are
 *      errors at the mark of the offending key or value; so are values that
 *      name a feature of DESIGN.md not built yet (`planned` rows), and the
 *      marks of values that later checks look at on disk are kept (pos_offset);
 *   4. whole-file checks: required keys (`source`, `lake`), per-mapping
 *      checks (a gzip level above 9), and the chosen plug-ins' required
 *      options and needs (check_plugins).
 *
 * Plug-in sections (`s3:`, `glue:` …) are not rows of these tables: each
 * plug-in declares its options in its own file (config.h struct
 * config_plugin, listed in plugins.c); plugin_section checks a section
 * against that table and keeps the values as text for config_option().
 *
 * Scalars go through ${NAME} expansion from the environment before they are
 * converted ("$${" writes a literal "${"; an unset variable is an error that
 * names it), so secrets can stay out of the file.  Messages that quote a
 * value quote it as written in the file, never expanded, so an expanded
 * password cannot end up in a log.
 *
 * Relative paths (lake, models, the file of a sqlite://rel.db source) are
 * joined to the config file's folder, which is made absolute with realpath,
 * and normalized lexically ("." and ".." removed); they need not exist yet.
 *
 * Lines and columns are 1-based (libyaml's marks are 0-based).  Every error
 * has stage "config" and is permanent.
 */
#include "config/config.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "util/buf.h"

#define STAGE "config"
#define MAX_FILE_BYTES (1u << 20)  /* a config file is a few hundred bytes */
#define MAX_VALUE_BYTES (1u << 16) /* one value after ${VAR} expansion */
#define MAX_SHOWN 80               /* characters of a value quoted in messages */
#define MAX_LIST 4096              /* patterns in tables.include / exclude */

/* ---------------------------------------------------------------- tables */

enum kind {
    K_STRING, /* any text; empty means unset */
    K_PATH,   /* a folder, made absolute against the config's folder */
    K_SOURCE, /* database URL; a relative sqlite file made absolute */
    K_LAKE,   /* a folder (made absolute) or s3://bucket/prefix (as is) */
    K_INT,    /* integer in [min, max] */
    K_NUMBER, /* decimal number in [min, max], stored as double (seconds, rates) */
    K_CHOICE, /* one of `choices`, stored as a string */
    K_CODEC,  /* one of `choices`, stored as enum pq_codec */
    K_HHMM,   /* time of day "HH:MM", stored normalized */
    K_DURATION, /* seconds > 0, up to `max`: a number or "90s", "30m", "2h", "1h30m"; double */
    K_GLOBS,  /* a string or a list of strings → char ** + int count */
    K_MAP,    /* a mapping described by `children` */
};

struct parse;
struct key;

/* One value being applied: from the file (node set) or a default (node NULL). */
struct val {
    const yaml_node_t *node;
    const char *text; /* after ${VAR} expansion; NULL for non-scalars */
    const char *raw;  /* as written in the file, for messages */
    yaml_mark_t mark;
    const char *name; /* dotted key, e.g. "parquet.row_group_mb" */
};

typedef int (*set_fn)(struct parse *p, const struct key *k, const struct val *v,
                      struct sl_config *cfg);
/* After a mapping was walked: cross-key validation.  `map` may be NULL. */
typedef int (*check_fn)(struct parse *p, const yaml_node_t *map, struct sl_config *cfg);

struct key {
    const char *name;
    enum kind kind;
    size_t offset;       /* the field in struct sl_config */
    size_t count_offset; /* K_GLOBS: the int count beside the array */
    const char *def;     /* default as text (through the setter), or NULL */
    int (*def_fn)(void); /* K_INT default computed at load time */
    long min, max;       /* K_INT, K_NUMBER */
    const char *const *choices; /* K_CHOICE, K_CODEC: NULL-terminated */
    const char **planned;       /* K_CHOICE: known names not built yet, NULL-terminated */
    size_t pos_offset;          /* a struct config_pos filled with the value's place; 0 = none */
    const struct key *children; /* K_MAP: terminated by a row without name */
    check_fn check;             /* K_MAP: optional */
    bool required;
};

struct parse {
    const char *name; /* file name for error objects */
    const char *dir;  /* absolute folder of the config file */
    yaml_document_t *doc;
    struct sl_err *err;
};

static int set_string(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_path(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_source(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_lake(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_int(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_number(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_choice(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_codec(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_hhmm(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_duration(struct parse *, const struct key *, const struct val *,
                        struct sl_config *);
static int set_globs(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int set_map(struct parse *, const struct key *, const struct val *, struct sl_config *);
static int check_parquet(struct parse *, const yaml_node_t *, struct sl_config *);
static int check_run(struct parse *, const yaml_node_t *, struct sl_config *);
static int online_cpus(void);

/* What each kind does with a value; `scalar` kinds refuse lists and mappings. */
static const struct kind_ops {
    set_fn set;
    bool scalar;
    bool owns_string; /* the field is a malloc'd char * (freed by config_free) */
} kinds[] = {
    [K_STRING] = {set_string, true, true},  [K_PATH] = {set_path, true, true},
    [K_SOURCE] = {set_source, true, true},  [K_LAKE] = {set_lake, true, true},
    [K_INT] = {set_int, true, false},       [K_NUMBER] = {set_number, true, false},
    [K_CHOICE] = {set_choice, true, true},
    [K_CODEC] = {set_codec, true, false},   [K_HHMM] = {set_hhmm, true, true},
    [K_DURATION] = {set_duration, true, false},
    [K_GLOBS] = {set_globs, false, false},  [K_MAP] = {set_map, false, false},
};

/* Catalogs and engines, from the plug-in table (plugins.c), filled once by
 * plugin_names_init; the `planned_*` ones are in DESIGN.md but not built
 * yet: naming one is an error at its place in the file rather than a run
 * that fails after the whole export. */
#define MAX_PLUGINS 32
static const char *catalog_names[MAX_PLUGINS], *planned_catalogs[MAX_PLUGINS];
static const char *engine_names[MAX_PLUGINS], *planned_engines[MAX_PLUGINS];
static pthread_once_t plugin_names_once = PTHREAD_ONCE_INIT;

static void plugin_names_init(void)
{
    size_t nc = 0, npc = 0, ne = 0, npe = 0;
    for (size_t i = 0; config_plugins[i]; i++) {
        const struct config_plugin *pl = config_plugins[i];
        if (!strcmp(pl->role, "catalog") && nc < MAX_PLUGINS - 1 && npc < MAX_PLUGINS - 1)
            *(pl->planned ? &planned_catalogs[npc++] : &catalog_names[nc++]) = pl->name;
        else if (!strcmp(pl->role, "engine") && ne < MAX_PLUGINS - 1 && npe < MAX_PLUGINS - 1)
            *(pl->planned ? &planned_engines[npe++] : &engine_names[ne++]) = pl->name;
    }
}

/* The plug-in chosen for role with that name (built or planned), or NULL. */
static const struct config_plugin *find_plugin(const char *role, const char *name)
{
    for (size_t i = 0; config_plugins[i]; i++)
        if (!strcmp(config_plugins[i]->role, role) && !strcmp(config_plugins[i]->name, name))
            return config_plugins[i];
    return NULL;
}
/* Our own name → codec table (pq_codec_parse lives in the writer; config
 * does not depend on it).  codec_values[i] belongs to codec_names[i]. */
static const char *const codec_names[] = {"zstd", "snappy", "gzip", "none", NULL};
static const enum pq_codec codec_values[] = {PQ_CODEC_ZSTD, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                                             PQ_CODEC_NONE};
/* parquet.timestamp_type: how TIMESTAMP/TIMESTAMPTZ are stored. */
static const char *const timestamp_types[] = {"int64", "int96", NULL};
/* Source URL schemes snaplake has a reader for. */
static const char *const source_schemes[] = {"postgres", "postgresql", "sqlite", "mysql",
                                             "mariadb", NULL};

#define FIELD(f) offsetof(struct sl_config, f)

static const struct key tables_keys[] = {
    {.name = "include", .kind = K_GLOBS, .offset = FIELD(include),
     .count_offset = FIELD(n_include)},
    {.name = "exclude", .kind = K_GLOBS, .offset = FIELD(exclude),
     .count_offset = FIELD(n_exclude)},
    {0},
};

static const struct key parquet_keys[] = {
    {.name = "compression", .kind = K_CODEC, .offset = FIELD(compression), .def = "zstd",
     .choices = codec_names},
    /* -7..22 is zstd's range (negative = fast levels); gzip is checked for 0..9. */
    {.name = "compression_level", .kind = K_INT, .offset = FIELD(compression_level), .def = "0",
     .min = -7, .max = 22},
    {.name = "row_group_mb", .kind = K_INT, .offset = FIELD(row_group_mb), .def = "128", .min = 1,
     .max = 4096},
    /* "<table>.<column>" globs; the writer matches them (parquet/writer.h). */
    {.name = "bloom_filter_columns", .kind = K_GLOBS, .offset = FIELD(bloom_filter_columns),
     .count_offset = FIELD(n_bloom_filter_columns)},
    /* 1: data page v1, PLAIN/dictionary only (every reader); 2: data page v2
     * with the DELTA_* and BYTE_STREAM_SPLIT encodings (parquet/writer.h). */
    {.name = "format_version", .kind = K_INT, .offset = FIELD(parquet_format_version), .def = "1",
     .min = 1, .max = 2},
    /* int96 for Hive <= 3 and old Athena tables (parquet/writer.h); named for
     * the physical type written, as Spark's outputTimestampType is. */
    {.name = "timestamp_type", .kind = K_CHOICE, .offset = FIELD(parquet_timestamp_type),
     .def = "int64", .choices = timestamp_types},
    {0},
};

/* run.retry: the knobs of Step Functions' Retry field (util/retry.h).  The
 * defaults are SL_RETRY_DEFAULT's; check_run reconciles it with run.retries. */
static const struct key retry_keys[] = {
    {.name = "max_attempts", .kind = K_INT, .offset = FIELD(retry.max_attempts), .def = "4",
     .min = 1, .max = INT_MAX},
    {.name = "interval", .kind = K_NUMBER, .offset = FIELD(retry.interval), .def = "0.5",
     .min = 0, .max = 86400},
    {.name = "backoff_rate", .kind = K_NUMBER, .offset = FIELD(retry.backoff_rate), .def = "2",
     .min = 1, .max = 100},
    {.name = "max_delay", .kind = K_NUMBER, .offset = FIELD(retry.max_delay), .def = "30",
     .min = 0, .max = 86400},
    {0},
};

/* run.timeouts: Step Functions' TimeoutSeconds per task kind, no limit by
 * default; a week at most (a nightly job that may take longer is a typo). */
#define WEEK 604800
static const struct key timeout_keys[] = {
    {.name = "export_chunk", .kind = K_DURATION, .offset = FIELD(timeouts.export_chunk),
     .max = WEEK},
    {.name = "model", .kind = K_DURATION, .offset = FIELD(timeouts.model), .max = WEEK},
    {.name = "run", .kind = K_DURATION, .offset = FIELD(timeouts.run), .max = WEEK},
    {.name = "hook", .kind = K_DURATION, .offset = FIELD(timeouts.hook), .max = WEEK},
    {0},
};

static const struct key run_keys[] = {
    /* The short form of retry.max_attempts (retries = max_attempts - 1). */
    {.name = "retries", .kind = K_INT, .offset = FIELD(retries), .def = "3", .min = 0,
     .max = INT_MAX},
    {.name = "retry", .kind = K_MAP, .children = retry_keys},
    {.name = "timeouts", .kind = K_MAP, .children = timeout_keys},
    {.name = "deadline", .kind = K_HHMM, .offset = FIELD(deadline)},
    {.name = "keep_runs", .kind = K_INT, .offset = FIELD(keep_runs), .def = "7", .min = 1,
     .max = INT_MAX},
    {.name = "on_deadline_risk", .kind = K_STRING, .offset = FIELD(on_deadline_risk)},
    {.name = "on_failure", .kind = K_STRING, .offset = FIELD(on_failure)},
    {.name = "on_success", .kind = K_STRING, .offset = FIELD(on_success)},
    {0},
};

/* The contract of DESIGN.md "Configuration"; the order is the one messages list. */
static const struct key top_keys[] = {
    {.name = "source", .kind = K_SOURCE, .offset = FIELD(source), .required = true,
     .pos_offset = FIELD(source_at)},
    {.name = "lake", .kind = K_LAKE, .offset = FIELD(lake), .required = true,
     .pos_offset = FIELD(lake_at)},
    {.name = "jobs", .kind = K_INT, .offset = FIELD(jobs), .def_fn = online_cpus, .min = 1,
     .max = 256},
    {.name = "tables", .kind = K_MAP, .children = tables_keys},
    {.name = "catalog", .kind = K_CHOICE, .offset = FIELD(catalog), .def = "duckdb",
     .choices = catalog_names, .planned = planned_catalogs, .pos_offset = FIELD(catalog_at)},
    {.name = "engine", .kind = K_CHOICE, .offset = FIELD(engine), .def = "duckdb",
     .choices = engine_names, .planned = planned_engines, .pos_offset = FIELD(engine_at)},
    {.name = "parquet", .kind = K_MAP, .children = parquet_keys, .check = check_parquet},
    {.name = "models", .kind = K_PATH, .offset = FIELD(models), .def = "models",
     .pos_offset = FIELD(models_at)},
    {.name = "run", .kind = K_MAP, .children = run_keys, .check = check_run},
    {0},
};

static char **field_str(struct sl_config *cfg, const struct key *k)
{
    return (char **)((char *)cfg + k->offset);
}

static int *field_int(struct sl_config *cfg, const struct key *k)
{
    return (int *)((char *)cfg + k->offset);
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* ---------------------------------------------------------------- errors */

static int fail_at(struct parse *p, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parse *p, yaml_mark_t mark, const char *fmt, ...)
{
    char object[sizeof p->err->object];
    char msg[sizeof p->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(object, sizeof object, "%s:%zu:%zu", p->name, mark.line + 1, mark.column + 1);
    return sl_err_set(p->err, false, STAGE, object, "%s", msg);
}

static int out_of_memory(struct parse *p)
{
    return sl_err_set(p->err, false, STAGE, p->name, "out of memory");
}

/* A value quoted in a message: at most MAX_SHOWN bytes, cut on a UTF-8
 * character boundary, "…" appended when cut. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t n = strlen(s);
    if (n <= MAX_SHOWN && n < size) {
        memcpy(buf, s, n + 1);
        return buf;
    }
    n = MAX_SHOWN < size - 4 ? MAX_SHOWN : size - 4;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(buf, s, n);
    memcpy(buf + n, "\xE2\x80\xA6", 4); /* … */
    return buf;
}

/* Optimal string alignment distance (edits, with adjacent transpositions
 * counting as one): "jbos" → "jobs" is 1.  Words over 63 bytes get a big value. */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return INT_MAX;
    int d[64][64];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

/* The candidate closest to `word`, when close enough to be a typo: one edit
 * for names of up to 3 characters, two for longer ones.  NULL otherwise. */
static const char *closest(const char *word, const char *const *names, size_t count)
{
    const char *best = NULL;
    int best_d = INT_MAX;
    for (size_t i = 0; i < count; i++) {
        int d = edit_distance(word, names[i]);
        int limit = strlen(names[i]) <= 3 ? 1 : 2;
        if (d <= limit && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

static size_t key_names(const struct key *keys, const char **names, size_t max)
{
    size_t n = 0;
    for (; n < max && keys[n].name; n++)
        names[n] = keys[n].name;
    return n;
}

static size_t choice_count(const char *const *choices)
{
    size_t n = 0;
    while (choices[n])
        n++;
    return n;
}

/* "a, b, c" (or "a, b or c" when `last` is " or ") into buf. */
static const char *join_with(const char *const *names, size_t count, const char *last, char *buf,
                             size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i == 0 ? "" : i + 1 == count ? last : ", ", names[i]);
    return buf;
}

static const char *join(const char *const *names, size_t count, char *buf, size_t size)
{
    return join_with(names, count, ", ", buf, size);
}

/* What a key's value must be, completing "'name' must be …". */
static const char *describe(const struct key *k, char *buf, size_t size)
{
    const char *names[32];
    char list[512];
    switch (k->kind) {
    case K_STRING:
        return "a string";
    case K_PATH:
        return "a folder path";
    case K_SOURCE:
        return "a database URL (postgres://…, sqlite:///path/app.db)";
    case K_LAKE:
        return "a folder path";
    case K_HHMM:
        return "a time of day \"HH:MM\" (local), \"HH:MMZ\" or \"HH:MM+02:00\"";
    case K_DURATION:
        snprintf(buf, size,
                 "a duration above 0 and at most %ld s: seconds (30, 0.5) or \"90s\", \"30m\", "
                 "\"2h\", \"1h30m\"",
                 k->max);
        return buf;
    case K_NUMBER:
        snprintf(buf, size, "a number between %ld and %ld", k->min, k->max);
        return buf;
    case K_GLOBS:
        return "a string or a list of strings";
    case K_INT:
        if (k->max == INT_MAX)
            snprintf(buf, size, "an integer of at least %ld", k->min);
        else
            snprintf(buf, size, "an integer between %ld and %ld", k->min, k->max);
        return buf;
    case K_CHOICE:
    case K_CODEC:
        snprintf(buf, size, "one of %s",
                 join_with(k->choices, choice_count(k->choices), " or ", list, sizeof list));
        return buf;
    case K_MAP:
        snprintf(buf, size, "a mapping (keys: %s)",
                 join(names, key_names(k->children, names, 32), list, sizeof list));
        return buf;
    }
    return "valid";
}

/* "'name' must be …, got 'value'" (or "got a list" / "got a mapping"). */
static int bad_value(struct parse *p, const struct key *k, const char *name, yaml_mark_t mark,
                     const yaml_node_t *node, const char *raw)
{
    char what[768], value[MAX_SHOWN + 8], got[MAX_SHOWN + 16];
    if (node && node->type == YAML_SEQUENCE_NODE)
        snprintf(got, sizeof got, "a list");
    else if (node && node->type == YAML_MAPPING_NODE)
        snprintf(got, sizeof got, "a mapping");
    else
        snprintf(got, sizeof got, "'%s'", shown(raw ? raw : "", value, sizeof value));
    return fail_at(p, mark, "'%s' must be %s, got %s", name, describe(k, what, sizeof what), got);
}

/* ------------------------------------------------------------- scalars */

static const char *scalar_raw(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain ~, null or nothing: the key is present without a value. */
static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = scalar_raw(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

static bool is_var_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_var_char(char c)
{
    return is_var_start(c) || (c >= '0' && c <= '9');
}

/* The scalar's text with ${NAME} replaced from the environment; "$${" is a
 * literal "${".  *out is malloc'd (caller frees) on success. */
static int expand(struct parse *p, const char *name, const yaml_node_t *n, char **out)
{
    const char *s = scalar_raw(n);
    size_t len = n->data.scalar.length;
    struct sl_buf b;
    int rc = SL_ERROR;
    *out = NULL;
    if (strlen(s) != len)
        return fail_at(p, n->start_mark, "'%s' contains a NUL character", name);
    sl_buf_init(&b, MAX_VALUE_BYTES);
    for (size_t i = 0; i < len;) {
        if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') {
            if (sl_buf_append(&b, "${", 2))
                goto too_long;
            i += 3;
            continue;
        }
        if (s[i] != '$' || s[i + 1] != '{') {
            if (sl_buf_putc(&b, (uint8_t)s[i]))
                goto too_long;
            i++;
            continue;
        }
        const char *var = s + i + 2, *end = strchr(var, '}');
        if (!end) {
            fail_at(p, n->start_mark, "unterminated '${' in '%s'; write '$${' for a literal '${'",
                    name);
            goto out;
        }
        size_t var_len = (size_t)(end - var);
        bool valid = var_len > 0 && var_len < 256 && is_var_start(var[0]);
        for (size_t j = 1; valid && j < var_len; j++)
            valid = is_var_char(var[j]);
        char var_name[256];
        if (!valid) {
            char value[MAX_SHOWN + 8];
            fail_at(p, n->start_mark,
                    "'%s' in '%s' is not a valid environment variable name (letters, digits, _)",
                    shown(s + i, value, sizeof value), name);
            goto out;
        }
        memcpy(var_name, var, var_len);
        var_name[var_len] = '\0';
        const char *env = getenv(var_name);
        if (!env) {
            fail_at(p, n->start_mark, "environment variable '%s' is not set (used in '%s')",
                    var_name, name);
            goto out;
        }
        if (sl_buf_append(&b, env, strlen(env)))
            goto too_long;
        i = (size_t)(end - s) + 1;
    }
    if (sl_buf_putc(&b, '\0'))
        goto too_long;
    *out = (char *)b.data;
    b.data = NULL;
    rc = SL_OK;
    goto out;
too_long:
    fail_at(p, n->start_mark, "'%s' is longer than %u bytes after expansion", name,
            MAX_VALUE_BYTES);
out:
    sl_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------- paths */

/* `path` joined to `dir` unless absolute, then normalized lexically: no
 * empty, "." or ".." components (".." above the root stays at the root).
 * malloc'd; NULL when out of memory. */
static char *resolve_path(const char *dir, const char *path)
{
    size_t dl = path[0] == '/' ? 0 : strlen(dir);
    size_t pl = strlen(path);
    char *joined = malloc(dl + pl + 2), *out = malloc(dl + pl + 2);
    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    snprintf(joined, dl + pl + 2, "%.*s/%s", (int)dl, dir, path);
    size_t len = 0;
    for (char *c = joined; *c;) {
        while (*c == '/')
            c++;
        char *end = c + strcspn(c, "/");
        size_t n = (size_t)(end - c);
        if (n == 0 || (n == 1 && c[0] == '.')) {
            /* nothing */
        } else if (n == 2 && c[0] == '.' && c[1] == '.') {
            while (len > 0 && out[len] != '/')
                len--;
            out[len] = '\0';
        } else {
            out[len++] = '/';
            memcpy(out + len, c, n);
            len += n;
            out[len] = '\0'; /* so the ".." scan above never reads stale bytes as '/' */
        }
        c = end;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    free(joined);
    return out;
}

/* The absolute folder: realpath when it exists, else joined to the working
 * directory (config_parse may be given a folder that is not there). */
static char *absolute_dir(const char *dir)
{
    char *real = realpath(dir && *dir ? dir : ".", NULL);
    if (real || !dir || dir[0] == '/')
        return real ? real : resolve_path("/", dir ? dir : "/");
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    char *abs = resolve_path(cwd, dir);
    free(cwd);
    return abs;
}

/* ------------------------------------------------------------- setters */

static int store_string(struct parse *p, struct sl_config *cfg, const struct key *k, char *s)
{
    if (!s)
        return out_of_memory(p);
    char **f = field_str(cfg, k);
    free(*f);
    *f = s;
    return SL_OK;
}

static int set_string(struct parse *p, const struct key *k, const struct val *v,
                      struct sl_config *cfg)
{
    if (!v->text[0]) { /* "" (or a variable set to "") means unset */
        char **f = field_str(cfg, k);
        free(*f);
        *f = NULL;
        return SL_OK;
    }
    return store_string(p, cfg, k, strdup(v->text));
}

static int set_path(struct parse *p, const struct key *k, const struct val *v,
                    struct sl_config *cfg)
{
    if (!v->text[0])
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    return store_string(p, cfg, k, resolve_path(p->dir, v->text));
}

static int set_lake(struct parse *p, const struct key *k, const struct val *v,
                    struct sl_config *cfg)
{
    const char *t = v->text;
    if (!t[0])
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    if (!strstr(t, "://"))
        return store_string(p, cfg, k, resolve_path(p->dir, t));
    if (strncmp(t, "s3://", 5) != 0 || t[5] == '\0' || t[5] == '/')
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    const struct config_plugin *s3 = find_plugin("lake", "s3");
    if (s3 && !s3->planned)
        return store_string(p, cfg, k, strdup(t));
    /* The URL form is parsed above so that the message of a malformed one
     * stays the same the day the S3 store arrives. */
    return fail_at(p, v->mark,
                   "'%s' is an s3:// URL, but S3 lakes are not built yet; use a local folder "
                   "(lake: ./lake) and copy it to S3 after the run",
                   v->name);
}

/* sqlite://rel/app.db → sqlite:///<dir>/rel/app.db (a "?…" suffix is kept);
 * sqlite:///abs/app.db and other schemes stay as written. */
static int set_source(struct parse *p, const struct key *k, const struct val *v,
                      struct sl_config *cfg)
{
    const char *t = v->text, *sep = strstr(t, "://");
    char value[MAX_SHOWN + 8];
    /* postgres:host=db dbname=shop — a libpq conninfo string, passed as is */
    if ((!strncmp(t, "postgres:", 9) && t[9] != '/') ||
        (!strncmp(t, "postgresql:", 11) && t[11] != '/'))
        return store_string(p, cfg, k, strdup(t));
    /* A libpq conninfo without its postgres: prefix may carry a password
     * (host=db password=…): such a value is never shown. */
    if ((!sep || sep == t) && !strchr(t, '='))
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    if (!sep || sep == t)
        return fail_at(p, v->mark,
                       "'%s' has no URL scheme; expected sqlite:///path/app.db, "
                       "postgres://user@host:port/db or postgres:<libpq conninfo> "
                       "(e.g. postgres:host=db dbname=shop)",
                       v->name);
    size_t scheme_len = (size_t)(sep - t);
    size_t i = 0;
    for (; source_schemes[i]; i++)
        if (strlen(source_schemes[i]) == scheme_len && !strncmp(t, source_schemes[i], scheme_len))
            break;
    if (!source_schemes[i]) {
        char scheme[64], list[256];
        snprintf(scheme, sizeof scheme, "%.*s", (int)(scheme_len < 63 ? scheme_len : 63), t);
        const char *hint = closest(scheme, source_schemes, choice_count(source_schemes));
        return fail_at(p, v->mark, "'%s' has an unknown scheme '%s://'; expected one of: %s%s%s%s",
                       v->name, scheme,
                       join(source_schemes, choice_count(source_schemes), list, sizeof list),
                       hint ? "; did you mean '" : "", hint ? hint : "", hint ? "://'?" : "");
    }
    if (strcmp(source_schemes[i], "sqlite") != 0)
        return store_string(p, cfg, k, strdup(t));
    const char *file = sep + 3;
    size_t file_len = strcspn(file, "?");
    if (file_len == 0)
        return fail_at(p, v->mark,
                       "'%s' needs a database file after sqlite:// (sqlite:///abs/app.db or "
                       "sqlite://relative/app.db), got '%s'",
                       v->name, shown(v->raw, value, sizeof value));
    if (file[0] == '/')
        return store_string(p, cfg, k, strdup(t));
    char *rel = strndup(file, file_len);
    char *abs = rel ? resolve_path(p->dir, rel) : NULL;
    free(rel);
    if (!abs)
        return out_of_memory(p);
    size_t n = strlen("sqlite://") + strlen(abs) + strlen(file + file_len) + 1;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "sqlite://%s%s", abs, file + file_len);
    free(abs);
    return store_string(p, cfg, k, url);
}

static int set_int(struct parse *p, const struct key *k, const struct val *v,
                   struct sl_config *cfg)
{
    const char *t = v->text;
    const char *digits = (t[0] == '-' || t[0] == '+') ? t + 1 : t;
    char *end;
    errno = 0;
    long n = strtol(t, &end, 10);
    if (*digits < '0' || *digits > '9' || *end || errno || n < k->min || n > k->max)
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    *field_int(cfg, k) = (int)n;
    return SL_OK;
}

/* A decimal number ("0.5", "2", "1e-3"); no "inf" or "nan": strtod takes
 * them, the range check would not. */
static int set_number(struct parse *p, const struct key *k, const struct val *v,
                      struct sl_config *cfg)
{
    const char *t = v->text;
    char *end;
    errno = 0;
    double d = strtod(t, &end);
    if (!((t[0] >= '0' && t[0] <= '9') || t[0] == '.' || t[0] == '-' || t[0] == '+') ||
        end == t || *end || errno || !(d >= (double)k->min && d <= (double)k->max))
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    *(double *)((char *)cfg + k->offset) = d;
    return SL_OK;
}

/* Index of `text` in k->choices, or an error with the closest choice. */
static int find_choice(struct parse *p, const struct key *k, const struct val *v, size_t *index)
{
    size_t count = choice_count(k->choices);
    for (size_t i = 0; i < count; i++) {
        if (!strcmp(v->text, k->choices[i])) {
            *index = i;
            return SL_OK;
        }
    }
    for (size_t i = 0; k->planned && k->planned[i]; i++)
        if (!strcmp(v->text, k->planned[i])) {
            char list[256];
            return fail_at(p, v->mark, "'%s: %s' is not built yet; this build has %s", v->name,
                           k->planned[i], join_with(k->choices, count, " or ", list, sizeof list));
        }
    const char *hint = closest(v->text, k->choices, count);
    char what[512], value[MAX_SHOWN + 8];
    return fail_at(p, v->mark, "'%s' must be %s, got '%s'%s%s%s", v->name,
                   describe(k, what, sizeof what), shown(v->raw, value, sizeof value),
                   hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
}

static int set_choice(struct parse *p, const struct key *k, const struct val *v,
                      struct sl_config *cfg)
{
    size_t i;
    if (find_choice(p, k, v, &i))
        return SL_ERROR;
    return store_string(p, cfg, k, strdup(k->choices[i]));
}

static int set_codec(struct parse *p, const struct key *k, const struct val *v,
                     struct sl_config *cfg)
{
    size_t i;
    if (find_choice(p, k, v, &i))
        return SL_ERROR;
    *(enum pq_codec *)((char *)cfg + k->offset) = codec_values[i];
    return SL_OK;
}

/* Two digits at t, below `limit`, into *out. */
static bool two_digits(const char *t, int limit, int *out)
{
    if (t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9')
        return false;
    *out = (t[0] - '0') * 10 + (t[1] - '0');
    return *out < limit;
}

/* "H:MM" or "HH:MM", 00:00 … 23:59, local time; or with a UTC offset:
 * "HH:MMZ", "HH:MM+02:00", "HH:MM -05:00" (named zones are not read: the
 * only way to use one, setenv("TZ"), is not thread-safe).  Stored as
 * "HH:MM", "HH:MMZ" or "HH:MM+HH:MM" (flow/deadline.c reads it). */
static int set_hhmm(struct parse *p, const struct key *k, const struct val *v,
                    struct sl_config *cfg)
{
    const char *t = v->text;
    int h = 0, m = 0, i = 0, oh = 0, om = 0;
    for (; i < 2 && t[i] >= '0' && t[i] <= '9'; i++)
        h = h * 10 + (t[i] - '0');
    bool ok = i > 0 && t[i] == ':' && two_digits(t + i + 1, 60, &m) && h < 24;
    const char *z = ok ? t + i + 3 : "";
    if (*z == ' ')
        z++;
    char zone[8] = "";
    if (ok && *z && !strcmp(z, "Z"))
        snprintf(zone, sizeof zone, "Z");
    else if (ok && *z)
        ok = (z[0] == '+' || z[0] == '-') && two_digits(z + 1, 15, &oh) && z[3] == ':' &&
             two_digits(z + 4, 60, &om) && z[6] == '\0';
    if (ok && *z && !zone[0])
        snprintf(zone, sizeof zone, "%c%02d:%02d", z[0], oh, om);
    if (!ok)
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    char buf[24];
    snprintf(buf, sizeof buf, "%02d:%02d%s", h, m, zone);
    return store_string(p, cfg, k, strdup(buf));
}

/* A duration: a number of seconds ("30", "0.5"), or a string of one or
 * more <number><unit> parts, unit s, m or h, largest first ("90s", "30m",
 * "1h30m", "1.5h").  Above 0 and at most k->max seconds. */
static int set_duration(struct parse *p, const struct key *k, const struct val *v,
                        struct sl_config *cfg)
{
    const char *t = v->text;
    double total = 0;
    int parts = 0, last_unit = 4; /* h = 3, m = 2, s = 1: each part smaller than the one before */
    bool ok = true;
    while (ok && *t) {
        char *end;
        if (!((*t >= '0' && *t <= '9') || *t == '.'))
            break;
        errno = 0;
        double d = strtod(t, &end);
        ok = end != t && !errno;
        int unit = *end == 'h' ? 3 : *end == 'm' ? 2 : *end == 's' ? 1 : 0;
        if (!unit && (parts > 0 || *end)) /* a bare number only alone */
            ok = false;
        if (unit && unit >= last_unit)
            ok = false;
        total += d * (unit == 3 ? 3600 : unit == 2 ? 60 : 1);
        last_unit = unit ? unit : 0;
        t = unit ? end + 1 : end;
        parts++;
    }
    if (!ok || *t || parts == 0 || !(total > 0 && total <= (double)k->max))
        return bad_value(p, k, v->name, v->mark, v->node, v->raw);
    *(double *)((char *)cfg + k->offset) = total;
    return SL_OK;
}

/* Append one pattern node to the list in cfg. */
static int add_glob(struct parse *p, const struct key *k, const char *name, const yaml_node_t *n,
                    struct sl_config *cfg)
{
    char ***list = (char ***)((char *)cfg + k->offset);
    int *count = (int *)((char *)cfg + k->count_offset);
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return bad_value(p, k, name, n->start_mark, n, scalar_raw(n));
    if (*count >= MAX_LIST)
        return fail_at(p, n->start_mark, "'%s' has more than %d patterns", name, MAX_LIST);
    char *text;
    if (expand(p, name, n, &text))
        return SL_ERROR;
    if (!text[0]) {
        free(text);
        return fail_at(p, n->start_mark, "'%s' has an empty pattern", name);
    }
    char **grown = realloc(*list, (size_t)(*count + 1) * sizeof **list);
    if (!grown) {
        free(text);
        return out_of_memory(p);
    }
    *list = grown;
    grown[(*count)++] = text;
    return SL_OK;
}

static int set_globs(struct parse *p, const struct key *k, const struct val *v,
                     struct sl_config *cfg)
{
    const yaml_node_t *n = v->node;
    if (n->type == YAML_SCALAR_NODE)
        return add_glob(p, k, v->name, n, cfg);
    if (n->type != YAML_SEQUENCE_NODE)
        return bad_value(p, k, v->name, v->mark, n, NULL);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(p->doc, *it);
        if (!item)
            return out_of_memory(p);
        if (item->type != YAML_SCALAR_NODE)
            return fail_at(p, item->start_mark,
                           "'%s' must be a list of strings, got a %s as an item",
                           v->name, item->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        if (add_glob(p, k, v->name, item, cfg))
            return SL_ERROR;
    }
    return SL_OK;
}

static int walk_mapping(struct parse *p, const struct key *keys, const char *parent,
                        const yaml_node_t *map, struct sl_config *cfg);

static int set_map(struct parse *p, const struct key *k, const struct val *v,
                   struct sl_config *cfg)
{
    if (v->node->type != YAML_MAPPING_NODE)
        return bad_value(p, k, v->name, v->mark, v->node,
                         v->node->type == YAML_SCALAR_NODE ? scalar_raw(v->node) : NULL);
    if (walk_mapping(p, k->children, v->name, v->node, cfg))
        return SL_ERROR;
    return k->check ? k->check(p, v->node, cfg) : SL_OK;
}

/* ------------------------------------------------------------- the walk */

static const struct key *find_key(const struct key *keys, const char *name)
{
    for (; keys->name; keys++)
        if (!strcmp(keys->name, name))
            return keys;
    return NULL;
}

/* The value node of `name` in mapping `map`, or NULL. */
static const yaml_node_t *lookup(struct parse *p, const yaml_node_t *map, const char *name)
{
    if (!map)
        return NULL;
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
        if (kn && kn->type == YAML_SCALAR_NODE && !strcmp(scalar_raw(kn), name))
            return yaml_document_get_node(p->doc, pair->value);
    }
    return NULL;
}

static int unknown_key(struct parse *p, const struct key *keys, const char *parent,
                       const yaml_node_t *kn)
{
    const char *names[32], *word = scalar_raw(kn);
    char list[512], where[128], hint[160] = "", value[MAX_SHOWN + 8];
    size_t n = key_names(keys, names, 32);
    const char *near = closest(word, names, n);
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    if (!parent[0]) { /* a nested key written at the top: say where it belongs */
        for (const struct key *k = keys; k->name && !near; k++)
            if (k->kind == K_MAP && find_key(k->children, word)) {
                snprintf(hint, sizeof hint, "; '%s' belongs under '%s:'", word, k->name);
                break;
            }
    }
    if (parent[0])
        snprintf(where, sizeof where, "in '%s'", parent);
    else
        snprintf(where, sizeof where, "in the top level");
    return fail_at(p, kn->start_mark, "unknown key '%s' %s; expected one of: %s%s",
                   shown(word, value, sizeof value), where, join(names, n, list, sizeof list),
                   hint);
}

/* Apply one key's value node. */
static int apply(struct parse *p, const struct key *k, const char *name, const yaml_node_t *vn,
                 struct sl_config *cfg)
{
    struct val v = {.node = vn, .mark = vn->start_mark, .name = name};
    if (is_null(vn)) {
        char what[512];
        if (k->required)
            return fail_at(p, vn->start_mark, "'%s' must not be empty; it must be %s", name,
                           describe(k, what, sizeof what));
        return SL_OK; /* present without a value: the default stays */
    }
    if (!kinds[k->kind].scalar)
        return kinds[k->kind].set(p, k, &v, cfg);
    if (vn->type != YAML_SCALAR_NODE)
        return bad_value(p, k, name, vn->start_mark, vn, NULL);
    char *text;
    if (expand(p, name, vn, &text))
        return SL_ERROR;
    v.text = text;
    v.raw = scalar_raw(vn);
    int rc = kinds[k->kind].set(p, k, &v, cfg);
    free(text);
    if (rc == SL_OK && k->pos_offset) {
        struct config_pos *at = (struct config_pos *)((char *)cfg + k->pos_offset);
        at->line = (int)vn->start_mark.line + 1;
        at->column = (int)vn->start_mark.column + 1;
    }
    return rc;
}

#define return_if_error(x)                                                          \
    do {                                                                            \
        if (x)                                                                      \
            return SL_ERROR;                                                        \
    } while (0)

/* ------------------------------------------------------ plug-in options */

/* The plug-in whose own top-level key is `key`. */
static const struct config_plugin *plugin_by_key(const char *key)
{
    for (size_t i = 0; config_plugins[i]; i++)
        if (config_plugins[i]->key && !strcmp(config_plugins[i]->key, key))
            return config_plugins[i];
    return NULL;
}

static const struct config_option *find_option(const struct config_plugin *pl, const char *name)
{
    for (const struct config_option *o = pl->options; o && o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

/* One option's text checked against its kind. */
static bool option_valid(const struct config_option *o, const char *t)
{
    char *end;
    errno = 0;
    switch (o->kind) {
    case CONFIG_OPT_STRING:
        return t[0] != 0;
    case CONFIG_OPT_INT: {
        long n = strtol(t, &end, 10);
        return t[0] && !*end && !errno && n >= o->min && n <= o->max;
    }
    case CONFIG_OPT_NUMBER: {
        double d = strtod(t, &end);
        return ((t[0] >= '0' && t[0] <= '9') || t[0] == '.' || t[0] == '-') && !*end &&
               !errno && d >= o->min && d <= o->max;
    }
    case CONFIG_OPT_BOOL:
        return !strcmp(t, "true") || !strcmp(t, "false") || !strcmp(t, "yes") ||
               !strcmp(t, "no") || !strcmp(t, "on") || !strcmp(t, "off");
    }
    return false;
}

static const char *option_expected(const struct config_option *o, char *buf, size_t size)
{
    switch (o->kind) {
    case CONFIG_OPT_STRING:
        return "a non-empty string";
    case CONFIG_OPT_INT:
        snprintf(buf, size, "an integer between %.0f and %.0f", o->min, o->max);
        return buf;
    case CONFIG_OPT_NUMBER:
        snprintf(buf, size, "a number between %g and %g", o->min, o->max);
        return buf;
    case CONFIG_OPT_BOOL:
        return "true or false";
    }
    return "valid";
}

/* `<key>: { … }`: every pair checked against the plug-in's table, the
 * values kept as text in cfg->options. */
static int plugin_section(struct parse *p, const struct config_plugin *pl, const yaml_node_t *map,
                          struct sl_config *cfg)
{
    if (is_null(map))
        return SL_OK;
    const char *names[32];
    char list[512], value[MAX_SHOWN + 8];
    size_t n = 0;
    for (const struct config_option *o = pl->options; o && o->name && n < 32; o++)
        names[n++] = o->name;
    if (map->type != YAML_MAPPING_NODE)
        return fail_at(p, map->start_mark, "'%s' must be a mapping (keys: %s)", pl->key,
                       join(names, n, list, sizeof list));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(p->doc, pair->value);
        if (!kn || !vn)
            return out_of_memory(p);
        if (kn->type != YAML_SCALAR_NODE)
            return fail_at(p, kn->start_mark, "keys must be plain names");
        const char *word = scalar_raw(kn);
        const struct config_option *o = find_option(pl, word);
        if (!o) {
            const char *near = closest(word, names, n);
            return fail_at(p, kn->start_mark, "unknown key '%s' in '%s'; expected one of: %s%s%s%s",
                           shown(word, value, sizeof value), pl->key,
                           join(names, n, list, sizeof list), near ? "; did you mean '" : "",
                           near ? near : "", near ? "'?" : "");
        }
        for (int i = 0; i < cfg->n_options; i++)
            if (!strcmp(cfg->options[i].section, pl->key) && !strcmp(cfg->options[i].name, o->name))
                return fail_at(p, kn->start_mark, "duplicate key '%s' (first at line %d, column %d)",
                               o->name, cfg->options[i].at.line, cfg->options[i].at.column);
        char dotted[128], what[128];
        snprintf(dotted, sizeof dotted, "%s.%s", pl->key, o->name);
        if (is_null(vn))
            continue; /* present without a value: the default stays */
        if (vn->type != YAML_SCALAR_NODE)
            return fail_at(p, vn->start_mark, "'%s' must be %s, got a %s", dotted,
                           option_expected(o, what, sizeof what),
                           vn->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        char *text;
        if (expand(p, dotted, vn, &text))
            return SL_ERROR;
        if (!option_valid(o, text)) {
            free(text);
            return fail_at(p, vn->start_mark, "'%s' must be %s, got '%s'", dotted,
                           option_expected(o, what, sizeof what),
                           shown(scalar_raw(vn), value, sizeof value));
        }
        struct config_value *grown =
            realloc(cfg->options, (size_t)(cfg->n_options + 1) * sizeof *grown);
        if (!grown) {
            free(text);
            return out_of_memory(p);
        }
        cfg->options = grown;
        cfg->options[cfg->n_options++] = (struct config_value){
            .section = pl->key, .name = o->name, .text = text,
            .at = {(int)vn->start_mark.line + 1, (int)vn->start_mark.column + 1}};
    }
    return SL_OK;
}

/* The chosen lake, catalog and engine: their required options are set and
 * what they need of each other holds.  Errors point at the choice. */
static int check_plugins(struct parse *p, struct sl_config *cfg)
{
    struct {
        const char *role, *name;
        struct config_pos at;
    } chosen[] = {
        {"lake", strncmp(cfg->lake, "s3://", 5) ? "" : "s3", cfg->lake_at},
        {"catalog", cfg->catalog, cfg->catalog_at},
        {"engine", cfg->engine, cfg->engine_at},
    };
    for (size_t c = 0; c < sizeof chosen / sizeof *chosen; c++) {
        const struct config_plugin *pl = find_plugin(chosen[c].role, chosen[c].name);
        if (!pl)
            continue;
        yaml_mark_t mark = {.line = chosen[c].at.line ? (size_t)chosen[c].at.line - 1 : 0,
                            .column = chosen[c].at.column ? (size_t)chosen[c].at.column - 1 : 0};
        char choice[96];
        if (!strcmp(pl->role, "lake"))
            snprintf(choice, sizeof choice, "lake: %s://…", pl->name);
        else
            snprintf(choice, sizeof choice, "%s: %s", pl->role, pl->name);
        for (const struct config_option *o = pl->options; o && o->name; o++)
            if (o->required && !config_option(cfg, pl->key, o->name))
                return fail_at(p, mark, "'%s' needs '%s.%s' (%s: { %s })", choice, pl->key,
                               o->name, pl->key, o->example ? o->example : o->name);
        for (size_t r = 0; pl->requires && pl->requires[r]; r++) {
            const char *eq = strchr(pl->requires[r], '=');
            size_t len = eq ? (size_t)(eq - pl->requires[r]) : 0;
            for (size_t o = 0; eq && o < sizeof chosen / sizeof *chosen; o++)
                if (strlen(chosen[o].role) == len && !strncmp(chosen[o].role, pl->requires[r], len) &&
                    strcmp(chosen[o].name, eq + 1))
                    return fail_at(p, mark, "'%s' needs %s: %s%s (this file has %s: %s)", choice,
                                   chosen[o].role, eq + 1, !strcmp(chosen[o].role, "lake") ? "://…" : "",
                                   chosen[o].role,
                                   !strcmp(chosen[o].role, "lake") ? cfg->lake : chosen[o].name);
        }
    }
    return SL_OK;
}

const char *config_option(const struct sl_config *cfg, const char *section, const char *name)
{
    for (int i = cfg->n_options - 1; i >= 0; i--)
        if (!strcmp(cfg->options[i].section, section) && !strcmp(cfg->options[i].name, name))
            return cfg->options[i].text;
    const struct config_plugin *pl = plugin_by_key(section);
    const struct config_option *o = pl ? find_option(pl, name) : NULL;
    return o ? o->def : NULL;
}

double config_option_number(const struct sl_config *cfg, const char *section, const char *name,
                            double fallback)
{
    const char *t = config_option(cfg, section, name);
    return t ? strtod(t, NULL) : fallback;
}

bool config_option_bool(const struct sl_config *cfg, const char *section, const char *name,
                        bool fallback)
{
    const char *t = config_option(cfg, section, name);
    if (!t)
        return fallback;
    return !strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "on");
}

const char *config_option_where(const struct sl_config *cfg, const char *section,
                                const char *name, char *buf, size_t size)
{
    for (int i = 0; i < cfg->n_options; i++)
        if (!strcmp(cfg->options[i].section, section) && !strcmp(cfg->options[i].name, name))
            return config_where(cfg, cfg->options[i].at, buf, size);
    return config_where(cfg, (struct config_pos){0, 0}, buf, size);
}

static int walk_mapping(struct parse *p, const struct key *keys, const char *parent,
                        const yaml_node_t *map, struct sl_config *cfg)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(p->doc, pair->value);
        if (!kn || !vn)
            return out_of_memory(p);
        if (kn->type != YAML_SCALAR_NODE || strlen(scalar_raw(kn)) != kn->data.scalar.length)
            return fail_at(p, kn->start_mark, "keys must be plain names%s",
                           parent[0] ? "" : " (source, lake, …)");
        const char *word = scalar_raw(kn);
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
            const yaml_node_t *qn = yaml_document_get_node(p->doc, q->key);
            if (qn && qn->type == YAML_SCALAR_NODE && !strcmp(scalar_raw(qn), word)) {
                char value[MAX_SHOWN + 8];
                return fail_at(p, kn->start_mark,
                               "duplicate key '%s' (first at line %zu, column %zu)",
                               shown(word, value, sizeof value), qn->start_mark.line + 1,
                               qn->start_mark.column + 1);
            }
        }
        const struct key *k = find_key(keys, word);
        if (!k && !parent[0] && plugin_by_key(word))
            return_if_error(plugin_section(p, plugin_by_key(word), vn, cfg));
        else if (!k)
            return unknown_key(p, keys, parent, kn);
        if (!k)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%s%s%s", parent, parent[0] ? "." : "", k->name);
        if (apply(p, k, name, vn, cfg))
            return SL_ERROR;
    }
    return SL_OK;
}

/* gzip levels are 1..9 (0 = default); zstd takes the whole -7..22 range.
 * A bloom filter pattern names a table and a column: it has a dot. */
static int check_parquet(struct parse *p, const yaml_node_t *map, struct sl_config *cfg)
{
    for (int i = 0; i < cfg->n_bloom_filter_columns; i++) {
        if (strchr(cfg->bloom_filter_columns[i], '.'))
            continue;
        const yaml_node_t *n = lookup(p, map, "bloom_filter_columns");
        return fail_at(p, n ? n->start_mark : map->start_mark,
                       "'parquet.bloom_filter_columns' entries are \"<table>.<column>\" "
                       "(globs allowed, e.g. \"orders.customer_id\" or \"*.email\"), got \"%s\"",
                       cfg->bloom_filter_columns[i]);
    }
    if (cfg->compression != PQ_CODEC_GZIP || (cfg->compression_level >= 0 &&
                                               cfg->compression_level <= 9))
        return SL_OK;
    const yaml_node_t *n = lookup(p, map, "compression_level");
    yaml_mark_t mark = n ? n->start_mark : map->start_mark;
    return fail_at(p, mark,
                   "'parquet.compression_level' must be between 0 and 9 with gzip, got %d",
                   cfg->compression_level);
}

/* run.retries is the short form of run.retry.max_attempts: one of them
 * sets the other; both in the file would be two answers to one question. */
static int check_run(struct parse *p, const yaml_node_t *map, struct sl_config *cfg)
{
    const yaml_node_t *retries = lookup(p, map, "retries"), *retry = lookup(p, map, "retry");
    const yaml_node_t *attempts =
        retry && retry->type == YAML_MAPPING_NODE ? lookup(p, retry, "max_attempts") : NULL;
    if (retries && is_null(retries))
        retries = NULL;
    if (attempts && is_null(attempts))
        attempts = NULL;
    if (retries && attempts)
        return fail_at(p, attempts->start_mark,
                       "'run.retry.max_attempts' and 'run.retries' (line %zu, column %zu) both "
                       "set how often a task is tried; keep one (run.retries: %d is "
                       "run.retry.max_attempts: %d)",
                       retries->start_mark.line + 1, retries->start_mark.column + 1,
                       cfg->retries, cfg->retries == INT_MAX ? INT_MAX : cfg->retries + 1);
    if (retries)
        cfg->retry.max_attempts = cfg->retries == INT_MAX ? INT_MAX : cfg->retries + 1;
    else
        cfg->retries = cfg->retry.max_attempts - 1;
    return SL_OK;
}

/* Every default in the tables, through the same setters as the file's values. */
static int apply_defaults(struct parse *p, const struct key *keys, struct sl_config *cfg)
{
    for (const struct key *k = keys; k->name; k++) {
        if (k->kind == K_MAP) {
            if (apply_defaults(p, k->children, cfg))
                return SL_ERROR;
        } else if (k->def_fn) {
            *field_int(cfg, k) = k->def_fn();
        } else if (k->def) {
            struct val v = {.text = k->def, .raw = k->def, .name = k->name};
            if (kinds[k->kind].set(p, k, &v, cfg))
                return SL_ERROR;
        }
    }
    return SL_OK;
}

static int check_required(struct parse *p, const struct key *keys, struct sl_config *cfg)
{
    for (const struct key *k = keys; k->name; k++) {
        if (k->required && !*field_str(cfg, k)) {
            char what[512];
            return sl_err_set(p->err, false, STAGE, p->name,
                              "missing required key '%s' in %s; it must be %s", k->name, p->name,
                              describe(k, what, sizeof what));
        }
    }
    return SL_OK;
}

/* libyaml's problem and mark as our error.  Reader errors (bad UTF-8, control
 * characters) carry a byte offset only: turned into line:column here. */
static int yaml_problem(struct parse *p, const yaml_parser_t *y, const char *text)
{
    if (y->error == YAML_MEMORY_ERROR)
        return out_of_memory(p);
    if (y->error == YAML_READER_ERROR) {
        yaml_mark_t mark = {0};
        for (size_t i = 0; i < y->problem_offset && text[i]; i++) {
            if (text[i] == '\n') {
                mark.line++;
                mark.column = 0;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                mark.column++;
            }
        }
        if (y->problem_value != -1)
            return fail_at(p, mark, "%s (byte 0x%02X)", y->problem ? y->problem : "unreadable",
                           (unsigned)y->problem_value & 0xFF);
        return fail_at(p, mark, "%s", y->problem ? y->problem : "unreadable");
    }
    const char *problem = y->problem ? y->problem : "invalid YAML";
    if (y->context)
        return fail_at(p, y->problem_mark, "%s (%s started at line %zu, column %zu)", problem,
                       y->context, y->context_mark.line + 1, y->context_mark.column + 1);
    return fail_at(p, y->problem_mark, "%s", problem);
}

/* ------------------------------------------------------------- API */

int config_parse(const char *text, const char *name, const char *dir, struct sl_config *cfg,
                 struct sl_err *err)
{
    yaml_parser_t y;
    yaml_document_t doc, next;
    bool parser_ready = false, doc_ready = false;
    struct parse p = {.name = name ? name : "(config)", .err = err, .doc = &doc};
    int rc = SL_ERROR;

    memset(cfg, 0, sizeof *cfg);
    cfg->path = strdup(p.name);
    cfg->dir = absolute_dir(dir);
    if (!cfg->path || !cfg->dir) {
        out_of_memory(&p);
        goto out;
    }
    p.dir = cfg->dir;
    pthread_once(&plugin_names_once, plugin_names_init);
    if (apply_defaults(&p, top_keys, cfg))
        goto out;
    if (!yaml_parser_initialize(&y)) {
        out_of_memory(&p);
        goto out;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&y, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&y, &doc)) {
        yaml_problem(&p, &y, text);
        goto out;
    }
    doc_ready = true;
    /* A second document would be silently ignored: refuse it. */
    if (!yaml_parser_load(&y, &next)) {
        yaml_problem(&p, &y, text);
        goto out;
    }
    yaml_node_t *extra = yaml_document_get_root_node(&next);
    yaml_mark_t extra_mark = next.start_mark;
    yaml_document_delete(&next);
    if (extra) {
        fail_at(&p, extra_mark, "only one YAML document is allowed in a config file");
        goto out;
    }
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) {
        if (root->type != YAML_MAPPING_NODE) {
            fail_at(&p, root->start_mark,
                    "the top level must be a mapping of keys (source: …, lake: …)");
            goto out;
        }
        if (walk_mapping(&p, top_keys, "", root, cfg))
            goto out;
    }
    if (check_required(&p, top_keys, cfg) || check_plugins(&p, cfg))
        goto out;
    rc = SL_OK;
out:
    if (doc_ready)
        yaml_document_delete(&doc);
    if (parser_ready)
        yaml_parser_delete(&y);
    if (rc != SL_OK)
        config_free(cfg);
    return rc;
}

/* The whole file, NUL-terminated, at most MAX_FILE_BYTES. */
static int read_file(const char *path, char **out, struct sl_err *err)
{
    struct sl_buf b;
    int rc = SL_ERROR;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return sl_err_set(err, false, STAGE, path, "cannot open the config file: %s",
                          strerror(errno));
    sl_buf_init(&b, MAX_FILE_BYTES + 4096);
    for (;;) {
        if (sl_buf_reserve(&b, 4096)) {
            sl_err_set(err, false, STAGE, path, "the config file is larger than %u bytes",
                       MAX_FILE_BYTES);
            goto out;
        }
        size_t n = fread(b.data + b.len, 1, 4096, f);
        b.len += n;
        if (n < 4096)
            break;
    }
    if (ferror(f)) {
        sl_err_set(err, false, STAGE, path, "cannot read the config file: %s", strerror(errno));
        goto out;
    }
    if (b.len > MAX_FILE_BYTES) {
        sl_err_set(err, false, STAGE, path, "the config file is larger than %u bytes",
                   MAX_FILE_BYTES);
        goto out;
    }
    if (memchr(b.data, '\0', b.len)) {
        sl_err_set(err, false, STAGE, path, "the config file contains a NUL byte; is it text?");
        goto out;
    }
    b.data[b.len] = '\0'; /* room reserved by the last sl_buf_reserve */
    *out = (char *)b.data;
    b.data = NULL;
    rc = SL_OK;
out:
    sl_buf_free(&b);
    fclose(f);
    return rc;
}

int config_load(const char *path, struct sl_config *cfg, struct sl_err *err)
{
    char *text = NULL, *dir = NULL;
    int rc = SL_ERROR;
    memset(cfg, 0, sizeof *cfg);
    if (read_file(path, &text, err))
        goto out;
    const char *slash = strrchr(path, '/');
    dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) {
        sl_err_set(err, false, STAGE, path, "out of memory");
        goto out;
    }
    rc = config_parse(text, path, dir, cfg, err);
out:
    free(text);
    free(dir);
    return rc;
}

static void free_keys(const struct key *keys, struct sl_config *cfg)
{
    for (const struct key *k = keys; k->name; k++) {
        if (k->kind == K_MAP) {
            free_keys(k->children, cfg);
        } else if (k->kind == K_GLOBS) {
            char **list = *(char ***)((char *)cfg + k->offset);
            int count = *(int *)((char *)cfg + k->count_offset);
            for (int i = 0; list && i < count; i++)
                free(list[i]);
            free(list);
        } else if (kinds[k->kind].owns_string) {
            free(*field_str(cfg, k));
        }
    }
}

void config_free(struct sl_config *cfg)
{
    if (!cfg)
        return;
    free_keys(top_keys, cfg);
    for (int i = 0; i < cfg->n_options; i++)
        free(cfg->options[i].text);
    free(cfg->options);
    free(cfg->path);
    free(cfg->dir);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_where(const struct sl_config *cfg, struct config_pos at, char *buf,
                         size_t size)
{
    if (at.line > 0)
        snprintf(buf, size, "%s:%d:%d", cfg->path, at.line, at.column);
    else
        snprintf(buf, size, "%s", cfg->path);
    return buf;
}

static bool matches_any(char *const *patterns, int count, const char *qualified,
                        const char *table)
{
    for (int i = 0; i < count; i++)
        if (fnmatch(patterns[i], qualified, 0) == 0 || fnmatch(patterns[i], table, 0) == 0)
            return true;
    return false;
}

bool config_table_selected(const struct sl_config *cfg, const char *schema, const char *table)
{
    if (!cfg || !table)
        return false;
    /* "schema.table" in a stack buffer; names longer than it are allocated. */
    char local[512], *joined = NULL;
    const char *qualified = table;
    if (schema && schema[0]) {
        size_t n = strlen(schema) + strlen(table) + 2;
        char *buf = n <= sizeof local ? local : (joined = malloc(n));
        if (!buf)
            return false;
        snprintf(buf, n, "%s.%s", schema, table);
        qualified = buf;
    }
    bool selected = (cfg->n_include == 0 ||
                     matches_any(cfg->include, cfg->n_include, qualified, table)) &&
                    !matches_any(cfg->exclude, cfg->n_exclude, qualified, table);
    free(joined);
    return selected;
}
