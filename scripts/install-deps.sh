#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build needs, only those missing. Uses sudo when not root.
# The package list is the one in docs (toolchain notes): Qt 6 Widgets, QCustomPlot (Qt6), oneTBB, Eigen,
# nlohmann-json, CMake + Ninja, and Xvfb/ImageMagick for screenshots.
#   scripts/install-deps.sh           what `make build` / `make test` need
#   scripts/install-deps.sh --fuzz    also the fuzzing and sanitizer tools (`make deps-fuzz`): clang-14 with
#                                     libFuzzer and its sanitizer runtimes (libclang-rt-14-dev is only a
#                                     recommendation of clang-14, so it is named), llvm-symbolizer (llvm-14)
#                                     for readable stacks. GCC's ASan/UBSan/TSan runtimes come with g++.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl1-mesa-dev
  libtbb-dev libeigen3-dev nlohmann-json3-dev
  xvfb xauth imagemagick fonts-dejavu-core file dpkg-dev
  desktop-file-utils appstream
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev llvm-14)
fi
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
