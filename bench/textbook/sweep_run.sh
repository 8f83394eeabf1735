#!/bin/sh
# usage: run.sh NAME MODEL SEED flags...   -> appends "NAME seed mse/nats seconds" to ${SWEEP:-/tmp/sweep}/results.tsv
name=$1; model=$2; seed=$3; shift 3
out=${SWEEP:-/tmp/sweep}/runs/$name-s$seed
rm -rf $out
start=$(date +%s)
dotnet ${LATENT_DLL:-/tmp/frozen/Latent.Cli.dll} train --model $model --data fashion-mnist --epochs 10 --seed $seed --threads 1 --quiet --out $out "$@" || exit 1
end=$(date +%s)
evalflags=""
[ "$model" = vae ] && evalflags="--iwae-samples 100"
dotnet ${LATENT_DLL:-/tmp/frozen/Latent.Cli.dll} eval --run $out --threads 1 --quiet $evalflags >/dev/null || exit 1
python3 - "$name" "$seed" "$out" "$((end-start))" "$*" <<'PY' >> ${SWEEP:-/tmp/sweep}/results.tsv
import json,sys
n,s,o,t,f=sys.argv[1:]
e=json.load(open(o+"/eval.json"))
print("\t".join([n,s,"%.5f"%e.get("test_mse",0),"%.2f"%e.get("test_neg_elbo_nats",0),"%.2f"%e.get("iwae_nll_nats",0),t,f]))
PY
