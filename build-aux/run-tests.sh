#!/usr/bin/env bash
# Runs every test: meson's unit and integration suites, then each fuzz target
# briefly (clang build), then the whole meson suite again on an
# AddressSanitizer + UndefinedBehaviorSanitizer build (clang, build-asan/), and
# prints one closing line "N passed, N failed, N skipped" over both passes.
#
#   VB_FUZZ_SECONDS=N   seconds per fuzz target (default 15)
#   VB_ASAN=0           skip the sanitizer pass (local runs only; the summary says so)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build="$1"
fuzz_build="$top/build-fuzz"
asan_build="$top/build-asan"
fuzz_seconds="${VB_FUZZ_SECONDS:-15}"
results="$build/test-results"
rm -rf "$results"
mkdir -p "$results"

meson test -C "$build" --print-errorlogs --num-processes 2
meson_status=$?

# Fuzz targets: libFuzzer + ASan/UBSan, seeded from tests/fuzz/corpus/<kind>.
: > "$results/fuzz.txt"
if CC=clang meson setup --reconfigure "$fuzz_build" "$top" -Dfuzzing=true >/dev/null 2>&1 ||
   CC=clang meson setup "$fuzz_build" "$top" -Dfuzzing=true >/dev/null; then
  targets=()
  for src in "$top"/tests/fuzz/fuzz-*.c; do
    targets+=("tests/fuzz/$(basename "$src" .c)")
  done
  if ninja -C "$fuzz_build" "${targets[@]}" >/dev/null; then
    for t in "${targets[@]}"; do
      target="$fuzz_build/$t"
      name=$(basename "$target")
      kind=${name#fuzz-}
      corpus=$(mktemp -d)
      cp -r "$top/tests/fuzz/corpus/$kind/." "$corpus/" 2>/dev/null || true
      if "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 \
           -artifact_prefix="$results/$name-" "$corpus" >"$results/$name.log" 2>&1; then
        echo "PASS $name" >> "$results/fuzz.txt"
      else
        echo "FAIL $name" >> "$results/fuzz.txt"
        tail -40 "$results/$name.log"
      fi
      rm -rf "$corpus"
    done
  else
    echo "FAIL fuzz-build" >> "$results/fuzz.txt"
  fi
else
  echo "FAIL fuzz-setup" >> "$results/fuzz.txt"
fi

# Sanitizer pass: the same unit and integration tests (QEMU guests, clients
# from C, Python and GJS included) against an ASan+UBSan build. Any report is
# fatal to the process that hits it (halt/abort_on_error) and is written to
# $asan_results/sanitizer/report.<pid> (log_path), so a report from a daemon or
# helper whose exit status no test looks at is still seen: every report file
# counts as a failure and is printed below. LeakSanitizer is on (the daemon
# exits cleanly on SIGTERM); tests/lsan.supp holds the few one-time GLib
# allocations it cannot tell from leaks. Clang's warnings are not fatal here:
# the gcc build above is the -Werror one.
asan_pass() {
  local asan_results="$asan_build/test-results" runtime status
  rm -rf "$asan_results" "$asan_build/meson-logs/testlog.json"
  mkdir -p "$asan_results/sanitizer"
  # The build's output is kept, and shown when it fails.
  local build_log="$asan_results/build.log"
  if ! { CC=clang meson setup --reconfigure "$asan_build" "$top" -Db_sanitize=address,undefined \
           -Db_lundef=false >"$build_log" 2>&1 ||
         CC=clang meson setup "$asan_build" "$top" -Db_sanitize=address,undefined \
           -Db_lundef=false >>"$build_log" 2>&1; } ||
     ! ninja -C "$asan_build" >>"$build_log" 2>&1; then
    echo "FAIL asan-build" > "$asan_results/sanitizer.txt"
    echo "==== the sanitizer build failed; the end of $build_log:"
    tail -n 60 "$build_log"
    return 1
  fi
  # python3 and gjs are not instrumented: they load the ASan-built libvirtbus
  # only with clang's ASan runtime preloaded (see conftest.sanitizer_client_env).
  runtime=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
  # Symbolized stacks: the llvm-symbolizer next to this clang (package llvm-N).
  local symbolizer
  symbolizer="$(dirname "$(readlink -f "$(command -v clang)")")/llvm-symbolizer"
  [ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
  local log="$asan_results/sanitizer/report"
  local common="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$log"
  # Allocation stacks use the fast unwinder, which stops at GLib (built
  # without frame pointers); for a full leak stack re-run the one test with
  # VB_ASAN_EXTRA=fast_unwind_on_malloc=0 (several times slower).
  ASAN_OPTIONS="$common:detect_leaks=1:detect_odr_violation=0${VB_ASAN_EXTRA:+:$VB_ASAN_EXTRA}" \
  UBSAN_OPTIONS="$common" \
  LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0" \
  G_SLICE=always-malloc \
  VB_SANITIZER_LOG="$log" VB_ASAN_RUNTIME="$runtime" \
    meson test -C "$asan_build" --print-errorlogs --num-processes 2 --timeout-multiplier 3
  status=$?
  : > "$asan_results/sanitizer.txt"
  local n=0 f
  for f in "$log".*; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    echo "FAIL sanitizer-report $(basename "$f")" >> "$asan_results/sanitizer.txt"
    echo "==== sanitizer report $f"
    cat "$f"
  done
  [ "$n" -eq 0 ] && echo "PASS sanitizer-reports" >> "$asan_results/sanitizer.txt"
  return $status
}

passes=("plain" "$build/meson-logs/testlog.json" "$results" "$meson_status")
if [ "${VB_ASAN:-1}" = 0 ]; then
  echo "sanitizer pass skipped (VB_ASAN=0)"
else
  asan_pass
  asan_status=$?
  passes+=("asan+ubsan" "$asan_build/meson-logs/testlog.json" "$asan_build/test-results" "$asan_status")
fi

python3 "$here/summarize-tests.py" "${passes[@]}"
