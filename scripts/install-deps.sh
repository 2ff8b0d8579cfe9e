#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build needs, only those missing. Uses sudo when not root.
# The package list is the one in docs (toolchain notes): Qt 6 Widgets, QCustomPlot (Qt6), oneTBB, Eigen,
# nlohmann-json, CMake + Ninja, and Xvfb/ImageMagick for screenshots.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl1-mesa-dev
  libtbb-dev libeigen3-dev nlohmann-json3-dev
  xvfb xauth imagemagick fonts-dejavu-core file dpkg-dev
  desktop-file-utils appstream
)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "Installing missing packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
