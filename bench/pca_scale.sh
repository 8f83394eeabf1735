#!/usr/bin/env bash
# latent pca against scikit-learn's randomized PCA at wide F (shapes:S:rgb up to 64×64×3 = 12 288
# features, N up to 50 000), side by side in one run; time against N and against F into docs/pca-scale.png.
# See bench/pca_scale.py and bench/README.md.
#   bench/pca_scale.sh                          # THREADS=2 REPEATS=2 K=64
#   ROWS=2000,5000 SIZES=16,32 bench/pca_scale.sh --no-reference    # a quick look
# First, at SOLVERS_AT (N,SIZE; default 20000,32, F = 3072) every solver pair side by side: latent exact /
# randomized / incremental against scikit-learn's PCA full / randomized / IncrementalPCA (BATCH rows).
# numpy must run on an optimised BLAS for a fair comparison: Debian's libopenblas0-pthread (it becomes
# libblas.so.3 when installed), or one unpacked elsewhere and named by OPENBLAS_DIR (see pca_vs_sklearn.sh).
# Memory: the Python side holds X (N·F·4 bytes, 2.5 GB at the largest point) and scikit-learn copies it
# twice while fitting; the latent process holds it once. They never run at the same time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
latent="${LATENT:-$root/latent}"      # LATENT=a frozen copy lets the sources change while it runs
"$latent" --help >/dev/null      # build first, outside the timings
dotnet build "$root/bench/shapes_export" -c Release -nologo -v q >/dev/null
exporter="$root/bench/shapes_export/bin/Release/net10.0/ShapesExport.dll"
LD_LIBRARY_PATH="${OPENBLAS_DIR:+$OPENBLAS_DIR:}${LD_LIBRARY_PATH:-}" OPENBLAS_NUM_THREADS="${THREADS:-2}" \
  "$python" "$root/bench/pca_scale.py" --latent "$latent" --exporter "$exporter" \
    --threads "${THREADS:-2}" --repeats "${REPEATS:-2}" --components "${K:-64}" \
    --rows "${ROWS:-5000,10000,20000,50000}" --sizes "${SIZES:-16,32,48,64}" \
    --solvers-at "${SOLVERS_AT:-20000,32}" --batch "${BATCH:-1000}" \
    --plot "$root/docs/pca-scale.png" --json "$root/bench/pca_scale.json" "$@"
