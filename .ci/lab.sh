#!/usr/bin/env bash
# Quick start: set everything up from a fresh clone and open JupyterLab on a working copy
# of the demo notebooks. Works as root (containers) and as a normal user.
#   bash .ci/lab.sh [more jupyter lab options, e.g. --no-browser --port=8899]
source "$(dirname "$0")/env.sh"
make_venv .venv "$PY311" dev   # pip also builds the widgets' JavaScript (npm, via the build hook)

# The tracked notebooks/ stay without outputs (tests check it): JupyterLab opens
# notebooks-work/ (git-ignored), a copy made once per notebook; delete a file there to
# get the pristine demo back.
work="$ROOT/notebooks-work"
mkdir -p "$work"
for nb in notebooks/*.ipynb; do
  [ -e "$work/$(basename "$nb")" ] || cp "$nb" "$work/"
done

# Save widget state with the notebooks: a notebook reopened after its kernel is gone then
# shows each widget's static view instead of "Error displaying widget: model not found"
# (the state is small: the widgets' JavaScript is never part of it).
.venv/bin/python - <<'PY'
import json, pathlib, sys
path = pathlib.Path(sys.prefix, "share", "jupyter", "lab", "settings", "overrides.json")
data = json.loads(path.read_text()) if path.exists() else {}
data.setdefault("@jupyter-widgets/jupyterlab-manager:plugin", {}).setdefault("saveState", True)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(data, indent=2) + "\n")
PY

args=(--notebook-dir="$work")
# JupyterLab refuses to run as root without --allow-root; pass it only then
if [ "$(id -u)" = 0 ]; then args+=(--allow-root); fi
# JupyterLab's Extension Manager would query PyPI at start; the demos need no extensions
args+=(--LabApp.extension_manager=readonly)
echo "== jupyter lab ${args[*]} $*"
exec .venv/bin/jupyter lab "${args[@]}" "$@"
