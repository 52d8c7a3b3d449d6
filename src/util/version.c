/* version.c — see version.h.  The Makefile passes SL_BUILD to this file only. */
#include "util/version.h"

#ifndef SL_BUILD
#define SL_BUILD "dev"
#endif

const char *sl_created_by(void) { return "snaplake version " SL_VERSION " (build " SL_BUILD ")"; }
