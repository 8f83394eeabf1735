#!/usr/bin/python3
"""Latent's defaults beside the textbook PyTorch loops: same data, same epochs, same threads, several seeds.

    bench/textbook/compare.py                                   # every family, fashion-mnist, seeds 1-3, 10 epochs
    bench/textbook/compare.py --families ae-mlp,vae-mlp --data shapes --seeds 1,2,3 --epochs 4
    bench/textbook/compare.py --table                           # only print the table of what results.jsonl holds
    bench/textbook/compare.py --sides latent --variant nohold='--validation-fraction 0' --families ae-mlp

Each (data, family, seed) trains once with `./latent train` at the family's defaults (plus --epochs,
--seed, --threads and the variant's flags) followed by `./latent eval`, and once with
bench/textbook/textbook.py; the two sides alternate, and with --jobs 2 a Latent run and a textbook run
go side by side, one thread each. Every result is one JSON line appended to --results (a run already
recorded there is not repeated), and the table prints the headline figure of each side as mean ± sample
standard deviation over the seeds, and which side wins (clearly: the two ranges mean ± sd do not touch).

Latent's figures come from eval.json: test_mse; for a VAE test_neg_elbo_nats and iwae_nll_nats (K = 100);
for a VQ-VAE codebook_usage (its prior over codes does not enter any of them and is skipped, --prior-epochs 0);
the linear probe is fitted on all 60 000 training images on both sides (eval --validation-fraction 0)."""
import argparse
import json
import os
import queue
import shlex
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
# The Latent command line; LATENT="dotnet runs/textbook/cli/Latent.Cli.dll" runs a frozen copy of a build, so that
# editing the sources while a long comparison runs does not rebuild it underneath.
LATENT = shlex.split(os.environ.get("LATENT", "./latent"))

# family -> (latent train flags at its defaults, latent eval flags, headline keys with the better direction)
FAMILIES = {
    "ae-mlp": (["--model", "ae", "--arch", "mlp"], ["--probe"], [("test_mse", "min")]),
    "ae-conv": (["--model", "ae", "--arch", "conv"], ["--probe"], [("test_mse", "min")]),
    "vae-mlp": (["--model", "vae", "--arch", "mlp"], ["--iwae-samples", "100", "--probe"],
                [("test_neg_elbo_nats", "min"), ("iwae_nll_nats", "min")]),
    "vae-conv": (["--model", "vae", "--arch", "conv"], ["--iwae-samples", "100", "--probe"],
                 [("test_neg_elbo_nats", "min"), ("iwae_nll_nats", "min")]),
    "vqvae-conv": (["--model", "vqvae", "--arch", "conv", "--prior-epochs", "0"], ["--probe"],
                   [("test_mse", "min"), ("codebook_usage", "max")]),
    "dae-mlp": (["--model", "dae"], ["--probe"], [("masked_mse", "min"), ("linear_probe_accuracy", "max")]),
    "mae-vit": (["--model", "mae", "--arch", "vit"], ["--probe"], [("linear_probe_accuracy", "max"), ("masked_mse", "min")]),
    "pca": (None, ["--probe"], [("test_mse", "min"), ("linear_probe_accuracy", "max")]),
}


def key(record):
    return (record["side"], record.get("variant", "defaults"), record["family"], record["data"], record["epochs"], record["seed"])


def latent_run(family, data, epochs, seed, threads, variant, extra, out):
    train_flags, eval_flags, _ = FAMILIES[family]
    run = os.path.join(out, f"{data}-{family}-{variant}-e{epochs}-s{seed}")
    if os.path.exists(run):
        subprocess.run(["rm", "-rf", run], check=True)
    common = ["--threads", str(threads), "--quiet"]
    clock = time.time()
    if train_flags is None:  # PCA, fitted in closed form
        command = [*LATENT, "pca", "--data", data, "--components", "32", "--out", run, *extra, *common]
    else:
        command = [*LATENT, "train", *train_flags, "--data", data, "--epochs", str(epochs), "--seed", str(seed), "--out", run, *extra, *common]
    subprocess.run(command, cwd=ROOT, check=True)
    wall = time.time() - clock
    evaluate = [*LATENT, "eval", "--run", run, *eval_flags, "--validation-fraction", "0", *common]
    subprocess.run(evaluate, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(ROOT, run, "eval.json")) as f:
        figures = json.load(f)
    seconds = 0.0
    metrics = os.path.join(ROOT, run, "metrics.jsonl")
    if os.path.exists(metrics):
        with open(metrics) as f:
            seconds = sum(json.loads(line).get("seconds", 0.0) for line in f if line.strip())
    keep = {k: v for k, v in figures.items() if not k.startswith("kl_dim_")}
    return {"train_seconds": round(seconds, 1), "wall_seconds": round(wall, 1), "command": " ".join(command), **keep}


def textbook_run(family, data, epochs, seed, threads, extra):
    command = [PYTHON, os.path.join(HERE, "textbook.py"), "--family", family, "--data", data, "--epochs", str(epochs),
               "--seed", str(seed), "--threads", str(threads), "--quiet", *extra]
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    result = subprocess.run(command, cwd=HERE, check=True, capture_output=True, text=True, env=environment)
    record = json.loads(result.stdout.strip().splitlines()[-1])
    for drop in ("side", "family", "data", "epochs", "seed", "threads"):
        record.pop(drop, None)
    return {"command": " ".join(command[1:]).replace(HERE + "/", "bench/textbook/"), **record}


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def spread(values):
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def fmt(value, figure):
    if figure.endswith("_nats"):
        return f"{value:.2f}"
    if figure in ("codebook_usage", "linear_probe_accuracy"):
        return f"{value:.4f}"
    return f"{value:.5f}"


def table(records, variants=None):
    """Markdown: one row per (data, family, epochs, figure), each variant of Latent against the textbook loop."""
    groups = {}
    for r in records:
        groups.setdefault((r["data"], r["family"], r["epochs"]), {}).setdefault((r["side"], r.get("variant", "defaults")), []).append(r)
    lines = ["| data | family | epochs | figure | Latent | textbook | seeds | better |", "|---|---|---|---|---|---|---|---|"]
    for (data, family, epochs), sides in sorted(groups.items()):
        textbook = sides.get(("textbook", "defaults"), [])
        for (side, variant), runs in sorted(sides.items()):
            if side != "latent" or (variants and variant not in variants):
                continue
            for figure, direction in FAMILIES[family][2]:
                ours = [r[figure] for r in runs if figure in r]
                theirs = [r[figure] for r in textbook if figure in r]
                if not ours:
                    continue
                (m1, s1) = spread(ours)
                cell_ours = f"{fmt(m1, figure)} ± {fmt(s1, figure)}"
                if theirs:
                    (m2, s2) = spread(theirs)
                    cell_theirs = f"{fmt(m2, figure)} ± {fmt(s2, figure)}"
                    better_ours = m1 < m2 if direction == "min" else m1 > m2
                    clear = (m1 + s1 < m2 - s2 or m2 + s2 < m1 - s1)
                    qualifier = "" if min(len(ours), len(theirs)) < 2 else " (clearly)" if clear else " (within spread)"
                    verdict = ("tie" if m1 == m2 else "Latent" if better_ours else "textbook") + qualifier
                else:
                    cell_theirs, verdict = "", ""
                label = family if variant == "defaults" else f"{family} [{variant}]"
                lines.append(f"| {data} | {label} | {epochs} | {figure} | {cell_ours} | {cell_theirs} | {len(ours)}/{len(theirs)} | {verdict} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default="ae-mlp,ae-conv,vae-mlp,vae-conv,vqvae-conv,dae-mlp,pca")
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (each with --threads threads)")
    parser.add_argument("--sides", default="latent,textbook")
    parser.add_argument("--variant", default="defaults=", help="NAME=FLAGS: extra flags for latent train (e.g. nohold='--validation-fraction 0')")
    parser.add_argument("--textbook-args", default="", help="extra flags for textbook.py")
    parser.add_argument("--results", default=os.path.join(HERE, "results.jsonl"))
    parser.add_argument("--out", default="runs/textbook", help="where Latent's run directories go, under the repository")
    parser.add_argument("--table", action="store_true", help="print the table of the recorded results and stop")
    args = parser.parse_args()

    if args.table:
        print(table(load(args.results)))
        return
    variant, _, flags = args.variant.partition("=")
    done = {key(r) for r in load(args.results)}
    tasks = []
    for data in args.data.split(","):
        for family in args.families.split(","):
            seeds = [int(s) for s in args.seeds.split(",")]
            for seed in seeds[:1] if family == "pca" else seeds:  # PCA has no seed: one fit
                for side in args.sides.split(","):
                    record = {"side": side, "variant": variant if side == "latent" else "defaults", "family": family, "data": data,
                              "epochs": args.epochs, "seed": seed, "threads": args.threads}
                    if key(record) not in done:
                        tasks.append(record)
    print(f"{len(tasks)} runs to do, {args.jobs} at a time, {args.threads} thread(s) each", file=sys.stderr)
    work, lock = queue.Queue(), threading.Lock()
    for task in tasks:
        work.put(task)

    def worker():
        while True:
            try:
                task = work.get_nowait()
            except queue.Empty:
                return
            try:
                if task["side"] == "latent":
                    figures = latent_run(task["family"], task["data"], task["epochs"], task["seed"], task["threads"],
                                         task["variant"], shlex.split(flags), args.out)
                else:
                    figures = textbook_run(task["family"], task["data"], task["epochs"], task["seed"], task["threads"], shlex.split(args.textbook_args))
            except subprocess.CalledProcessError as error:
                print(f"failed: {task}: {error}\n{getattr(error, 'stderr', '')}", file=sys.stderr)
                continue
            record = {**task, **figures, "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average": os.getloadavg()[0]}
            with lock:
                with open(args.results, "a") as f:
                    f.write(json.dumps(record) + "\n")
                headline = ", ".join(f"{k} {record[k]:.5g}" for k, _ in FAMILIES[task["family"]][2] if k in record)
                print(f"{task['side']:8} {task['variant']:10} {task['data']} {task['family']} seed {task['seed']}: {headline} "
                      f"({figures.get('train_seconds', 0):.0f} s)", file=sys.stderr, flush=True)

    threads = [threading.Thread(target=worker) for _ in range(args.jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(table(load(args.results)))


if __name__ == "__main__":
    main()
