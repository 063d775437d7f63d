#!/usr/bin/env bash
# Install the system packages the browser journeys need: Debian's chromium and chromium-driver
# (Playwright drives /usr/bin/chromium; no browser build is ever downloaded), fonts-noto-cjk for
# Chinese text in screenshots, and poppler-utils (pdftoppm) to render PDFs the tests produce.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# PDFs embed a TrueType CJK font (reportlab cannot embed Noto CJK's CFF); the tests decode bar codes with zbar.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
dpkg -s libzbar0 >/dev/null 2>&1 || need+=(libzbar0)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing system packages for the test suite: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
