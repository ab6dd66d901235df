#!/bin/sh
# System tools the report needs: Chromium (PDF, screenshots) and poppler-utils (pdftotext,
# pdftoppm for the tests). Idempotent and quiet; run as root or with sudo available.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v pdftoppm >/dev/null 2>&1 || case "$missing" in *poppler*) ;; *) missing="$missing poppler-utils" ;; esac
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing fonts-dejavu-core >/dev/null
