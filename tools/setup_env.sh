#!/usr/bin/env bash
# Create or update the project's virtual environment (idempotent).
#
#   bash tools/setup_env.sh            # uses python3.11, writes .venv/
#   MMCRACK_VENV=/path/to/venv PYTHON=python3.11 bash tools/setup_env.sh
#   MMCRACK_MMCV=full MMCRACK_VENV=.venv-full bash tools/setup_env.sh
#
# A second run with unchanged requirements returns in about a second.
# MMCRACK_MMCV picks the mmcv package:
#   lite (default for a new environment)  mmcv-lite 2.1.0, mmcv without its compiled ops, which
#                   mmcrack never calls; a start-up hook in the environment
#                   (mmcrack_mmcv_ops.pth) puts a stand-in in place of the ops
#                   so that mmseg imports (mmcrack/utils/compat.py,
#                   mmcv_ops_standin). About a minute on 2 cores.
#   full            mmcv 2.1.0 with its compiled ops, for environments whose
#                   other models need them (the default for an environment
#                   that already has it): built from source (about 20 minutes
#                   on 2 cores) unless PIP_FIND_LINKS or pip's wheel cache holds
#                   a wheel. No stand-in is installed.
# The two own the same folder: an environment holds one of them, and this
# script refuses to add the other.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${MMCRACK_VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
MMCV=${MMCRACK_MMCV:-}
if [ -z "$MMCV" ]; then
  # An environment that has mmcv with ops keeps it; a new one gets lite.
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip show -q mmcv 2>/dev/null; then
    MMCV=full
    echo "[setup_env] $VENV has mmcv with its compiled ops: keeping it (MMCRACK_MMCV=full)"
  else
    MMCV=lite
  fi
fi
case "$MMCV" in
  lite|full) ;;
  *) echo "[setup_env] MMCRACK_MMCV must be lite or full, not '$MMCV'" >&2; exit 1 ;;
esac
STAMP="$VENV/.mmcrack-requirements"
want=$( (cat requirements/*.txt setup.py; echo "mmcv=$MMCV") | sha256sum | cut -d' ' -f1)

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

# mmcv and mmcv-lite both install the folder mmcv/: never both.
other=$([ "$MMCV" = lite ] && echo mmcv || echo mmcv-lite)
if $PIP show -q "$other" 2>/dev/null; then
  echo "[setup_env] $VENV already has $other, and MMCRACK_MMCV=$MMCV would" \
    "install $([ "$MMCV" = lite ] && echo mmcv-lite || echo mmcv) over the same" \
    "folder. Use another environment (MMCRACK_VENV=...), or" \
    "'$VENV/bin/pip uninstall $other' first, or MMCRACK_MMCV=$([ "$MMCV" = lite ] && echo full || echo lite)" >&2
  exit 1
fi

echo "[setup_env] 1/5 build requirements (setuptools, torch)"
$PIP install -q -r requirements/build.txt
if [ "$MMCV" = lite ]; then
  echo "[setup_env] 2/5 mmcv-lite (mmcv without compiled ops)"
  $PIP install -q -r requirements/mmcv-lite.txt
else
  echo "[setup_env] 2/5 mmcv with compiled ops (a source build takes ~20 min the first time)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    $PIP install -q --no-build-isolation -r requirements/mmcv-full.txt
fi
echo "[setup_env] 3/5 runtime, test and optional requirements"
$PIP install -q -r requirements/runtime.txt -r requirements/tests.txt \
  -r requirements/optional.txt
echo "[setup_env] 4/5 deployment: onnx, onnxruntime, mmdeploy (--no-deps)"
$PIP install -q -r requirements/deploy.txt
$PIP install -q --no-deps -r requirements/deploy-nodeps.txt
echo "[setup_env] 5/5 mmcrack (editable)"
$PIP install -q --no-deps --no-build-isolation -e .
hook=$("$VENV/bin/python" -c 'import site; print(site.getsitepackages()[0])')/mmcrack_mmcv_ops.pth
if [ "$MMCV" = lite ]; then
  "$VENV/bin/python" -c 'from mmcrack.utils.compat import write_startup_hook; print("[setup_env] start-up hook:", write_startup_hook())'
else
  rm -f "$hook"
fi

"$VENV/bin/python" -c 'import mmcv.ops, mmseg, mmdeploy, onnxruntime, pydensecrf, mmcrack; print("[setup_env] ok: mmcv", mmcv.__version__, "('"$MMCV"')", "mmseg", mmseg.__version__, "mmcrack", mmcrack.__version__)'
echo "$want" > "$STAMP"
