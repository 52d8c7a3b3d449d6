#!/usr/bin/env bash
# install.sh — `make install`: the binary, the man page and the example models
# land under PREFIX (staged in DESTDIR); the installed binary finds the DuckDB
# library installed beside it (RUNPATH $ORIGIN/../lib/snaplake, nothing of the
# source tree), and `snaplake demo` works from it, from a folder outside the
# source tree, and still after the whole tree is moved elsewhere.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/install.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

ROOT=$T/root
P=$ROOT/usr/local
if make -C "$SNAPLAKE_TOP" install DESTDIR="$ROOT" PREFIX=/usr/local >"$T/make.log" 2>&1; then
    pass make-install
else
    fail make-install "$(tail -c 600 "$T/make.log" | tr '\n' '|')"
fi
missing=()
for f in bin/snaplake share/man/man1/snaplake.1 share/snaplake/examples/shop/models/stage1 \
    share/snaplake/examples/shop/models/stage2; do
    [ -e "$P/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then pass installed-files; else fail installed-files "${missing[@]}"; fi
if [ -x "$P/bin/snaplake" ]; then pass installed-binary-executable; else fail installed-binary-executable "$(ls -l "$P/bin" 2>&1)"; fi

# The man page renders (man -l when man is there).
if command -v man >/dev/null 2>&1; then
    if MANWIDTH=100 man -l "$P/share/man/man1/snaplake.1" 2>/dev/null | grep -q 'snaplake - copy a database'; then
        pass man-page
    else
        fail man-page "man -l did not render the NAME section"
    fi
else
    check man-page test -s "$P/share/man/man1/snaplake.1"
fi

# The DuckDB library: beside the binary unless the build uses a system DuckDB.
system_duckdb=0
[ -e /usr/include/duckdb.h ] || [ -e /usr/local/include/duckdb.h ] && system_duckdb=1
runpath=$(readelf -d "$P/bin/snaplake" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p; s/.*(RPATH).*\[\(.*\)\]/\1/p')
if [ "$system_duckdb" = 1 ]; then
    pass "runpath (system DuckDB: $runpath)"
elif [ "$runpath" = '$ORIGIN/../lib/snaplake' ]; then
    pass runpath-relative-only
else
    fail runpath-relative-only "RUNPATH is '$runpath', want '\$ORIGIN/../lib/snaplake' (nothing of $SNAPLAKE_TOP)"
fi
# resolved_duckdb BINARY — the libduckdb.so the dynamic linker would load.
resolved_duckdb() { ldd "$1" 2>/dev/null | sed -n 's/^[[:space:]]*libduckdb[^ ]* => \([^ ]*\).*/\1/p'; }
if [ "$system_duckdb" = 0 ]; then
    lib=$(resolved_duckdb "$P/bin/snaplake")
    case "$(realpath -m "$lib" 2>/dev/null)" in
    "$P/lib/snaplake/libduckdb.so") pass libduckdb-from-install ;;
    *) fail libduckdb-from-install "ldd resolves libduckdb to '$lib', want $P/lib/snaplake/libduckdb.so" ;;
    esac
fi

# demo from the installed binary, from a folder outside the source tree, with
# no SNAPLAKE_EXAMPLES: the models come from share/snaplake/examples.
mkdir -p "$T/elsewhere"
run_demo() { # name, binary, dir
    (cd "$T/elsewhere" && env -u SNAPLAKE_EXAMPLES "$2" demo --dir "$3" --rows 2000 -j 2 >"$T/out" 2>"$T/err")
    RC=$?
    if [ "$RC" -eq 0 ] && [ -s "$3/lake/_snaplake/current" ] && [ -e "$3/models/stage2" ] &&
        grep -q 'monthly_active_users' "$T/out"; then
        pass "$1"
    else
        fail "$1" "exit $RC" "stderr: $(tail -c 500 "$T/err" | tr '\n' '|')"
    fi
}
run_demo demo-from-installed-binary "$P/bin/snaplake" "$T/elsewhere/demo"
cmp -s "$SNAPLAKE_TOP/examples/shop/models/stage2/monthly_active_users.sql" \
    "$T/elsewhere/demo/models/stage2/monthly_active_users.sql"
check demo-copied-installed-models test $? -eq 0

# The installed tree moved as a whole still works: nothing points back into
# the staging root or the source tree.
mv "$ROOT" "$T/moved"
M=$T/moved/usr/local
if [ "$system_duckdb" = 0 ]; then
    lib=$(resolved_duckdb "$M/bin/snaplake")
    case "$(realpath -m "$lib" 2>/dev/null)" in
    "$M/lib/snaplake/libduckdb.so") pass libduckdb-follows-the-tree ;;
    *) fail libduckdb-follows-the-tree "ldd resolves libduckdb to '$lib' after the move" ;;
    esac
fi
run_demo demo-after-move "$M/bin/snaplake" "$T/elsewhere/demo2"

# uninstall removes what install put there.
mv "$T/moved" "$ROOT"
make -C "$SNAPLAKE_TOP" uninstall DESTDIR="$ROOT" PREFIX=/usr/local >"$T/make.log" 2>&1
left=$(find "$ROOT" -type f | sed "s|^$ROOT||" | tr '\n' ' ')
if [ -z "$left" ]; then pass uninstall; else fail uninstall "left: $left"; fi
