#!/bin/sh
# Debian packages the tests need: Chromium (the overlay's browser tests, the report's PDF and
# screenshots; driven through Playwright's executable_path, no browser download), poppler-utils
# (pdftotext, pdftoppm), PulseAudio (a virtual loopback for `praesent capture`) with the ALSA
# plugin and PortAudio that sounddevice needs; Node.js and npm for the OpenID Connect provider
# that the sign-in tests start (oidc-provider, tests/team/oidc_provider) and for axe-core (the
# overlay's accessibility check, tests/overlay/axe), each installed with `npm ci` from its
# committed package-lock.json; Caddy (`caddy validate` checks
# deploy/Caddyfile); for `praesent agent`'s window test: Xvfb, openbox (a window manager that
# keeps "above" windows above), xdotool, x11-utils (xprop, xdpyinfo, xwininfo), ImageMagick
# (screenshots), trayer (a system tray the agent's icon docks in) and the X libraries Qt's xcb
# platform plugin loads. Idempotent and quiet; run as root or with
# sudo.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OIDC_PROVIDER="$ROOT/tests/team/oidc_provider"
AXE="$ROOT/tests/overlay/axe"
# npm ci again only when the lock changed since the last install: a copy of the lock is the stamp.
npm_ci() {
    cmp -s "$1/package-lock.json" "$1/node_modules/.praesent-lock" 2>/dev/null && return 0
    npm ci --prefix "$1" --no-audit --no-fund --silent >/dev/null
    cp "$1/package-lock.json" "$1/node_modules/.praesent-lock"
}
node_packages() {
    npm_ci "$OIDC_PROVIDER"
    npm_ci "$AXE"
}
need=""
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
command -v pulseaudio >/dev/null 2>&1 || need="$need pulseaudio"
command -v pactl >/dev/null 2>&1 || need="$need pulseaudio-utils"
command -v caddy >/dev/null 2>&1 || need="$need caddy"
command -v Xvfb >/dev/null 2>&1 || need="$need xvfb"
command -v openbox >/dev/null 2>&1 || need="$need openbox"
command -v xdotool >/dev/null 2>&1 || need="$need xdotool"
command -v xprop >/dev/null 2>&1 || need="$need x11-utils"
command -v import >/dev/null 2>&1 || need="$need imagemagick"
command -v trayer >/dev/null 2>&1 || need="$need trayer"
for lib in libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
    libxcb-keysyms.so.1:libxcb-keysyms1 libxkbcommon-x11.so.0:libxkbcommon-x11-0; do
    ls /usr/lib/*-linux-gnu/"${lib%%:*}" >/dev/null 2>&1 || need="$need ${lib#*:}"
done
[ -e /usr/lib/x86_64-linux-gnu/libportaudio.so.2 ] || [ -e /usr/lib/aarch64-linux-gnu/libportaudio.so.2 ] \
    || need="$need libportaudio2"
[ -z "$need" ] && { node_packages; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (a lock) instead of failing.
APT="apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"
for _ in 1 2 3 4 5; do
    $SUDO $APT update -qq >/dev/null 2>&1 && break
    sleep 10
done
# shellcheck disable=SC2086
$SUDO $APT install -y -qq --no-install-recommends $need libasound2-plugins fonts-dejavu-core \
    >/dev/null
node_packages
