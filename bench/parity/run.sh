#!/usr/bin/env bash
# Accuracy parity Whittle vs PyTorch (see run.ts). Full recipe: bench/parity/run.sh
# Short: bench/parity/run.sh --train-subset 10000 --epochs 1
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx tsx bench/parity/run.ts "$@"
