#!/usr/bin/env python3
"""Telemetry cost: prompt and generation speed of `iwb generate` with telemetry on and off.

Runs are interleaved (on, off, on, off, ...) so that drift on a shared machine hits both modes alike;
reports the median of each mode and the on/off ratio. Usage:
  scripts/telemetry_cost.py IWB MODEL [--reps 7] [--n 32] [--prompt-repeat 3] [--threads 2] [--extra "--trace /dev/null"]
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(iwb, model, prompt, n, threads, telemetry, extra):
    args = [iwb, "generate", "-m", model, "-p", prompt, "-n", str(n), "--temp", "0", "-t", str(threads), "--json"]
    args += extra if telemetry else ["--telemetry-off"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    data = json.loads(out)
    t = data["timings"]
    return t["prompt_tokens_per_s"], t["gen_tokens_per_s"], data["n_prompt"], data.get("telemetry")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iwb")
    p.add_argument("model")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--prompt-repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--extra", default="")
    a = p.parse_args()
    prompt = "The quick brown fox jumps over the lazy dog. " * a.prompt_repeat
    extra = a.extra.split()
    results = {True: ([], []), False: ([], [])}
    run(a.iwb, a.model, prompt, 4, a.threads, False, extra)  # warm the page cache
    coverage = []
    n_prompt = 0
    for _ in range(a.reps):
        for mode in (True, False):
            pp, tg, n_prompt, tel = run(a.iwb, a.model, prompt, a.n, a.threads, mode, extra)
            results[mode][0].append(pp)
            results[mode][1].append(tg)
            if tel:
                coverage.append(tel["op_ms"] / tel["pass_ms"])
    med = {m: (statistics.median(results[m][0]), statistics.median(results[m][1])) for m in results}
    print(f"model {a.model}: prompt {n_prompt} tokens, {a.n} generated, {a.threads} threads, {a.reps} reps each")
    print(f"  prompt t/s   on {med[True][0]:10.2f}  off {med[False][0]:10.2f}  on/off {med[True][0] / med[False][0]:.4f}")
    print(f"  generate t/s on {med[True][1]:10.2f}  off {med[False][1]:10.2f}  on/off {med[True][1] / med[False][1]:.4f}")
    if coverage:
        print(f"  op spans / pass wall time (median of runs): {statistics.median(coverage) * 100:.1f} %")
    print("  raw on  pp:", [round(x, 1) for x in results[True][0]], "tg:", [round(x, 2) for x in results[True][1]])
    print("  raw off pp:", [round(x, 1) for x in results[False][0]], "tg:", [round(x, 2) for x in results[False][1]])


if __name__ == "__main__":
    sys.exit(main())
