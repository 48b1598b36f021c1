#!/usr/bin/env bash
# Debian packages the end-to-end tests need (the real jupyterhub-singleuser and Chromium), and wrk for bench:proxy.
set -euo pipefail
need=()
command -v jupyterhub-singleuser >/dev/null || need+=(jupyterhub)
[ -x /usr/bin/chromium ] || need+=(chromium)
# bench:proxy's load generator (it falls back to autocannon without it).
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian (a few minutes)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
