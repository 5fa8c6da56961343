#!/usr/bin/env bash
# A throw-away containerd for the containerd runtime tests (issue 7 §2).
#
#   eval "export $(bash scripts/ci/containerd.sh)"  # start; prints BOTBOX_TEST_CONTAINERD_SOCKET=/...
#   bash scripts/ci/containerd.sh stop              # stop it, delete its files and its network leftovers
#
# BOTBOX_CI_CONTAINERD_STATE (default /tmp/botbox-ci-containerd) is where it
# records the running daemon, so two checkouts that give different ones each
# get their own.
#
# Installs Debian's containerd, runc, runsc (gVisor bots), CNI plugins, nftables (isolated bots'
# rules) and the containerd API protos (which `npm run build` turns into the
# backend's stubs) when missing, then
# runs a containerd whose root, state, socket and config all live in one
# temporary folder: it neither needs nor touches a system daemon. Only the
# BOTBOX_TEST_CONTAINERD_SOCKET line goes to stdout, so `eval` stays safe.
# Must run as root.
set -euo pipefail

exec 3>&1 1>&2

STATE_DIR=${BOTBOX_CI_CONTAINERD_STATE:-/tmp/botbox-ci-containerd}
# What the runtime's defaults make, removed by stop (docs/runtimes.md).
BRIDGE=${BOTBOX_CI_CONTAINERD_BRIDGE:-botbox0}
NETWORK=botbox
SUBNET=${BOTBOX_CI_CONTAINERD_SUBNET:-10.88.0.0/16}

SCRIPT_NAME=containerd.sh
# shellcheck source=scripts/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages() {
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  [ -d /usr/share/gocode/src/github.com/containerd/containerd/api ] || need+=(golang-github-containerd-containerd-dev)
  command -v iptables >/dev/null || need+=(iptables)
  command -v ip >/dev/null || need+=(iproute2)
  command -v nft >/dev/null || need+=(nftables)
  # gVisor bots (isolation "gvisor"): the runc shim runs runsc.
  command -v runsc >/dev/null || need+=(runsc)
  [ ${#need[@]} -eq 0 ] && return 0
  apt_install "${need[@]}"
}

answers() {
  ctr --address "$1" version >/dev/null 2>&1
}

start() {
  [ "$(id -u)" = 0 ] || die "containerd needs root"
  reuse_recorded socket containerd BOTBOX_TEST_CONTAINERD_SOCKET && return 0
  install_packages

  local tmp socket
  tmp=$(mktemp -d /tmp/botbox-ci-containerd.XXXXXX)
  chmod 0711 "$tmp"
  socket=$tmp/containerd.sock
  # No CRI (it would want its own CNI setup); the overlayfs snapshotter.
  cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$socket"
[ttrpc]
  address = "$socket.ttrpc"
[debug]
  level = "warn"
TOML

  # The daemon must not inherit fd 3, or `$(containerd.sh)` would wait for it to exit.
  setsid containerd --config "$tmp/config.toml" </dev/null >"$tmp/containerd.log" 2>&1 3>&- &
  mkdir -p "$STATE_DIR"
  echo "$tmp" >"$STATE_DIR/dir"
  echo "$socket" >"$STATE_DIR/socket"
  echo "$!" >"$STATE_DIR/pid"

  wait_until "containerd at $socket" "$!" "$tmp/containerd.log" 60 answers "$socket"
  log "containerd $(ctr --address "$socket" version | awk '/Server/{s=1} s && /Version/{print $2; exit}') at $socket"
  echo "BOTBOX_TEST_CONTAINERD_SOCKET=$socket" >&3
}

stop() {
  nothing_to_stop dir containerd && return 0
  local tmp socket
  tmp=$(cat "$STATE_DIR/dir")
  socket=$(cat "$STATE_DIR/socket" 2>/dev/null || echo "$tmp/containerd.sock")
  # Tasks first: their shims outlive containerd otherwise.
  if answers "$socket"; then
    for ns in $(ctr --address "$socket" namespaces list -q 2>/dev/null); do
      for task in $(ctr --address "$socket" -n "$ns" tasks list -q 2>/dev/null); do
        ctr --address "$socket" -n "$ns" tasks kill -s SIGKILL -a "$task" >/dev/null 2>&1 || true
        ctr --address "$socket" -n "$ns" tasks delete -f "$task" >/dev/null 2>&1 || true
      done
    done
  fi
  stop_process containerd "$(cat "$STATE_DIR/pid" 2>/dev/null || true)" 30
  # Shims of tasks that could not be deleted.
  pkill_shims "$tmp"
  unmount_below "$tmp"
  remove_network
  rm -rf "$tmp" "$STATE_DIR"
  log "stopped and removed $tmp"
}

# Each shim names the daemon's socket on its command line; only those are ours.
pkill_shims() {
  local proc
  for proc in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$proc/cmdline" | grep -q -- "-address $1/containerd.sock"; then
      kill -KILL "${proc#/proc/}" 2>/dev/null || true
    fi
  done
}

# The bots' network namespaces, the bridge, the IPAM records, the iptables
# chains the CNI plugins and the runtime made, and the runtime's nftables
# table for the bridge (isolated bots' rules).
remove_network() {
  local ns chain rule
  for ns in /run/netns/botbox-*; do
    [ -e "$ns" ] || continue
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
  nft delete table inet "botbox_containerd_$BRIDGE" 2>/dev/null || true
  rm -rf "/var/lib/cni/networks/$NETWORK" "/var/lib/cni/results/$NETWORK"-*
  iptables -w -D FORWARD -j BOTBOX-FORWARD 2>/dev/null || true
  iptables -w -F BOTBOX-FORWARD 2>/dev/null || true
  iptables -w -X BOTBOX-FORWARD 2>/dev/null || true
  iptables -w -t nat -D POSTROUTING -s "$SUBNET" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null || true
  # The bridge plugin's per-bot masquerade chains: jumped to from POSTROUTING
  # with a comment naming the network; a bot not DELeted leaves one.
  { iptables -w -t nat -S POSTROUTING 2>/dev/null | grep -F "name: \\\"$NETWORK\\\"" || true; } | while read -r rule; do
    chain=$(echo "$rule" | awk '{ print $NF }')
    eval "iptables -w -t nat ${rule/-A/-D}" 2>/dev/null || true
    iptables -w -t nat -F "$chain" 2>/dev/null || true
    iptables -w -t nat -X "$chain" 2>/dev/null || true
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|stop]" ;;
esac
