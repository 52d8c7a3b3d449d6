/* version.h — the one place the version lives. */
#ifndef SL_UTIL_VERSION_H
#define SL_UTIL_VERSION_H
#define SL_VERSION "0.1.0"

/* "snaplake version 0.1.0 (build <git hash>)": Parquet created_by, --version.
 * Only version.c sees the build hash, so a new commit rebuilds one object. */
const char *sl_created_by(void);

#endif
