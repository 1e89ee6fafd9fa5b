#!/usr/bin/env bash
# Installs, from Debian and only when missing, what the desktop client (desktop/) needs to run
# under a virtual X server: Xvfb, the X11 client libraries winit loads at run time, and Mesa's
# software OpenGL (llvmpipe) that eframe's glow renderer draws with. Building needs none of
# them (they are loaded with dlopen); extra package names given as arguments are added.
#
#   bash scripts/desktop-packages.sh [more Debian packages]
#
# Needs root when something is missing; runs `apt-get update` only if the package lists are
# older than an hour (so a CI run that just updated them does not update again).
set -euo pipefail

packages=(
  xvfb
  libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0
  libgl1 libglx-mesa0 libgl1-mesa-dri
  "$@"
)
missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "desktop packages: all installed (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "desktop packages missing: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "desktop packages: installing ${missing[*]}"
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
  apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
