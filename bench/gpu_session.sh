#!/usr/bin/env bash
# One prepared run for a lent GPU (the device tool gives 15 minutes per session, all calls together):
# the issue-3 OpenELM throughput figures, eager vs sdpa vs torch.compile side by side in ONE bench run, with the
# ratio to Apple's hub code, written under $OUT (the JSON is rewritten after every figure, so a run cut short by
# the timeout keeps what it measured).
#   prepare here: pip download --no-deps fastcore==2.2.41 -d gpu-wheels   (the device image lacks fastcore, which
#                 `import deepfake_detect` needs; gpu-wheels/ is git-ignored: pass carry=["gpu-wheels"])
#   device tool:  bash bench/gpu_session.sh            (the image's python3 has torch, transformers, pandas)
#   smoke test:   DEVICE=cpu SIZES=tiny MODES="eager sdpa" EXTRA="--quick" bash bench/gpu_session.sh
#                 (add compile with EXTRA="--quick --compile-backend aot_eager": inductor builds C++ for minutes
#                 on a 2-core CPU)
set -uo pipefail
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}; SIZES=${SIZES:-270M 450M}; MODES=${MODES:-eager sdpa compile}; EXTRA=${EXTRA:-}
TIMEOUT=${TIMEOUT:-540}   # the device tool allows 600 s a command
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -d gpu-wheels ] && ls gpu-wheels/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-deps --no-index gpu-wheels/*.whl 2>&1 | tail -2
fi
{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import torch, transformers; print('torch', torch.__version__, '| transformers', transformers.__version__)"
} 2>&1 | tee "$OUT/machine.txt"
timeout "$TIMEOUT" $PY bench/openelm_speed.py --device "$DEVICE" --sizes $SIZES --modes $MODES $EXTRA \
    --out "$OUT/openelm_speed.json" 2>&1 | tee "$OUT/openelm_speed.txt"
