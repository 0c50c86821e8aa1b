# bench/lib.sh - helpers of bench/run: statistics and markdown rows.

# stats V...: "median min max" of the numbers given (an even count takes
# the mean of the middle two).
stats() {
	printf '%s\n' "$@" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6g %.6g %.6g\n", m, v[1], v[NR]
		}'
}

# fmt_stats V...: "median (min..max)" with 3 significant digits.
fmt_stats() {
	stats "$@" | awk 'function f(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v) }
		{ printf "%s (%s..%s)", f($1), f($2), f($3) }'
}

# med V...: the median alone.
med() { stats "$@" | awk '{ print $1 }'; }

# ratio A B: A / B with 3 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

# kv KEY LINE: the value of KEY=VALUE in LINE.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# verdict OK-EXPR: "met" or "MISSED" from an awk condition.
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }

# load: the 1-minute load average now.
load() { cut -d' ' -f1 /proc/loadavg; }

# cg_instr OUTDIR: instructions in every callgrind.out file of OUTDIR.
cg_instr() {
	cat "$1"/cg.* 2>/dev/null | awk '/^(summary|totals):/ { s += $2 } END { print s + 0 }'
}
