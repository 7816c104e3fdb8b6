#!/usr/bin/env bash
# Makes Debian's headless-capable Chromium available for the browser tests (ops console).
# Prints the browser's path on stdout. Uses TPO_CHROMIUM or an installed chromium; otherwise, as
# root, installs Debian's `chromium` package; otherwise says what to install. Safe to run repeatedly.
set -euo pipefail
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
LOCAL_DIR="$ROOT_DIR/.local"
mkdir -p "$LOCAL_DIR"
log() { printf '[chromium] %s\n' "$*" >&2; }

find_chromium() {
  if [ -n "${TPO_CHROMIUM:-}" ] && [ -x "$TPO_CHROMIUM" ]; then echo "$TPO_CHROMIUM"; return 0; fi
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null; then command -v "$c"; return 0; fi
  done
  [ -x /usr/lib/chromium/chromium ] && { echo /usr/lib/chromium/chromium; return 0; }
  return 1
}

if path=$(find_chromium); then echo "$path"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing Debian's chromium package (once)"
  # The same lock as other apt users on this machine: one apt-get at a time.
  if [ ! -f "$LOCAL_DIR/.apt-updated" ]; then apt-get update -qq && touch "$LOCAL_DIR/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  if path=$(find_chromium); then echo "$path"; exit 0; fi
fi
log "Chromium is not installed and cannot be installed automatically."
log "Install Debian's chromium package (sudo apt-get install chromium) or set TPO_CHROMIUM to a Chromium binary."
exit 1
