#!/usr/bin/env bash
# Installs and starts what the container tests run on, then builds their images: Debian's docker.io (dockerd,
# containerd, runc; the docker CLI that Aspire's orchestrator drives) and docker-registry (a registry on loopback, the
# mirror a registry setting can point at), and postgresql, whose server binaries the PostgreSQL test image is made of
# (no server is left running here: the package's own cluster is stopped and its service disabled). Images cannot be pulled on our build machines, so
# tests/container-images/build makes them from files already here. Run as root (CI does, from .ci/run); idempotent:
# an engine that already answers is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(docker.io docker-registry postgresql)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Run: sudo $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "Installed: ${missing[*]}"
fi
# The package starts a cluster of its own where an init system runs; the tests need only its binaries.
if command -v systemctl >/dev/null && systemctl is-enabled --quiet postgresql 2>/dev/null; then
  systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h 2>/dev/null | while read -r version cluster _ status _; do
    if [ "$status" = online ]; then pg_ctlcluster "$version" "$cluster" stop || true; fi
  done
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The Docker engine does not answer (docker info failed); start it (as root: dockerd)." >&2
    exit 1
  fi
  if ! pgrep -x dockerd >/dev/null; then
    # The packaged service is not started where no init system runs (CI's machines): start the daemon itself.
    nohup dockerd --host=unix:///var/run/docker.sock >/var/log/airflowaspire-dockerd.log 2>&1 &
  fi
  # Its API is up in about 3 s on an idle machine; 120 s leaves room for a loaded one.
  for _ in $(seq 1 240); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not answer within 120 s; its log: /var/log/airflowaspire-dockerd.log" >&2; exit 1; }
  echo "Started dockerd"
fi

tests/container-images/build
