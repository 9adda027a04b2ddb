#!/usr/bin/env bash
# Installs the Debian packages the tests need, where they are missing: prompt_toolkit for
# Debian's python3 (the checker's independent client is built on it), bubblewrap (the
# checker's --sandbox) and Chromium (the HTML report is tested in it). As root it installs
# them; otherwise it says what to install. redis-server runs the cluster's tests (issue 13);
# it is never started as a service: each test starts its own. With arguments, only those
# packages are looked at (`system-deps.sh redis-server`).
set -euo pipefail

missing=()
if [ $# -gt 0 ]; then
  for package in "$@"; do
    case "$package" in
      redis-server) command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
      *) echo "system-deps.sh: unknown package $package" >&2; exit 1 ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && exit 0
fi
[ $# -gt 0 ] || command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ $# -gt 0 ] || /usr/bin/python3 -c 'import prompt_toolkit' 2>/dev/null || missing+=(python3-prompt-toolkit)
[ $# -gt 0 ] || command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ $# -gt 0 ] || [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
# openssl makes the certificate of the cluster's TLS test (rediss://).
[ $# -gt 0 ] || command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Installing must not start Redis as a system service: tests start their own. A policy-rc.d
# that refuses every start is in place for the install, where none exists already.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq "${missing[@]}" >/dev/null
