#!/usr/bin/env bash
# The test command. Installs what the tests need (Debian's prometheus, prometheus-node-exporter and
# prometheus-alertmanager, and curl), only when missing, then runs the whole suite. The tests start their
# own servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || need+=(prometheus-node-exporter)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  # The packages' own services are not wanted (and there may be no init system): tests start their own.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  $sudo rm -f /usr/sbin/policy-rc.d
fi

cargo test --locked "$@"
