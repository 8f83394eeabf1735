#!/bin/sh
# usage: shp.sh NAME flags... : shapes, 4 epochs, eval test_mse -> ${SWEEP:-/tmp/sweep}/shapes.tsv
name=$1; shift
out=${SWEEP:-/tmp/sweep}/shapes/$name; rm -rf $out
dotnet ${LATENT_DLL:-/tmp/frozen/Latent.Cli.dll} train --data shapes --epochs 4 --threads 1 --quiet --out $out "$@" 2>/dev/null || exit 1
dotnet ${LATENT_DLL:-/tmp/frozen/Latent.Cli.dll} eval --run $out --threads 1 --quiet > /dev/null
python3 -c "import json,sys;print(sys.argv[1], '%.5f'%json.load(open(sys.argv[2]+'/eval.json'))['test_mse'], sys.argv[3])" "$name" $out "$*" >> ${SWEEP:-/tmp/sweep}/shapes.tsv
