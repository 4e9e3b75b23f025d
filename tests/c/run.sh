#!/usr/bin/env bash
# C-side tests of libpyacq (run by `make test-c`, after `make lib`):
#   - `make install` into a temporary prefix, then pkg-config and CMake metadata checks;
#   - the C examples built with gcc + pkg-config and with CMake (find_package(pyacq CONFIG)),
#     and run against the installed library;
#   - the library loads with the Swift toolchain out of sight (env -i, minimal PATH);
#   - the dynamic symbol table exports exactly the functions declared in include/pyacq.h;
#   - pyacq.h compiles on its own as C99 and C++.
# Ends with the line "c-tests: N passed, M failed" and exits non-zero if anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pyacq-c-tests.XXXXXX")"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
prefix="$tmp/prefix"
logs="$tmp/logs"
rundir="$tmp/run"
mkdir -p "$logs" "$rundir"

passed=0
failed=0
failures=()

# check NAME COMMAND... — runs COMMAND with output to a log; reports and counts the result.
check() {
  local name="$1"; shift
  local log="$logs/$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_').log"
  if ( "$@" ) >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL  $name"
    sed -e 's/^/      | /' "$log" | tail -n 40
  fi
}

# --------------------------------------------------------------------------------------------
# Install
# --------------------------------------------------------------------------------------------
check "make install PREFIX=<tmp>" make -s install PREFIX="$prefix"

header="$ROOT/include/pyacq.h"
header_version() {
  awk '/#define PYACQ_VERSION_(MAJOR|MINOR|PATCH) /{v[$2]=$3} END{print v["PYACQ_VERSION_MAJOR"]"."v["PYACQ_VERSION_MINOR"]"."v["PYACQ_VERSION_PATCH"]}' "$header"
}
version="$(header_version)"
lib="$prefix/lib/libpyacq.so.$version"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# The examples create shared-memory files in $TMPDIR (as Python's tempfile does) and ipc pipes
# in their working directory: run them with both inside the temporary directory.
export TMPDIR="$rundir"

installed_files() {
  local f
  for f in include/pyacq.h "lib/libpyacq.so.$version" bin/pyacq bin/pyacq-host bin/pyacq-nodegroup lib/libpyacq.so.0 lib/libpyacq.so lib/pkgconfig/pyacq.pc \
           lib/cmake/pyacq/pyacqConfig.cmake lib/cmake/pyacq/pyacqConfigVersion.cmake; do
    [ -e "$prefix/$f" ] || { echo "missing $prefix/$f"; return 1; }
  done
  [ "$(readlink "$prefix/lib/libpyacq.so")" = libpyacq.so.0 ] || { echo "libpyacq.so does not point to libpyacq.so.0"; return 1; }
  [ "$(readlink "$prefix/lib/libpyacq.so.0")" = "libpyacq.so.$version" ] || { echo "libpyacq.so.0 does not point to the versioned file"; return 1; }
  readelf -d "$lib" | grep -q 'SONAME.*\[libpyacq\.so\.0\]' || { echo "soname is not libpyacq.so.0"; readelf -d "$lib"; return 1; }
}
check "installed files, symlinks and soname" installed_files

# --------------------------------------------------------------------------------------------
# pkg-config
# --------------------------------------------------------------------------------------------
pkgconfig_metadata() {
  pkg-config --validate pyacq || return 1
  local version cflags libs
  version="$(pkg-config --modversion pyacq)" || return 1
  cflags="$(pkg-config --cflags pyacq)" || return 1
  libs="$(pkg-config --libs pyacq)" || return 1
  echo "version=$version cflags=$cflags libs=$libs"
  [ "$version" = "$(header_version)" ] || { echo "pyacq.pc version $version != header $(header_version)"; return 1; }
  [ "$(echo $cflags)" = "-I$prefix/include" ] || { echo "unexpected cflags: $cflags"; return 1; }
  [ "$(echo $libs)" = "-L$prefix/lib -lpyacq" ] || { echo "unexpected libs: $libs"; return 1; }
  pkg-config --atleast-version=0.2 pyacq || { echo "--atleast-version=0.2 failed"; return 1; }
  ! pkg-config --atleast-version=1.0 pyacq || { echo "--atleast-version=1.0 succeeded"; return 1; }
}
check "pkg-config metadata (pyacq.pc)" pkgconfig_metadata

# --------------------------------------------------------------------------------------------
# Examples built with gcc + pkg-config, run against the installed library
# --------------------------------------------------------------------------------------------
examples=(stream_roundtrip error_handling)
mkdir -p "$tmp/gcc"
for ex in "${examples[@]}"; do
  # shellcheck disable=SC2046
  check "gcc+pkg-config build: $ex" \
    gcc -std=c11 -O2 -Wall -Wextra -Werror "bindings/c/examples/$ex.c" -o "$tmp/gcc/$ex" $(pkg-config --cflags --libs pyacq)
done
for ex in "${examples[@]}"; do
  check "run (gcc build): $ex" env -C "$TMPDIR" LD_LIBRARY_PATH="$prefix/lib" "$tmp/gcc/$ex"
done

# --------------------------------------------------------------------------------------------
# The same examples built with CMake: find_package(pyacq CONFIG) + pyacq::pyacq
# --------------------------------------------------------------------------------------------
cmake_build() {
  cmake -S bindings/c/examples -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release || return 1
  cmake --build "$tmp/cmake-build" || return 1
  # The executables must link the installed library through its soname.
  local ex
  for ex in "${examples[@]}"; do
    readelf -d "$tmp/cmake-build/$ex" | grep -q 'NEEDED.*\[libpyacq\.so\.0\]' || { echo "$ex does not need libpyacq.so.0"; return 1; }
  done
}
check "cmake build (find_package(pyacq CONFIG))" cmake_build
for ex in "${examples[@]}"; do
  check "run (cmake build): $ex" env -C "$TMPDIR" LD_LIBRARY_PATH="$prefix/lib" "$tmp/cmake-build/$ex"
done

# SameMajorVersion: 0.1 and 0.0.1 are satisfied by 0.1.0; 0.2 and 1.0 are not.
cmake_versions() {
  local dir="$tmp/cmake-versions"
  mkdir -p "$dir"
  cat >"$dir/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(pyacq_version_check LANGUAGES NONE)
find_package(pyacq 0.2 CONFIG REQUIRED)
if(NOT TARGET pyacq::pyacq OR NOT pyacq_VERSION VERSION_EQUAL "0.2.0")
  message(FATAL_ERROR "pyacq::pyacq missing or version ${pyacq_VERSION}")
endif()
get_target_property(loc pyacq::pyacq IMPORTED_LOCATION)
get_target_property(inc pyacq::pyacq INTERFACE_INCLUDE_DIRECTORIES)
if(NOT EXISTS "${loc}" OR NOT EXISTS "${inc}/pyacq.h")
  message(FATAL_ERROR "bad imported target: ${loc} ${inc}")
endif()
foreach(v 0.2.0)
  find_package(pyacq ${v} CONFIG QUIET)
  if(NOT pyacq_FOUND)
    message(FATAL_ERROR "pyacq 0.2.0 should satisfy a request for ${v}")
  endif()
endforeach()
# While the major version is 0, a minor version breaks the ABI: 0.1 and 0.3 are other ABIs.
foreach(v 0.1 0.3 1.0 0.2.1)
  unset(pyacq_DIR CACHE)
  find_package(pyacq ${v} CONFIG QUIET)
  if(pyacq_FOUND)
    message(FATAL_ERROR "pyacq 0.2.0 must not satisfy a request for ${v}")
  endif()
endforeach()
message(STATUS "version checks passed (${loc})")
EOF
  cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix"
}
check "cmake package version compatibility (same major, and same minor while 0.x)" cmake_versions

# --------------------------------------------------------------------------------------------
# Typed handles: a handle of the wrong kind does not compile; at run time stale handles, remote
# exceptions and timeouts are reported as data (tests/c/graph_handles.c)
# --------------------------------------------------------------------------------------------
wrong_handle_does_not_compile() {
  local good="$tmp/handle_good.c" bad="$tmp/handle_bad.c"
  printf '#include <pyacq.h>
int f(pyacq_node *n) { return pyacq_node_start(n, 100); }
' >"$good"
  printf '#include <pyacq.h>
int f(pyacq_nodegroup *g) { return pyacq_node_start(g, 100); }
' >"$bad"
  gcc -std=c11 -Werror=incompatible-pointer-types -I"$prefix/include" -c "$good" -o "$tmp/good.o" || { echo "the control does not compile"; return 1; }
  if gcc -std=c11 -Werror=incompatible-pointer-types -I"$prefix/include" -c "$bad" -o "$tmp/bad.o" 2>"$tmp/bad.log"; then
    echo "a node group passed as a node compiled"; return 1
  fi
  grep -q "incompatible pointer type" "$tmp/bad.log" || { cat "$tmp/bad.log"; return 1; }
  cp "$bad" "$tmp/handle_bad.cpp"
  ! g++ -fsyntax-only -I"$prefix/include" "$tmp/handle_bad.cpp" 2>/dev/null || { echo "C++ accepted it"; return 1; }
}
check "a node group passed where a node is expected fails to compile (C and C++)" wrong_handle_does_not_compile
check "gcc build: tests/c/graph_handles.c" \
  gcc -std=c11 -Wall -Wextra -Werror tests/c/graph_handles.c -o "$tmp/graph_handles" $(pkg-config --cflags --libs pyacq)
check "run: typed handles, stale handles, remote KeyError, timeout" \
  env -C "$TMPDIR" LD_LIBRARY_PATH="$prefix/lib" PYACQ_NODEGROUP_EXECUTABLE="$prefix/bin/pyacq-nodegroup" "$tmp/graph_handles"
check "gcc build: tests/c/local_graph.c" \
  gcc -std=c11 -Wall -Wextra -Werror tests/c/local_graph.c -o "$tmp/local_graph" $(pkg-config --cflags --libs pyacq) -lm
mkdir -p "$tmp/recording"
check "run: a graph of local nodes in one process, checked against a C biquad" \
  env -C "$TMPDIR" LD_LIBRARY_PATH="$prefix/lib" "$tmp/local_graph" "$tmp/recording"

# --------------------------------------------------------------------------------------------
# The library is self-contained: it loads with the Swift toolchain hidden
# --------------------------------------------------------------------------------------------
self_contained() {
  local deps
  deps="$(env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$prefix/lib" ldd "$lib")" || return 1
  echo "$deps"
  if echo "$deps" | grep -q 'not found'; then echo "unresolved dependencies"; return 1; fi
  if echo "$deps" | grep -qi 'swift'; then echo "depends on a Swift runtime library"; return 1; fi
  # SwiftPM adds RUNPATH $ORIGIN, which is harmless; a path into a toolchain is not.
  if readelf -d "$lib" | grep -E 'RPATH|RUNPATH' | grep -v '\[\$ORIGIN\]'; then echo "the library carries an rpath"; return 1; fi
}
check "self-contained: no Swift runtime or unresolved dependency (ldd, env -i)" self_contained
for ex in "${examples[@]}"; do
  check "run with the toolchain hidden (env -i): $ex" \
    env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$prefix/lib" TMPDIR="$TMPDIR" \
    sh -c 'cd "$TMPDIR" && exec "$0"' "$tmp/gcc/$ex"
done

# --------------------------------------------------------------------------------------------
# Exported symbols == functions declared in pyacq.h
# --------------------------------------------------------------------------------------------
exported_symbols() {
  # name@@VERSION for every defined dynamic symbol, except the version node itself.
  nm -D --defined-only "$lib" | awk '!($2 == "A" && $3 ~ /^PYACQ_[0-9]+$/) {print $3}'
}
declared_functions() {
  # Preprocessed (no comments, no macros), the only "pyacq_name(" left are function declarators.
  gcc -E -P -x c "$header" | tr '\n' ' ' | grep -oE '\bpyacq_[A-Za-z0-9_]*[[:space:]]*\(' | tr -d ' (' | sort -u
}
only_pyacq_exports() {
  local syms bad
  syms="$(exported_symbols)" || return 1
  [ -n "$syms" ] || { echo "no exported symbols?"; return 1; }
  bad="$(echo "$syms" | sed 's/@.*//' | grep -v '^pyacq_' || true)"
  [ -z "$bad" ] || { echo "exports outside pyacq_*:"; echo "$bad"; return 1; }
  bad="$(echo "$syms" | grep -v '@@PYACQ_0$' || true)"
  [ -z "$bad" ] || { echo "symbols without the PYACQ_0 version:"; echo "$bad"; return 1; }
  echo "$(echo "$syms" | wc -l) symbols, all pyacq_*@@PYACQ_0"
}
check "nm -D exports only pyacq_* symbols" only_pyacq_exports
header_matches_exports() {
  local exported declared
  exported="$(exported_symbols | sed 's/@.*//' | sort -u)"
  declared="$(declared_functions)"
  echo "declared: $(echo "$declared" | wc -l), exported: $(echo "$exported" | wc -l)"
  local missing extra
  missing="$(comm -23 <(echo "$declared") <(echo "$exported"))"
  extra="$(comm -13 <(echo "$declared") <(echo "$exported"))"
  [ -z "$missing" ] || { echo "declared in pyacq.h but not exported:"; echo "$missing"; }
  [ -z "$extra" ] || { echo "exported but not declared in pyacq.h:"; echo "$extra"; }
  [ -z "$missing" ] && [ -z "$extra" ] && [ "$(echo "$declared" | wc -l)" -gt 10 ]
}
check "every export is declared in pyacq.h and vice versa" header_matches_exports

# --------------------------------------------------------------------------------------------
# The header on its own
# --------------------------------------------------------------------------------------------
header_c99() {
  printf '#include <pyacq.h>\n#include <pyacq.h>\nint main(void) { return pyacq_abi_version() == PYACQ_ABI_VERSION ? 0 : 1; }\n' >"$tmp/h.c"
  gcc -std=c99 -pedantic -Wall -Wextra -Werror -I"$prefix/include" -c "$tmp/h.c" -o "$tmp/h.o"
}
check "pyacq.h compiles alone as C99 (-pedantic)" header_c99
header_cxx() {
  command -v g++ >/dev/null || command -v c++ >/dev/null || { echo "no C++ compiler: skipped"; return 0; }
  printf '#include <pyacq.h>\nint main() { pyacq_view v; (void)v; return pyacq_abi_version(); }\n' >"$tmp/h.cpp"
  "$(command -v g++ || command -v c++)" -std=c++11 -Wall -Wextra -Werror -I"$prefix/include" -fsyntax-only "$tmp/h.cpp"
}
check "pyacq.h compiles as C++ (extern \"C\")" header_cxx

# Nothing may be left behind by the examples (shared-memory files, ipc pipes).
no_leftovers() {
  local left
  left="$(find "$TMPDIR" -mindepth 1 2>/dev/null)"
  [ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}
check "no shared-memory files or ipc pipes left behind" no_leftovers

echo
if [ "$failed" -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "c-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
