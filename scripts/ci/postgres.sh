#!/usr/bin/env bash
# A throw-away PostgreSQL server for the store tests (issue 4, section 4).
#
#   eval "export $(bash scripts/ci/postgres.sh)"   # start; prints BOTBOX_TEST_DATABASE_URL=...
#   bash scripts/ci/postgres.sh stop               # stop it and delete its files
#
# Installs Debian's `postgresql` package when no server binaries are found,
# then runs a fresh cluster from a temporary folder on 127.0.0.1. Only the
# URL line goes to stdout so that `eval` above stays safe; everything else is
# logged to stderr. Must run as root (for apt and runuser) unless it already
# runs as a user that can own the cluster.
set -euo pipefail

# The URL is written to fd 3; anything a tool prints lands on stderr.
exec 3>&1 1>&2

STATE_DIR=/tmp/botbox-ci-postgres
DATABASE=botbox_test
FIRST_PORT=${BOTBOX_CI_PG_PORT:-55432}

SCRIPT_NAME=postgres.sh
# shellcheck source=scripts/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# initdb refuses to run as root, so the cluster belongs to `postgres`.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

find_bindir() {
  local candidate
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  # Debian keeps the binaries off PATH, one folder per major version.
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

port_in_use() {
  (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  if [ -f "$STATE_DIR/datadir" ]; then
    local old_bindir old_datadir old_port
    old_bindir=$(cat "$STATE_DIR/bindir")
    old_datadir=$(cat "$STATE_DIR/datadir")
    old_port=$(cat "$STATE_DIR/port")
    if as_owner "$old_bindir/pg_ctl" -D "$old_datadir" status >/dev/null 2>&1; then
      log "reusing the cluster already running on port $old_port"
      echo "BOTBOX_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$old_port/$DATABASE" >&3
      return 0
    fi
    log "forgetting a cluster that is no longer running ($old_datadir)"
    rm -rf "$(dirname "$old_datadir")" "$STATE_DIR"
  fi

  local bindir
  if ! bindir=$(find_bindir); then
    apt_install postgresql
    bindir=$(find_bindir) || die "PostgreSQL was installed but initdb/pg_ctl were not found"
  fi
  log "using $bindir"

  local tmp datadir port
  tmp=$(mktemp -d /tmp/botbox-ci-postgres.XXXXXX)
  datadir=$tmp/data
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$tmp"
  chmod 0755 "$tmp"

  # Trust auth is fine: the cluster listens on loopback only and lives for one CI run.
  as_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >&2

  port=$FIRST_PORT
  while port_in_use "$port"; do
    port=$((port + 1))
    [ "$port" -lt $((FIRST_PORT + 100)) ] || die "no free port in $FIRST_PORT..$port"
  done

  # Durability settings are off because the data is thrown away after the run.
  # The server must not inherit fd 3, or `$(postgres.sh)` would wait for it to exit.
  if ! as_owner "$bindir/pg_ctl" -D "$datadir" -l "$tmp/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start </dev/null >&2 3>&-; then
    tail -n 30 "$tmp/postgres.log" >&2 || true
    die "PostgreSQL did not start (log: $tmp/postgres.log)"
  fi

  mkdir -p "$STATE_DIR"
  echo "$bindir" >"$STATE_DIR/bindir"
  echo "$datadir" >"$STATE_DIR/datadir"
  echo "$port" >"$STATE_DIR/port"

  local tries=0
  until as_owner "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || die "PostgreSQL on port $port does not accept connections"
    sleep 0.5
  done

  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DATABASE"
  log "PostgreSQL is up on 127.0.0.1:$port (data in $datadir)"
  echo "BOTBOX_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/$DATABASE" >&3
}

stop() {
  nothing_to_stop datadir cluster && return 0
  local bindir datadir
  bindir=$(cat "$STATE_DIR/bindir")
  datadir=$(cat "$STATE_DIR/datadir")
  if as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >&2
  fi
  rm -rf "$(dirname "$datadir")" "$STATE_DIR"
  log "stopped and removed $datadir"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|stop]" ;;
esac
