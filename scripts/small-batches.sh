#!/bin/bash
# Test accuracy (eval mode) after one epoch on the embedded digits, per batch size and normalization:
# the README's small-batch table. Needs `npm run build`. Prints "batch variant accuracy" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
net() { echo "conv(32,5,pad=2) $1 relu maxpool(2) flatten linear(128) $1 relu linear"; }
declare -A NORM=([bn]='bn' [ghost8]='bn(ghost=8)' [groupnorm]='groupnorm(8)' [renorm]='bn(renorm,warmup=500)')
for b in 32 16 8 4 2; do
  for k in bn ghost8 groupnorm renorm; do
    node dist/cli.js train --data digits --epochs 1 --batch "$b" --seed 1 --model "$(net "${NORM[$k]}")" --out "$out/$k-$b" --json > "$out/$k-$b.jsonl"
    echo "$b $k $(grep '"split":"test"' "$out/$k-$b.jsonl" | tail -1 | sed 's/.*"accuracy":\([0-9.]*\).*/\1/')"
  done
done
