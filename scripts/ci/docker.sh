#!/usr/bin/env bash
# A throw-away Docker daemon for the Docker runtime tests (issue 7 §3).
#
#   eval "export $(bash scripts/ci/docker.sh)"   # start; prints DOCKER_HOST=unix://...
#   bash scripts/ci/docker.sh stop               # stop it and delete its files
#
# BOTBOX_CI_DOCKER_STATE (default /tmp/botbox-ci-docker) is where it records
# the running daemon: two checkouts that give different ones each get a
# daemon of their own instead of sharing (and stopping) one.
#
# Installs Debian's `docker.io` when dockerd is missing (and `nftables`, for
# isolated bots' rules), then runs a dockerd whose data root, exec root,
# pidfile and socket all live in one temporary folder, so it neither needs
# nor touches a system daemon.
#
# gVisor for the isolation tests (issue 13), unless BOTBOX_CI_DOCKER_GVISOR=0:
# Debian's runsc (package `runsc`) is registered as the daemon's runtime
# `runsc`, with the arguments docs/runtimes.md explains: the ptrace platform
# (no KVM here), --host-uds=create (the agent listens in the bind-mounted
# /run/botbox and the server connects from the host), and --network=host
# (runsc 20221219 takes any network namespace for the root one on kernels
# 6.x and refuses its own network stack; "host" is the container's own
# namespace, bridge and firewall rules included).
#
# Only the
# DOCKER_HOST line goes to stdout so that `eval` stays safe; everything else
# is logged to stderr. Must run as root.
set -euo pipefail

# The DOCKER_HOST line is written to fd 3; anything a tool prints lands on stderr.
exec 3>&1 1>&2

STATE_DIR=${BOTBOX_CI_DOCKER_STATE:-/tmp/botbox-ci-docker}

SCRIPT_NAME=docker.sh
# shellcheck source=scripts/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The runtime's nftables tables of this daemon's bridges (isolated bots' rules),
# before the daemon takes the bridges away: named botbox_docker_<bridge>.
remove_tables() {
  local bridge
  for bridge in $(DOCKER_HOST=$1 docker network ls -q --filter driver=bridge 2>/dev/null); do
    nft delete table inet "botbox_docker_br-$bridge" 2>/dev/null || true
  done
}

# The address pool of throw-away daemons' networks: one of their own, so a
# bridge a killed daemon left behind can be told from anyone else's and
# removed (a kernel bridge outlives its daemon, and Docker refuses a subnet
# that overlaps a route: 31 leftovers exhaust its default pools).
POOL_PREFIX=10.213.
POOL='{ "base": "10.213.0.0/16", "size": 24 }'

# dockerd's --add-runtime takes no arguments for the runtime: a config file does.
write_daemon_config() {
  local tmp=$1 gvisor=$2 runtimes=''
  if [ "$gvisor" = 1 ]; then
    runtimes=', "runtimes": { "runsc": { "path": "'"$(command -v runsc)"'", "runtimeArgs": ["--platform=ptrace", "--host-uds=create", "--network=host"] } }'
  fi
  echo "{ \"default-address-pools\": [$POOL]$runtimes }" >"$tmp/daemon.json"
}

# Bridges in the pool with nothing attached whose daemon is gone. A live
# throw-away daemon's idle network looks the same, so this runs only when
# no other throw-away daemon is recorded as running.
remove_stale_bridges() {
  local bridge
  for bridge in $(ip -o -4 addr show 2>/dev/null | awk -v p="$POOL_PREFIX" '$2 ~ /^br-/ && index($4, p) == 1 {print $2}'); do
    if [ -z "$(ls "/sys/class/net/$bridge/brif" 2>/dev/null)" ]; then
      ip link delete "$bridge" 2>/dev/null && log "removed $bridge, a bridge a stopped daemon left behind"
    fi
  done
}

other_daemon_running() {
  local pidfile
  for pidfile in /tmp/botbox-ci-docker.*/dockerd.pid; do
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && return 0
  done
  return 1
}

# Containers first (they hold the networks), then every network of our own,
# so the daemon takes its bridges with it.
remove_networks() {
  local host=$1 ids
  ids=$(DOCKER_HOST=$host docker ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || DOCKER_HOST=$host docker rm -f $ids >/dev/null 2>&1 || true
  ids=$(DOCKER_HOST=$host docker network ls -q --filter type=custom 2>/dev/null || true)
  [ -z "$ids" ] || DOCKER_HOST=$host docker network rm $ids >/dev/null 2>&1 || true
}

answers() {
  DOCKER_HOST=$1 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

start() {
  [ "$(id -u)" = 0 ] || die "dockerd needs root"
  reuse_recorded host daemon DOCKER_HOST && return 0

  command -v dockerd >/dev/null || apt_install docker.io
  # Isolated bots' rules.
  command -v nft >/dev/null || apt_install nftables
  command -v docker >/dev/null || die "the docker client is missing (Debian's docker.io ships it)"

  local tmp host gvisor=${BOTBOX_CI_DOCKER_GVISOR:-1}
  tmp=$(mktemp -d /tmp/botbox-ci-docker.XXXXXX)
  chmod 0711 "$tmp"
  host=unix://$tmp/docker.sock
  if [ "$gvisor" = 1 ]; then command -v runsc >/dev/null || apt_install runsc; fi
  write_daemon_config "$tmp" "$gvisor"
  other_daemon_running || remove_stale_bridges

  # The daemon must not inherit fd 3, or `$(docker.sh)` would wait for it to exit.
  # No default bridge (docker0 would outlive the daemon); iptables stays on:
  # the runtime makes its own bridge network and disables inter-container
  # traffic on it with iptables rules. cgroupfs: no systemd runs here.
  setsid dockerd \
    --config-file "$tmp/daemon.json" \
    --data-root "$tmp/data" \
    --exec-root "$tmp/exec" \
    --pidfile "$tmp/dockerd.pid" \
    --host "$host" \
    --bridge none \
    --exec-opt native.cgroupdriver=cgroupfs \
    --log-level warn \
    </dev/null >"$tmp/dockerd.log" 2>&1 3>&- &

  mkdir -p "$STATE_DIR"
  echo "$tmp" >"$STATE_DIR/dir"
  echo "$host" >"$STATE_DIR/host"
  echo "$!" >"$STATE_DIR/pid"

  wait_until "dockerd at $host" "$!" "$tmp/dockerd.log" 120 answers "$host"
  log "dockerd $(DOCKER_HOST=$host docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}, runtimes {{range $name, $_ := .Runtimes}}{{$name}} {{end}}') at $host"
  echo "DOCKER_HOST=$host" >&3
}

stop() {
  nothing_to_stop dir daemon && return 0
  local tmp pid
  tmp=$(cat "$STATE_DIR/dir")
  # dockerd deletes its pidfile when it exits; the pid recorded at start stays.
  pid=$(cat "$tmp/dockerd.pid" 2>/dev/null || cat "$STATE_DIR/pid" 2>/dev/null || true)
  local host
  host=$(cat "$STATE_DIR/host" 2>/dev/null || echo "unix://$tmp/docker.sock")
  remove_tables "$host"
  remove_networks "$host"
  # dockerd stops its containers (10 s each at most) and its containerd.
  stop_process dockerd "$pid" 60
  unmount_below "$tmp"
  rm -rf "$tmp" "$STATE_DIR"
  other_daemon_running || remove_stale_bridges
  log "stopped and removed $tmp"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|stop]" ;;
esac
