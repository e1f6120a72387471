#!/usr/bin/env bash
# Create or update the project's virtual environment (idempotent).
#
#   bash tools/setup_env.sh            # uses python3.11, writes .venv/
#   MMCRACK_VENV=/path/to/venv PYTHON=python3.11 bash tools/setup_env.sh
#
# A second run with unchanged requirements returns in about a second. mmcv 2.1.0
# is built from source with its compiled ops (about 20 minutes on 2 cores) the
# first time; pip's wheel cache keeps that build, and a folder named in
# PIP_FIND_LINKS that holds a prebuilt mmcv wheel skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${MMCRACK_VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
STAMP="$VENV/.mmcrack-requirements"
want=$(cat requirements/*.txt setup.py | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
    && "$VENV/bin/python" -c 'import mmcv.ops, mmseg, mmdeploy, onnxruntime, mmcrack' 2>/dev/null; then
  echo "[setup_env] $VENV is up to date"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null; then
  echo "[setup_env] $PYTHON not found: mmcrack needs Python 3.11 (set PYTHON=...)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup_env] creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "[setup_env] 1/5 build requirements (setuptools, torch)"
$PIP install -q -r requirements/build.txt
echo "[setup_env] 2/5 mmcv with compiled ops (a source build takes ~20 min the first time)"
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
  $PIP install -q --no-build-isolation -r requirements/mmcv.txt
echo "[setup_env] 3/5 runtime, test and optional requirements"
$PIP install -q -r requirements/runtime.txt -r requirements/tests.txt \
  -r requirements/optional.txt
echo "[setup_env] 4/5 deployment: onnx, onnxruntime, mmdeploy (--no-deps)"
$PIP install -q -r requirements/deploy.txt
$PIP install -q --no-deps -r requirements/deploy-nodeps.txt
echo "[setup_env] 5/5 mmcrack (editable)"
$PIP install -q --no-deps --no-build-isolation -e .

"$VENV/bin/python" -c 'import mmcv.ops, mmseg, mmdeploy, onnxruntime, pydensecrf, mmcrack; print("[setup_env] ok: mmcv", mmcv.__version__, "mmseg", mmseg.__version__, "mmcrack", mmcrack.__version__)'
echo "$want" > "$STAMP"
