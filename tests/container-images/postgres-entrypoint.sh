#!/bin/sh
# The test PostgreSQL image's entrypoint: what the official postgres image's docker-entrypoint.sh does with the variables
# Aspire.Hosting.PostgreSQL sets (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_HOST_AUTH_METHOD=scram-sha-256,
# POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 --auth-local=scram-sha-256) and POSTGRES_DB, which the AppHost sets when
# Airflow runs in containers: initdb into an empty PGDATA with that superuser and password, every address allowed in with
# that method, then the server on all interfaces, port 5432, in the foreground. Runs as postgres (the image's USER).
set -eu

if [ "${1:-}" = postgres ] || [ "${1#-}" != "${1:-}" ]; then
  [ "${1:-}" = postgres ] && shift
  PGDATA=${PGDATA:-/var/lib/postgresql/data}
  user=${POSTGRES_USER:-postgres}
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
      echo "Error: Database is uninitialized and superuser password is not specified." >&2
      echo "       You must specify POSTGRES_PASSWORD to a non-empty value for the superuser." >&2
      exit 1
    fi
    # The password goes to initdb in a file, never on its command line; the file is gone before the server starts.
    pwfile=/tmp/pgpass.$$
    (umask 077 && printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile")
    # POSTGRES_INITDB_ARGS is split on spaces, as the official entrypoint does.
    # shellcheck disable=SC2086
    initdb --username="$user" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA"
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    db=${POSTGRES_DB:-$user}
    if [ "$db" != postgres ]; then
      # The official image creates it through a temporary server; single-user mode needs no socket or password.
      printf 'CREATE DATABASE "%s";\n' "$db" | postgres --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "PostgreSQL init process complete; ready for start up."
  fi
  exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
