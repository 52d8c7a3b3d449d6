/* version.h — the one place the version lives. */
#ifndef SL_UTIL_VERSION_H
#define SL_UTIL_VERSION_H
#define SL_VERSION "0.1.0"
#ifndef SL_BUILD
#define SL_BUILD "dev"
#endif
#define SL_CREATED_BY "snaplake version " SL_VERSION " (build " SL_BUILD ")"
#endif
