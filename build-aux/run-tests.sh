#!/usr/bin/env bash
# Runs every test: meson's unit and integration suites, then each fuzz target
# briefly (clang build), and prints one closing line "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build="$1"
fuzz_build="$top/build-fuzz"
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

python3 "$here/summarize-tests.py" "$build/meson-logs/testlog.json" "$results" "$meson_status"
