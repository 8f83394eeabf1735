#!/usr/bin/env bash
# Latent's exact PCA against scikit-learn's randomized PCA on Fashion-MNIST (see pca_vs_sklearn.py).
#   bench/pca_vs_sklearn.sh [THREADS] [REPEATS]
# Debian's numpy runs on the reference (netlib) BLAS. To also compare with an optimised BLAS without
# touching the system, unpack OpenBLAS somewhere and point OPENBLAS_DIR at it:
#   apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
#   OPENBLAS_DIR=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread bench/pca_vs_sklearn.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${1:-2}"
repeats="${2:-3}"
python="${PYTHON:-/usr/bin/python3}"   # Debian's python3, which has numpy and python3-sklearn

"$root/latent" --help >/dev/null      # build first, outside the timings
echo "== scikit-learn with Debian's default BLAS"
"$python" "$root/bench/pca_vs_sklearn.py" --latent "$root/latent" --threads "$threads" --repeats "$repeats"
if [ -n "${OPENBLAS_DIR:-}" ]; then
  echo
  echo "== scikit-learn with OpenBLAS from $OPENBLAS_DIR"
  LD_LIBRARY_PATH="$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$python" "$root/bench/pca_vs_sklearn.py" --latent "$root/latent" --threads "$threads" --repeats "$repeats"
fi
