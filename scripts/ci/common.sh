# Shared by the throw-away service scripts in this folder (postgres.sh,
# docker.sh, containerd.sh): logging, Debian packages, waiting for a daemon
# to answer and stopping it. Sourced, not run: each script sets SCRIPT_NAME
# and STATE_DIR first.

log() { echo "${SCRIPT_NAME}: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# apt_install <package>...: from the Debian mirror apt is configured with.
apt_install() {
  [ "$(id -u)" = 0 ] || die "$* is not installed, and installing it needs root"
  log "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "$@"
}

# wait_until <what> <pid> <log file> <tries> <command>...: runs the command
# every half second until it succeeds; gives up, showing the log's tail,
# after <tries> attempts or as soon as process <pid> has exited.
wait_until() {
  local what=$1 pid=$2 logfile=$3 most=$4 tries=0
  shift 4
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge "$most" ] || ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 || true
      die "$what did not answer (log: $logfile)"
    fi
    sleep 0.5
  done
}

# reuse_recorded <record> <what> <variable>: when an earlier start left its
# address in $STATE_DIR/<record> and it still answers, prints
# <variable>=<address> to fd 3 and succeeds; one that no longer answers is
# stopped and forgotten. The script defines `answers <address>` and `stop`.
reuse_recorded() {
  local record=$1 what=$2 variable=$3 address
  [ -f "$STATE_DIR/$record" ] || return 1
  address=$(cat "$STATE_DIR/$record")
  if answers "$address"; then
    log "reusing the $what already running at $address"
    echo "$variable=$address" >&3
    return 0
  fi
  log "forgetting a $what that no longer answers ($address)"
  stop
  return 1
}

# nothing_to_stop <record> <what>: true, saying so, when start left no
# <record> file in $STATE_DIR (never started, or already stopped).
nothing_to_stop() {
  [ -f "$STATE_DIR/$1" ] && return 1
  log "no $2 recorded in $STATE_DIR; nothing to stop"
}

# stop_process <what> <pid> <seconds>: SIGTERM, then SIGKILL when it has not
# exited within <seconds>. An empty or dead pid is nothing to do.
stop_process() {
  local what=$1 pid=$2 seconds=$3 tries=0
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then return 0; fi
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge $((seconds * 2)) ]; then
      log "$what $pid did not stop within $seconds s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.5
  done
}

# unmount_below <folder>: lazily unmounts what is mounted below it, deepest
# first. A killed daemon leaves mounts that would make rm fail on busy folders.
unmount_below() {
  { grep -o " $1/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mountpoint; do
    umount -l "$mountpoint" 2>/dev/null || true
  done
}
