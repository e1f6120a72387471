#!/usr/bin/env bash
# The main job, on a fresh machine with Python 3.11:
#   bash tools/run_demo.sh
# 1. creates the environment if missing (tools/setup_env.sh),
# 2. generates the default dataset (procedural pavement cracks) if missing,
# 3. trains HrSegNet-B16 on it with tools/train.py (balanced learning plus
#    Dice, 1000 iterations, about 10 minutes on 2 CPU cores),
# 4. evaluates the checkpoint with tools/test.py, paints overlays and plots
#    the training curves (tools/analysis_tools/plot_curves.py),
# 5. exports it to ONNX with tools/deploy.py and runs the ONNX model on a
#    validation photo with tools/infer.py (ONNX Runtime),
# and prints where the checkpoint, the metrics, the overlays and the ONNX
# model are. Environment: DEMO_CONFIG (default: the config
# below), DEMO_WORK_DIR (work_dirs/demo), DEMO_DATA (data/crack_synthetic).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV=${MMCRACK_VENV:-.venv}
# Tools that start `python` (dist_train.sh) get the environment's.
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
PY="$VENV/bin/python"
CONFIG=${DEMO_CONFIG:-configs/balanced/hrsegnet-b16-balanced-dice_1xb8-1k_crack-synthetic-256x256.py}
DATA=${DEMO_DATA:-data/crack_synthetic}
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/demo}

if [ ! -f "$DATA/splits/val.txt" ]; then
  echo "[demo] 1/4 generating the default dataset in $DATA"
  "$PY" tools/misc/generate_synthetic_cracks.py "$DATA" --seed 0
else
  echo "[demo] 1/4 dataset $DATA exists"
fi

echo "[demo] 2/4 training HrSegNet-B16 ($CONFIG)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
  --cfg-options train_dataloader.dataset.data_root="$DATA" \
  val_dataloader.dataset.data_root="$DATA" \
  test_dataloader.dataset.data_root="$DATA"
CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")

echo "[demo] 3/4 evaluating $CHECKPOINT"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" \
  --show-dir "$WORK_DIR/test/overlays" \
  --cfg-options test_dataloader.dataset.data_root="$DATA" \
  | tee "$WORK_DIR/test.log"
METRICS=$(grep -o 'Metrics saved to .*' "$WORK_DIR/test.log" | tail -1 | cut -d' ' -f4)
"$PY" tools/analysis_tools/plot_curves.py "$WORK_DIR" --keys loss IoU F1 \
  --out "$WORK_DIR/curves.png"

PHOTO=$(ls "$DATA"/images/"$(head -1 "$DATA/splits/val.txt")".* | head -1)
echo "[demo] 4/4 exporting to ONNX and running it on $PHOTO (ONNX Runtime)"
"$PY" tools/deploy.py configs/deploy/segmentation_onnxruntime_dynamic.py \
  "$CONFIG" "$CHECKPOINT" "$PHOTO" --work-dir "$WORK_DIR/onnx"
"$PY" tools/infer.py "$CONFIG" "$WORK_DIR/onnx/end2end.onnx" "$PHOTO" \
  --backend onnxruntime --out "$WORK_DIR/infer_onnx" --overwrite

cat <<SUMMARY

[demo] done
  checkpoint: $(realpath "$CHECKPOINT")
  metrics:    $METRICS
  overlays:   $(realpath "$WORK_DIR/test/overlays/vis_data/vis_image")
  ONNX model: $(realpath "$WORK_DIR/onnx/end2end.onnx") (its prediction: $(realpath "$WORK_DIR/infer_onnx"))
  training curves: $(realpath "$WORK_DIR/curves.png") (from $(ls -d "$(realpath "$WORK_DIR")"/*/vis_data/scalars.json | tail -1))
SUMMARY
