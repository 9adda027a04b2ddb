#!/usr/bin/env bash
# Installs the Debian packages the tests need, where they are missing: prompt_toolkit for
# Debian's python3 (the checker's independent client is built on it), bubblewrap (the
# checker's --sandbox) and Chromium (the HTML report is tested in it). As root it installs
# them; otherwise it says what to install.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import prompt_toolkit' 2>/dev/null || missing+=(python3-prompt-toolkit)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
