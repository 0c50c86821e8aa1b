#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer harnesses of tests/fuzz/ with
# FUZZ_CC and run each for FUZZ_TIME seconds; `make fuzz` runs it with
# everything it needs in the environment:
#
#   FUZZ_CC      clang that accepts -fsanitize=fuzzer (configure's FUZZ_CC)
#   FUZZ_TIME    seconds per harness (default 60)
#   FUZZ_CPPFLAGS, FUZZ_LIBS   the core's preprocessor flags and libraries
#   FUZZ_SOURCES the core's sources (.c files are compiled, others skipped)
#   srcdir       the source tree; the current directory is the build tree
#
# Arguments: the harnesses to run (config record names). Each starts from
# a scratch copy of tests/fuzz/corpus/NAME/ in tests/fuzz/work/NAME/corpus,
# so the checked-in seeds are never rewritten. A crash, a sanitizer report,
# a leak or a broken property fails the run and leaves the input that
# caused it in tests/fuzz/work/NAME/ (named in the output).
set -eu

: "${FUZZ_CC:?FUZZ_CC is not set: run make fuzz}"
: "${srcdir:?srcdir is not set: run make fuzz}"
FUZZ_TIME=${FUZZ_TIME:-60}
out=tests/fuzz
obj=$out/obj
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san -I$srcdir/tests/fuzz ${FUZZ_CPPFLAGS:-}"
mkdir -p "$obj"

# The core compiled once for all harnesses, instrumented for coverage;
# a file is rebuilt when it or a header is newer than its object.
newest_header=$(ls -t "$srcdir"/src/*/*.h "$srcdir"/include/logoff/*.h config.h | head -1)
objs=""
for src in $FUZZ_SOURCES; do
	case $src in *.c) ;; *) continue ;; esac
	o=$obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -f "$o" ] || [ "$srcdir/$src" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		echo "  FUZZCC   $src"
		# shellcheck disable=SC2086
		$FUZZ_CC $cflags -fsanitize=fuzzer-no-link -c "$srcdir/$src" -o "$o"
	fi
	objs="$objs $o"
done

failed=""
for name in "$@"; do
	bin=$out/fuzz_$name
	echo "  FUZZLD   $bin"
	# shellcheck disable=SC2086
	$FUZZ_CC $cflags -fsanitize=fuzzer "$srcdir/tests/fuzz/fuzz_$name.c" $objs \
		${FUZZ_LIBS:-} -o "$bin"

	work=$out/work/$name
	rm -rf "$work/corpus"
	mkdir -p "$work/corpus"
	cp "$srcdir/tests/fuzz/corpus/$name/"* "$work/corpus/"
	seeds=$(ls "$work/corpus" | wc -l)
	maxlen=8192
	[ "$name" = names ] && maxlen=512
	dict=""
	[ -f "$srcdir/tests/fuzz/$name.dict" ] && dict="-dict=$srcdir/tests/fuzz/$name.dict"
	rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
	rc=0
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"./$bin" -max_total_time="$FUZZ_TIME" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len=$maxlen -artifact_prefix="$work/" $dict \
		"$work/corpus" > "$work/fuzz.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
	cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -1 | sed 's/cov: //')
	size=$(ls "$work/corpus" | wc -l)
	summary="fuzz $name: ${execs:-?} runs in ${FUZZ_TIME} s (${rate:-?}/s), corpus $seeds seeds -> $size inputs, ${cov:-?} edges"
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $summary (exit $rc)"
		grep -E 'ERROR:|SUMMARY:|property broken|runtime error|Test unit written to' \
			"$work/fuzz.log" | head -20 || true
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -f "$a" ] || continue
			echo "reproducer: $a (run: $bin $a)"
		done
		echo "full log: $work/fuzz.log"
		failed="$failed $name"
	else
		echo "PASS: $summary"
	fi
done
if [ -n "$failed" ]; then
	echo "make fuzz: failed:$failed"
	exit 1
fi
