#!/usr/bin/env bash
# Side by side: llama.cpp's llama-bench and `iwb bench` on the same GGUF files, same threads and sizes,
# alternating per round; prints both medians and iwb ÷ llama.cpp. How to get a llama-bench without
# internet access (npm only) is in docs/performance.md, "side by side with llama.cpp".
#
#   LLAMA_BENCH=/path/to/llama-bench [IWB=build/release/app/iwb] [ROUNDS=3] [THREADS=2] \
#       scripts/bench-vs-llama-cpp.sh MODEL.gguf...
#
# LLAMA_BENCH may be a command with arguments or an env prefix, e.g.
#   LLAMA_BENCH="env LD_LIBRARY_PATH=/tmp/llcpp/rel /tmp/llcpp/rel/llama-bench"
set -euo pipefail

if [[ $# -eq 0 || -z "${LLAMA_BENCH:-}" ]]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
iwb=${IWB:-$(dirname "$0")/../build/release/app/iwb}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
[[ -x "$iwb" ]] || { echo "no iwb at $iwb (set IWB)" >&2; exit 2; }

medians='import json, statistics, sys
for record in json.load(sys.stdin):
    kind = "pp" if record["n_prompt"] > 0 else "tg"
    print(kind, statistics.median(record["samples_ts"]))'

printf '| file | round | llama.cpp pp64 | iwb pp64 | ratio | llama.cpp tg32 | iwb tg32 | ratio |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
for model in "$@"; do
    [[ -f "$model" ]] || { echo "no such model file: $model" >&2; exit 2; }
    for round in $(seq 1 "$rounds"); do
        declare -A llama=() ours=()
        while read -r kind value; do llama[$kind]=$value; done < <(
            $LLAMA_BENCH -m "$model" -t "$threads" -p 64 -n 32 -r 5 -o json 2>/dev/null | python3 -c "$medians")
        while read -r kind value; do ours[$kind]=$value; done < <(
            "$iwb" bench -m "$model" -t "$threads" -p 64 -n 32 -r 5 --no-bandwidth -o json 2>/dev/null |
                python3 -c "$medians")
        if [[ -z "${llama[pp]:-}" || -z "${ours[pp]:-}" ]]; then
            echo "a benchmark failed on $model (run either one by hand to see why)" >&2
            exit 1
        fi
        python3 -c "
import sys
name, round_, lp, ip, lt, it = sys.argv[1:]
lp, ip, lt, it = map(float, (lp, ip, lt, it))
print(f'| {name} | {round_} | {lp:.1f} | {ip:.1f} | {ip / lp:.2f} | {lt:.1f} | {it:.1f} | {it / lt:.2f} |')
" "$(basename "$model")" "$round" "${llama[pp]}" "${ours[pp]}" "${llama[tg]}" "${ours[tg]}"
        unset llama ours
    done
done
