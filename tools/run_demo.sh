#!/usr/bin/env bash
# The main job, on a fresh machine with Python 3.11:
#   bash tools/run_demo.sh
# 1. creates the environment if missing (tools/setup_env.sh),
# 2. generates the default dataset (procedural pavement cracks) if missing,
# 3. trains HrSegNet-B16 on it with tools/train.py,
# 4. evaluates the checkpoint with tools/test.py and paints overlays,
# and prints where the checkpoint, the metrics and the overlays are.
# Environment: DEMO_ITERS (default 300), DEMO_WORK_DIR (work_dirs/demo),
# DEMO_DATA (data/crack_synthetic).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV=${MMCRACK_VENV:-.venv}
# Tools that start `python` (dist_train.sh) get the environment's.
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
PY="$VENV/bin/python"
CONFIG=configs/hrsegnet/hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py
DATA=${DEMO_DATA:-data/crack_synthetic}
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/demo}
ITERS=${DEMO_ITERS:-300}

if [ ! -f "$DATA/splits/val.txt" ]; then
  echo "[demo] 1/3 generating the default dataset in $DATA"
  "$PY" tools/misc/generate_synthetic_cracks.py "$DATA" --seed 0
else
  echo "[demo] 1/3 dataset $DATA exists"
fi

echo "[demo] 2/3 training HrSegNet-B16 for $ITERS iterations ($CONFIG)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
  --cfg-options train_cfg.max_iters="$ITERS" \
  train_dataloader.dataset.data_root="$DATA" \
  val_dataloader.dataset.data_root="$DATA" \
  test_dataloader.dataset.data_root="$DATA"
CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")

echo "[demo] 3/3 evaluating $CHECKPOINT"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" \
  --show-dir "$WORK_DIR/test/overlays" \
  --cfg-options test_dataloader.dataset.data_root="$DATA" \
  | tee "$WORK_DIR/test.log"
METRICS=$(grep -o 'Metrics saved to .*' "$WORK_DIR/test.log" | tail -1 | cut -d' ' -f4)

cat <<SUMMARY

[demo] done
  checkpoint: $(realpath "$CHECKPOINT")
  metrics:    $METRICS
  overlays:   $(realpath "$WORK_DIR/test/overlays/vis_data/vis_image")
  training curves (scalars): $(ls -d "$(realpath "$WORK_DIR")"/*/vis_data/scalars.json | tail -1)
SUMMARY
