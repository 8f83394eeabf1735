"""The reference of bench/NearestCodeVsPyTorch in PyTorch: seconds per nearest-code search of 6272 vectors of
D = 32 against K = 512 and 8192 codes, by addmm + argmin (‖e‖² − 2 z·e, what Latent's kernels compute) and by
cdist + argmin (vector-quantize-pytorch's way). Best of ROUNDS rounds of at least SECONDS each. One line per
figure: "pytorch METHOD K SECONDS".   usage: python3 bench/nearest_code_pytorch.py [THREADS=2] [ROUNDS=3] [SECONDS=0.5]
"""
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
torch.set_num_threads(threads)
torch.manual_seed(1)
z = torch.randn(128 * 49, 32)

methods = {
    "addmm": lambda codes, norms: torch.addmm(norms, z, codes.t(), beta=1, alpha=-2).argmin(1),
    "cdist": lambda codes, norms: torch.cdist(z, codes).argmin(1),
}
with torch.no_grad():
    for size in (512, 8192):
        codes = torch.randn(size, 32)
        norms = codes.square().sum(1)
        for name, search in methods.items():
            best = float("inf")
            for _ in range(rounds):
                search(codes, norms)  # warm-up
                calls, start = 0, time.perf_counter()
                while time.perf_counter() - start < seconds or calls < 3:
                    search(codes, norms)
                    calls += 1
                best = min(best, (time.perf_counter() - start) / calls)
            print(f"pytorch {name} {size} {best:.4e}", flush=True)
