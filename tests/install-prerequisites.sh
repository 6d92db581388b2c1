#!/usr/bin/env bash
# Installs, from Debian's packages, what the tests that run real Celery workers and the Airflow
# stand-in need: Celery, the Redis client, PyJWT and requests (the OpenTelemetry SDK's HTTP client, which the
# stand-in's telemetry uses as Airflow's does) for /usr/bin/python3. Their broker is Garnet
# (in process, or behind tests/DragonflyStandIn), which comes from NuGet. And redis-server: the
# product's Redis from a local binary (Airflow:Broker=redis with Redis:Executable), for its tests.
# And python3-psycopg2: the stand-in's `airflow db migrate` on PostgreSQL (Airflow:Database=postgres).
# And python3-yaml: PyYAML, which the sample project's requirements.txt asks for; the stand-in environment (system packages)
# must meet it when Airflow:Requirements is checked against an existing environment (Airflow:VirtualEnvironment).
# Run as root (CI does, from .ci/run); idempotent.
set -euo pipefail
packages=(python3-celery python3-redis python3-jwt python3-requests python3-psycopg2 python3-yaml redis-server)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Run: sudo $0" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The AppHost starts its own redis-server on a free port; the packaged service is not needed.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server || true
fi
echo "Installed: ${missing[*]}"
