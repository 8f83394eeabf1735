#!/usr/bin/env bash
# Latent's nearest-code search (every kernel this CPU runs) against PyTorch's addmm + argmin and cdist + argmin on
# the same shapes (one training batch: 6272 vectors of D = 32; K = 512 and 8192), timed side by side: the two
# programs alternate ROUNDS times, and each figure is the best of all rounds, so that the machine's drifting load
# affects both alike. Prints the seconds of each and the ratios. Needs python3-torch (Debian's, /usr/bin/python3).
#   bench/nearest_code_vs_pytorch.sh [THREADS=2] [ROUNDS=3] [SECONDS=0.5]
# An AVX2-only machine, emulated on an AVX-512 one (.NET kept to AVX2; PyTorch's own kernels kept to AVX2 too):
#   DOTNET_EnableAVX512=0 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 bench/nearest_code_vs_pytorch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}; rounds=${2:-3}; seconds=${3:-0.5}
python=/usr/bin/python3
"$python" -c "import torch" 2>/dev/null || { echo "needs python3-torch: apt-get install python3-torch" >&2; exit 1; }
dotnet build -c Release -nologo -v q bench/NearestCodeVsPyTorch >/dev/null
dll=bench/NearestCodeVsPyTorch/bin/Release/net10.0/NearestCodeVsPyTorch.dll

lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for _ in $(seq "$rounds"); do
  dotnet "$dll" "$threads" 1 "$seconds" >>"$lines"
  "$python" bench/nearest_code_pytorch.py "$threads" 1 "$seconds" >>"$lines"
done

echo "nearest code of 6272 vectors (D = 32), $threads threads, best of $rounds alternating rounds; milliseconds per search (provisional on a shared machine)"
echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown); Latent's kernels this CPU runs: $(grep '^latent' "$lines" | cut -d' ' -f2 | sort -u | tr '\n' ' ')"
awk '
  { key = $1 " " $2; k = $3; t = $4 + 0; if (!((key, k) in best) || t < best[key, k]) best[key, k] = t; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
  END {
    printf "%-20s %10s %10s %12s\n", "search", "K=512", "K=8192", "8192 / 512"
    for (i = 1; i <= n; i++) { key = order[i]; printf "%-20s %10.3f %10.3f %12.2f\n", key, best[key, 512] * 1e3, best[key, 8192] * 1e3, best[key, 8192] / best[key, 512] }
    printf "\nratio to pytorch addmm + argmin (below 1: Latent is faster)\n"
    for (i = 1; i <= n; i++) { key = order[i]; if (key ~ /^latent/) printf "%-20s %10.2f %10.2f\n", key, best[key, 512] / best["pytorch addmm", 512], best[key, 8192] / best["pytorch addmm", 8192] }
  }' "$lines"
