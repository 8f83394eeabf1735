#!/usr/bin/python3
"""Decode latency of a running `latent explore`, as a slider drives it.

Start the explorer first, e.g.
    ./latent explore --run runs/demo/fashion-mnist-vae-conv --port 8000
then run
    bench/explore_latency.py --url http://127.0.0.1:8000 --run 0 --requests 200

For each run it walks the most varying latent dimension across its slider range, one POST /decode
per position, one request at a time (as the page sends them), and prints the median and 95th
percentile of the round trip and of the model's own time (the Server-Timing header), side by side.
Only the standard library is used.
"""
import argparse
import json
import statistics
import time
import urllib.request


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        response.read()
        timing = response.headers.get("Server-Timing", "")
    elapsed = (time.perf_counter() - started) * 1000
    model = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
    return elapsed, model


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--run", type=int, action="append", help="run number on the page (default: every run)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with urllib.request.urlopen(f"{args.url}/api/runs") as response:
        runs = json.load(response)
    for run in runs:
        if args.run and run["id"] not in args.run:
            continue
        base = f"{args.url}/api/runs/{run['id']}"
        if "sliders" in run["panels"]:
            with urllib.request.urlopen(f"{base}/examples/0/code") as response:
                code = json.load(response)["code"]
            slider = run["latent"]["sliders"][0]
            def request(i):
                code[slider["dimension"]] = slider["low"] + (slider["high"] - slider["low"]) * (i % 50) / 49
                return post(f"{base}/decode", {"code": code})
        elif "codes" in run["panels"]:
            with urllib.request.urlopen(f"{base}/examples/0/codes") as response:
                codes = json.load(response)["codes"]
            size = run["codes"]["codebookSize"]
            def request(i):
                codes[0][0] = i % size
                return post(f"{base}/codes/decode", {"codes": codes})
        else:
            continue
        for i in range(5):  # warm-up
            request(i)
        times = [request(i) for i in range(args.requests)]
        trips, models = [t for t, _ in times], [m for _, m in times]
        print(f"{run['name']} ({run['family']}, {run['arch']}): {args.requests} decodes, "
              f"round trip median {statistics.median(trips):.1f} ms (p95 {percentile(trips, 0.95):.1f}), "
              f"model median {statistics.median(models):.1f} ms (p95 {percentile(models, 0.95):.1f}); "
              f"round trip / model = {statistics.median(trips) / statistics.median(models):.2f}")


if __name__ == "__main__":
    main()
