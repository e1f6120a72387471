#!/usr/bin/env bash
# The main job, on a fresh machine with Python 3.11:
#   bash tools/run_demo.sh
# 1. creates the environment if missing (tools/setup_env.sh),
# 2. finds and measures the cracks of real photos with the model mmcrack
#    ships (hrsegnet-b16-general): validation photos of ../shared/data/cfd
#    and cracksc where present, else generated ones; masks, overlays,
#    measurements, the survey (GeoJSON, survey.csv) and report.html, in
#    about a minute,
# 3. generates the default dataset (procedural pavement cracks) if missing,
# 4. trains HrSegNet-B16 on it with tools/train.py (balanced learning plus
#    Dice, 1000 iterations, about 10 minutes on 2 CPU cores),
# 5. evaluates the checkpoint with tools/test.py, paints overlays and plots
#    the training curves (tools/analysis_tools/plot_curves.py),
# 6. exports it to ONNX with tools/deploy.py and runs the ONNX model on a
#    validation photo with tools/infer.py (ONNX Runtime),
# and prints where everything is. Environment: DEMO_MODEL (default:
# hrsegnet-b16-general), DEMO_CONFIG (default: the config below),
# DEMO_WORK_DIR (work_dirs/demo), DEMO_DATA (data/crack_synthetic).
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

MODEL=${DEMO_MODEL:-hrsegnet-b16-general}
SHARED=../shared/data

if [ ! -f "$DATA/splits/val.txt" ]; then
  echo "[demo] 1/5 generating the default dataset in $DATA"
  "$PY" tools/misc/generate_synthetic_cracks.py "$DATA" --seed 0
else
  echo "[demo] 1/5 dataset $DATA exists"
fi

# Photos the shipped model has not been trained on: the validation photos
# (every 5th sorted stem) of the real sets, or the generated ones.
PHOTOS="$WORK_DIR/photos"
rm -rf "$PHOTOS"
mkdir -p "$PHOTOS"
if [ -d "$SHARED/cfd/images" ] && [ -d "$SHARED/cracksc/images" ]; then
  for set in cfd cracksc; do
    for name in $(ls "$SHARED/$set/images" | sort | awk 'NR % 5 == 0' | head -6); do
      ln -s "$(cd "$SHARED/$set/images" && pwd)/$name" "$PHOTOS/${set}_$name"
    done
  done
else
  for stem in $(head -12 "$DATA/splits/val.txt"); do
    ln -s "$(cd "$DATA/images" && pwd)/$stem.jpg" "$PHOTOS/$stem.jpg"
  done
fi
echo "[demo] 2/5 finding and measuring cracks with the shipped model $MODEL"
"$PY" tools/infer.py "$MODEL" "$PHOTOS" --out "$WORK_DIR/shipped" \
  --survey --report --overwrite

echo "[demo] 3/5 training HrSegNet-B16 ($CONFIG)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
  --cfg-options train_dataloader.dataset.data_root="$DATA" \
  val_dataloader.dataset.data_root="$DATA" \
  test_dataloader.dataset.data_root="$DATA"
CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")

echo "[demo] 4/5 evaluating $CHECKPOINT"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" \
  --show-dir "$WORK_DIR/test/overlays" \
  --cfg-options test_dataloader.dataset.data_root="$DATA" \
  | tee "$WORK_DIR/test.log"
METRICS=$(grep -o 'Metrics saved to .*' "$WORK_DIR/test.log" | tail -1 | cut -d' ' -f4)
"$PY" tools/analysis_tools/plot_curves.py "$WORK_DIR" --keys loss IoU F1 \
  --out "$WORK_DIR/curves.png"

PHOTO=$(ls "$DATA"/images/"$(head -1 "$DATA/splits/val.txt")".* | head -1)
echo "[demo] 5/5 exporting to ONNX and running it on $PHOTO (ONNX Runtime)"
"$PY" tools/deploy.py configs/deploy/segmentation_onnxruntime_dynamic.py \
  "$CONFIG" "$CHECKPOINT" "$PHOTO" --work-dir "$WORK_DIR/onnx"
"$PY" tools/infer.py "$CONFIG" "$WORK_DIR/onnx/end2end.onnx" "$PHOTO" \
  --backend onnxruntime --out "$WORK_DIR/infer_onnx" --overwrite

cat <<SUMMARY

[demo] done
  shipped model $MODEL on $(ls "$PHOTOS" | wc -l) photos: $(realpath "$WORK_DIR/shipped") (report: $(realpath "$WORK_DIR/shipped/report.html"))
  checkpoint: $(realpath "$CHECKPOINT")
  metrics:    $METRICS
  overlays:   $(realpath "$WORK_DIR/test/overlays/vis_data/vis_image")
  ONNX model: $(realpath "$WORK_DIR/onnx/end2end.onnx") (its prediction: $(realpath "$WORK_DIR/infer_onnx"))
  training curves: $(realpath "$WORK_DIR/curves.png") (from $(ls -d "$(realpath "$WORK_DIR")"/*/vis_data/scalars.json | tail -1))
SUMMARY
