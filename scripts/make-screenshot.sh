#!/usr/bin/env bash
# Writes docs/screenshot.png (the README picture) from the real app: inference-workbench opens
# stories260K.gguf, sends "Once upon a time" through the Chat workspace (--prompt, 64 tokens), waits for the
# end of the generation and saves a PNG of the whole window (--screenshot), offscreen, with throw-away
# settings, cache and conversations.
# usage: scripts/make-screenshot.sh BUILD_DIR
# The model comes from $WB_MODELS_DIR (else ../shared/models, as in the Makefile); without it the
# screenshot shows the start page.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$(cd "$1" && pwd)
app="$build_dir/app/inference-workbench"
if [ ! -x "$app" ]; then
  echo "$0: $app not found: build the app first (make build)" >&2
  exit 2
fi

models_dir=$(realpath -m "${WB_MODELS_DIR:-$repo_root/../shared/models}")
model="$models_dir/stories260K.gguf"
args=()
if [ -f "$model" ]; then
  args+=("$model" --prompt "Once upon a time" -n 64)
else
  echo "$0: $model not found: the screenshot shows the start page" >&2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
output="$repo_root/docs/screenshot.png"
mkdir -p "$(dirname "$output")"

# Offscreen rendering needs no X server and draws the same fonts (fontconfig) as a desktop session.
QT_QPA_PLATFORM=offscreen WB_SETTINGS_DIR="$scratch/settings" XDG_RUNTIME_DIR="$scratch" \
  XDG_CACHE_HOME="$scratch/cache" \
  "$app" "${args[@]}" --screenshot "$scratch/screenshot.png" 2> >(grep -v propagateSizeHints >&2)
mv "$scratch/screenshot.png" "$output"
echo "wrote $output ($(stat -c %s "$output") bytes)"
