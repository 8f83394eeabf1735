#!/usr/bin/env bash
# Decode throughput of an exported decoder in ONNX Runtime against TorchSharp, same batches, same threads.
# usage: bench/onnx_vs_torchsharp.sh [THREADS=2] [ROUNDS=3] [SECONDS=0.5]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/OnnxVsTorchSharp -- "${1:-2}" "${2:-3}" "${3:-0.5}"
