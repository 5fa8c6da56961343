# Shared by the throw-away service scripts in this folder (postgres.sh,
# docker.sh, containerd.sh): logging, Debian packages, and waiting for a
# daemon to answer. Sourced, not run: each script sets SCRIPT_NAME first.

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
