#!/usr/bin/env bash
# One prepared run for a lent GPU (the device tool gives 15 minutes per session, all calls together):
# the issue-3 OpenELM throughput figures, eager and with torch.compile, written under $OUT.
#   device tool:  bash bench/gpu_session.sh            (the image's python3 has torch + transformers;
#                                                      nothing else of this project's dependencies is needed)
#   smoke test:   DEVICE=cpu SIZES=tiny MODES=eager EXTRA="--steps 1" bash bench/gpu_session.sh
#                 (compiling on this 2-core CPU takes minutes: inductor builds C++ there)
set -uo pipefail
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}; SIZES=${SIZES:-270M 450M}; MODES=${MODES:-eager compile}; EXTRA=${EXTRA:-}
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import torch, transformers; print('torch', torch.__version__, '| transformers', transformers.__version__)"
} 2>&1 | tee "$OUT/machine.txt"
status=0
for mode in $MODES; do
    flag=""; [ "$mode" = compile ] && flag="--compile"
    echo "== $mode" | tee "$OUT/openelm_speed_$mode.txt"
    timeout 270 $PY bench/openelm_speed.py --device "$DEVICE" --sizes $SIZES $flag $EXTRA \
        --out "$OUT/openelm_speed_$mode.json" 2>&1 | tee -a "$OUT/openelm_speed_$mode.txt" || status=1
done
exit $status
