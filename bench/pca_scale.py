#!/usr/bin/env python3
"""`latent pca` at wide F against scikit-learn's randomized PCA, side by side, and the time against N and F.

For every point (N images of shapes:S:rgb, F = 3·S²) the same float32 matrix is fitted by
  - `latent pca --solver randomized` (and `--solver auto`), each in a fresh process, timed by fit.json's
    fit_seconds (the fit alone; the images are generated in-process before it), and
  - scikit-learn's PCA(svd_solver="randomized") on the matrix in memory (its defaults: n_iter 7 for
    K < 0.1·min(N, F), 10 oversamples, LU normalisation), timed around fit,
alternating, with the same number of threads (latent --threads, threadpool_limits on numpy's BLAS). The
matrix comes from bench/shapes_export, which renders exactly what `latent pca --data shapes:S:rgb
--examples N --validation-fraction 0` trains on (seed 1, checked bit for bit).

At the largest point an independent reference is computed with numpy: the float64 covariance (in row
blocks) and scipy's eigh of its top K + 1 eigenpairs; both answers are then scored on the data: the
variance along their components against the optimum Σ_{k≤K} λ_k, and the largest angle to the exact subspace.

Usage: pca_scale.py --latent PATH/latent --exporter PATH/ShapesExport.dll [--threads 2] [--repeats 2]
       [--components 64] [--rows 5000,10000,20000,50000] [--sizes 16,32,48,64] [--plot docs/pca-scale.png]
"""
import argparse, json, os, struct, subprocess, tempfile, time

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_info, threadpool_limits
import sklearn
from sklearn.decomposition import PCA, IncrementalPCA


def read_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    return {name: np.frombuffer(data[o[0]:o[1]], dtypes[e["dtype"]]).reshape(e["shape"])
            for name, e in header.items() if name != "__metadata__" for o in [e["data_offsets"]]}


def latent_fit(args, scratch, rows, size, solver, extra=()):
    run = os.path.join(scratch, f"latent-{solver}-{rows}-{size}")
    subprocess.run(["rm", "-rf", run], check=True)
    subprocess.run([args.latent, "pca", "--data", f"shapes:{size}:rgb", "--examples", str(rows), "--validation-fraction", "0",
                    "--components", str(args.components), "--solver", solver, "--exact-check", "false",
                    "--threads", str(args.threads), "--out", run, "--quiet", *extra], check=True)
    with open(os.path.join(run, "fit.json")) as f:
        fit = json.load(f)
    return fit, run


def sklearn_fit(x, k, threads):
    with threadpool_limits(threads):
        start = time.perf_counter()
        model = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
        return time.perf_counter() - start, model


def sklearn_solver(x, k, threads, solver, batch):
    """scikit-learn's PCA(svd_solver=full|randomized) or IncrementalPCA(batch_size=batch), timed around fit."""
    with threadpool_limits(threads):
        start = time.perf_counter()
        if solver == "incremental":
            model = IncrementalPCA(n_components=k, batch_size=batch).fit(x)
        else:
            model = PCA(n_components=k, svd_solver=solver, random_state=0).fit(x)
        return time.perf_counter() - start, model


def compare_solvers(args, scratch, rows, size):
    """Every solver pair at one point: latent exact / randomized / incremental against scikit-learn's
    PCA full / PCA randomized / IncrementalPCA (same batch size), alternating, best of --repeats; then
    each answer scored against the float64 reference."""
    k, features = args.components, 3 * size * size
    x = export(args, scratch, rows, size)
    pairs = [("exact", "full", ()), ("randomized", "randomized", ()),
             ("incremental", "incremental", ("--batch-size", str(args.batch)))]
    mean, values, vectors, seconds = reference(x, k, args.threads)
    optimum = values[:k].sum()
    print(f"solvers at N = {rows}, F = {features}, K = {k} (incremental batches of {args.batch} rows); "
          f"reference in {seconds:.0f} s, lambda{k}/lambda{k + 1} = {values[k - 1] / values[k]:.4f}", flush=True)
    table = []
    for ours, theirs, extra in pairs:
        latent_times, sk_times, run, model = [], [], None, None
        for repeat in range(args.repeats):
            fit, run = latent_fit(args, scratch, rows, size, ours, extra)
            latent_times.append(fit["fit_seconds"])
            seconds, model = sklearn_solver(x, k, args.threads, theirs, args.batch)
            sk_times.append(seconds)
        row = {"rows": rows, "features": features, "latent_solver": ours, "sklearn_solver": theirs,
               "latent_seconds": min(latent_times), "sklearn_seconds": min(sk_times),
               "ratio_sklearn_over_latent": min(sk_times) / min(latent_times)}
        components = {"latent": read_safetensors(os.path.join(run, "model.safetensors"))["components"],
                      "sklearn": model.components_}
        for name, w in components.items():
            row[f"{name}_shortfall"] = 1 - captured_variance(x, mean, w) / optimum
            row[f"{name}_angle_deg"] = largest_angle_deg(w.T, vectors[:, :k])
        print(f"  latent {ours:11s} {row['latent_seconds']:7.2f} s, shortfall {row['latent_shortfall']:+.1e}, angle {row['latent_angle_deg']:6.3f} deg | "
              f"scikit-learn {theirs:11s} {row['sklearn_seconds']:7.2f} s, shortfall {row['sklearn_shortfall']:+.1e}, "
              f"angle {row['sklearn_angle_deg']:6.3f} deg | ratio {row['ratio_sklearn_over_latent']:.2f}x", flush=True)
        table.append(row)
        del model
    return table


def export(args, scratch, rows, size):
    """The exact float32 matrix latent pca fits for shapes:SIZE:rgb --examples ROWS (bench/shapes_export)."""
    data = os.path.join(scratch, "x.f32")
    subprocess.run(["dotnet", args.exporter, f"{size}:rgb", str(rows), data], check=True, stdout=subprocess.DEVNULL)
    x = np.fromfile(data, np.float32).reshape(rows, 3 * size * size)
    os.remove(data)
    return x


def reference(x, k, threads, block=4000):
    """Top K + 1 eigenpairs of the float64 covariance of x (N × F float32), independently of Latent."""
    n, f = x.shape
    start = time.perf_counter()
    with threadpool_limits(threads):
        mean = x.mean(axis=0, dtype=np.float64)
        gram = np.zeros((f, f))
        for i in range(0, n, block):
            part = x[i:i + block].astype(np.float64) - mean
            gram += part.T @ part
        values, vectors = scipy.linalg.eigh(gram / (n - 1), subset_by_index=[f - k - 1, f - 1])
    return mean, values[::-1], vectors[:, ::-1], time.perf_counter() - start


def captured_variance(x, mean, components, block=4000):
    """Variance of the data along the rows of components [K, F] (orthonormal), in float64."""
    w = components.astype(np.float64).T
    total = 0.0
    for i in range(0, x.shape[0], block):
        projected = (x[i:i + block].astype(np.float64) - mean) @ w
        total += (projected ** 2).sum()
    return total / (x.shape[0] - 1)


def largest_angle_deg(a, b):
    """Largest principal angle between the column spaces of a and b (orthonormal columns), in degrees."""
    qa, _ = np.linalg.qr(a.astype(np.float64))
    qb, _ = np.linalg.qr(b.astype(np.float64))
    sine = np.linalg.svd(qb - qa @ (qa.T @ qb), compute_uv=False).max()
    return float(np.degrees(np.arcsin(min(1.0, sine))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent", required=True)
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--components", type=int, default=64)
    parser.add_argument("--rows", default="5000,10000,20000,50000", help="N of the curve against N (at the largest size)")
    parser.add_argument("--sizes", default="16,32,48,64", help="image sides of the curve against F (at the largest N)")
    parser.add_argument("--no-reference", action="store_true", help="skip the exact reference at the largest point")
    parser.add_argument("--solvers-at", default=None, help="N,SIZE: also compare all three solver pairs at this point")
    parser.add_argument("--batch", type=int, default=1000, help="incremental: rows per batch, both sides")
    parser.add_argument("--curves", default="true", help="false: only the --solvers-at table")
    parser.add_argument("--plot", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    k = args.components
    rows_list = [int(r) for r in args.rows.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    big_rows, big_size = max(rows_list), max(sizes)
    points = sorted({(r, big_size) for r in rows_list} | {(big_rows, s) for s in sizes})

    blas = [f"{i['internal_api']} {i.get('version') or ''} ({os.path.basename(i.get('filepath') or '?')})" for i in threadpool_info()]
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, BLAS: {', '.join(blas) or 'none found (reference BLAS)'}; "
          f"{args.threads} threads, K = {k}, best of {args.repeats}", flush=True)

    results, solvers = [], []
    with tempfile.TemporaryDirectory() as scratch:
        if args.solvers_at:
            rows, size = (int(v) for v in args.solvers_at.split(","))
            solvers = compare_solvers(args, scratch, rows, size)
        for rows, size in (points if args.curves != "false" else []):
            features = 3 * size * size
            x = export(args, scratch, rows, size)
            times = {"latent_randomized": [], "latent_auto": [], "sklearn_randomized": []}
            auto_solver, latent_run, sk_model, latent_fit_json = None, None, None, None
            for repeat in range(args.repeats):
                latent_fit_json, latent_run = latent_fit(args, scratch, rows, size, "randomized")
                times["latent_randomized"].append(latent_fit_json["fit_seconds"])
                fit, _ = latent_fit(args, scratch, rows, size, "auto")
                times["latent_auto"].append(fit["fit_seconds"])
                auto_solver = fit["solver"]
                seconds, sk_model = sklearn_fit(x, k, args.threads)
                times["sklearn_randomized"].append(seconds)
            best = {name: min(values) for name, values in times.items()}
            point = {"rows": rows, "features": features, "size": size, **best, "auto_solver": auto_solver,
                     "latent_power_iterations": latent_fit_json["power_iterations"],
                     "ratio_sklearn_over_latent_randomized": best["sklearn_randomized"] / best["latent_randomized"]}
            print(f"N = {rows:6d}, F = {features:6d}: latent randomized {best['latent_randomized']:7.2f} s "
                  f"(q = {point['latent_power_iterations']}), latent auto ({auto_solver}) {best['latent_auto']:7.2f} s, "
                  f"scikit-learn randomized {best['sklearn_randomized']:7.2f} s: "
                  f"ratio {point['ratio_sklearn_over_latent_randomized']:.2f}x", flush=True)

            if (rows, size) == (big_rows, big_size) and not args.no_reference:
                mean, values, vectors, seconds = reference(x, k, args.threads)
                optimum = values[:k].sum()
                print(f"reference: numpy float64 covariance + scipy eigh (top {k + 1}) in {seconds:.0f} s; "
                      f"lambda{k}/lambda{k + 1} = {values[k - 1] / values[k]:.4f}")
                ours = read_safetensors(os.path.join(latent_run, "model.safetensors"))
                for name, components in [("latent", ours["components"]), ("scikit-learn", sk_model.components_)]:
                    captured = captured_variance(x, mean, components)
                    angle = largest_angle_deg(components.T, vectors[:, :k])
                    point[f"{name}_shortfall"] = 1 - captured / optimum
                    point[f"{name}_angle_deg"] = angle
                    print(f"  {name:13s} variance along its {k} components / optimum - 1 = {captured / optimum - 1:+.2e}; "
                          f"largest angle to the exact subspace {angle:.2f} deg")
                point["latent_reported_vs_measured"] = float(ours["explained_variance"].sum() / captured_variance(x, mean, ours["components"]) - 1)
            results.append(point)
            del x, sk_model

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"blas": blas, "threads": args.threads, "components": k, "repeats": args.repeats,
                       "curves": results, "solvers": solvers}, f, indent=2)
    if args.plot and results:
        plot(results, big_rows, big_size, k, args.threads, args.plot)


def plot(results, big_rows, big_size, k, threads, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    series = [("sklearn_randomized", "scikit-learn randomized (OpenBLAS)", "tab:red", "s"),
              ("latent_randomized", "latent pca --solver randomized", "tab:blue", "o"),
              ("latent_auto", "latent pca --solver auto", "tab:cyan", "^")]
    for axis, key, fixed, label in [(axes[0], "rows", ("size", big_size), "N (examples)"),
                                    (axes[1], "features", ("rows", big_rows), "F (features)")]:
        chosen = sorted([p for p in results if p[fixed[0]] == fixed[1]], key=lambda p: p[key])
        for name, text, colour, marker in series:
            axis.plot([p[key] for p in chosen], [p[name] for p in chosen], marker=marker, color=colour, label=text)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(label)
        axis.set_ylabel("fit time, s")
        axis.grid(True, which="both", alpha=0.3)
        axis.set_title(f"F = {3 * big_size * big_size}" if key == "rows" else f"N = {big_rows}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"PCA of shapes:S:rgb, K = {k}, {threads} threads, same run (shared machine: ratios only)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
