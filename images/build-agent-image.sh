#!/usr/bin/env bash
# Builds the agent image (issue 7 §1): a Debian bookworm root filesystem made
# by mmdebstrap from Debian's packages, plus the bundled agent, the templates
# and the entrypoint, written as a `docker save` style archive that
# `docker load` and `ctr images import` accept.
#
#   bash images/build-agent-image.sh            # build (or reuse), print the tar's path
#   bash images/build-agent-image.sh --load     # and `docker load` it
#   bash images/build-agent-image.sh --watch    # rebuild when the agent changes, load
#                                               # it, and recreate bots on it (/data kept)
#   BOTBOX_RUNTIME=containerd bash images/build-agent-image.sh --watch
#                                               # the same for a containerd server: no
#                                               # docker load, the runtime imports the tar
#
# Two layers, as the original's dev build had: the Debian base,
# cached by its recipe, and a small botbox layer (/opt/botbox/agent.js,
# /opt/mcp-template, /opt/entrypoint.sh), so an agent change rebuilds only the
# second. Nothing is rebuilt when no input changed. Only the tar's path goes
# to stdout; logs go to stderr.
#
# Settings (environment):
#   BOTBOX_IMAGE_REF      the image's tag (default botbox/agent:latest)
#   BOTBOX_IMAGE_OUT      output folder (default images/dist)
#   BOTBOX_DEBIAN_MIRROR  Debian mirror (default: the first deb.debian.org-style
#                         URI of this machine's apt sources, else deb.debian.org)
#   BOTBOX_AGENT_BUNDLE   the agent bundle (default packages/agent/dist/agent.js)
#   BOTBOX_HOME           --watch: the server's home (default .botbox), whose bots
#                         the server's runtime recreates on the new image
#   BOTBOX_RUNTIME        --watch: the server's backend (else runtime.backend of
#                         botbox.toml); `containerd` recreates the bots on
#                         containerd (socket: BOTBOX_CONTAINERD_SOCKET_PATH or
#                         [containerd] socket_path), anything else on Docker
set -euo pipefail
exec 3>&1 1>&2

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
ref=${BOTBOX_IMAGE_REF:-botbox/agent:latest}
out=${BOTBOX_IMAGE_OUT:-$here/dist}
bundle=${BOTBOX_AGENT_BUNDLE:-$repo/packages/agent/dist/agent.js}
templates=$repo/packages/agent/templates
suite=bookworm

log() { echo "build-agent-image: $*" >&2; }
die() {
  log "$*"
  exit 1
}

default_mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    awk '{print $2}' | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror=${BOTBOX_DEBIAN_MIRROR:-$(default_mirror)}
mirror=${mirror%/}
security=${mirror%/debian}/debian-security

[ -f "$bundle" ] || die "the agent bundle $bundle is missing: run 'npm run build' first"
packages=$(grep -v '^#' "$here/agent-packages.txt" | xargs | tr ' ' ',')

# Everything the base layer depends on; its hash names the cached base tar.
base_recipe="suite=$suite mirror=$mirror packages=$packages mmdebstrap=$(mmdebstrap --version 2>/dev/null || echo none) recipe=2"
base_key=$(echo "$base_recipe" | sha256sum | cut -c1-16)
inputs_key() {
  {
    echo "$base_key $ref"
    sha256sum "$bundle" "$here/entrypoint.sh" "$0" | cut -d' ' -f1
    (cd "$templates" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}
image_tar=$out/botbox-agent.tar

load() {
  [ "${LOAD:-no}" = yes ] || return 0
  # containerd imports the tar itself (recreate-bots.ts, or the server on first use): its key changed.
  if [ "${BOTBOX_RUNTIME:-}" = containerd ]; then
    log "containerd: $image_tar is imported by the runtime"
    return 0
  fi
  local old
  old=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  log "docker load < $image_tar"
  docker load -i "$image_tar" >&2
  # The previous image, now untagged, goes unless a container still runs on it.
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$ref")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  --load) LOAD=yes ;;
  --watch) WATCH=yes LOAD=yes ;;
  "") ;;
  *) die "usage: $0 [--load|--watch]" ;;
esac

build() {
  image_key=$(inputs_key)
  if [ -f "$image_tar" ] && [ "$(cat "$image_tar.key" 2>/dev/null)" = "$image_key" ]; then
    log "up to date: $image_tar (inputs $image_key)"
    return 0
  fi

  mkdir -p "$out"
  started=$(date +%s)
  base_tar=$out/base-$base_key.tar
  if [ ! -f "$base_tar" ]; then
    command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: apt-get install mmdebstrap"
    log "building the Debian $suite base ($packages) from $mirror"
    rm -f "$out"/base-*.tar
    # Documentation, manuals and translations are left out (copyright files
    # stay); mmdebstrap removes apt's lists and caches itself. Device nodes are
    # left to the container runtime.
    # A plain PATH: mmdebstrap runs python helpers per package, and shims (pyenv) slow them down.
    PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH mmdebstrap --variant=minbase --include="$packages" --format=tar \
      --skip=output/dev --skip=output/mknod \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/lintian/*' \
      --customize-hook='rm -rf "$1"/var/cache/* "$1"/var/log/*.log "$1"/var/lib/apt/lists/*' \
      "$suite" "$base_tar.part" \
      "deb $mirror $suite main" \
      "deb $mirror $suite-updates main" \
      "deb $security $suite-security main"
    mv "$base_tar.part" "$base_tar"
  else
    log "reusing the base $base_tar"
  fi

  work=$(mktemp -d "$out/.build.XXXXXX")

  # The botbox layer, reproducible: fixed owner, mtime and order.
  mkdir -p "$work/root/opt/botbox" "$work/root/opt/mcp-template" "$work/root/app" "$work/root/data" "$work/root/run/botbox"
  install -m 0644 "$bundle" "$work/root/opt/botbox/agent.js"
  install -m 0755 "$here/entrypoint.sh" "$work/root/opt/entrypoint.sh"
  find "$templates" -maxdepth 1 -type f -exec install -m 0644 {} "$work/root/opt/mcp-template/" \;
  echo "$image_key" >"$work/root/opt/botbox/IMAGE_KEY"
  tar -C "$work/root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/botbox.tar" .

  # docker-archive: <diff id>/layer.tar per layer, <config digest>.json, manifest.json.
  mkdir -p "$work/archive"
  diff_ids=()
  layers=()
  for layer in "$base_tar" "$work/botbox.tar"; do
    digest=$(sha256sum "$layer" | cut -d' ' -f1)
    mkdir -p "$work/archive/$digest"
    ln "$layer" "$work/archive/$digest/layer.tar" 2>/dev/null || cp "$layer" "$work/archive/$digest/layer.tar"
    diff_ids+=("\"sha256:$digest\"")
    layers+=("\"$digest/layer.tar\"")
  done
  case "$(uname -m)" in
    aarch64 | arm64) arch=arm64 ;;
    *) arch=amd64 ;;
  esac
  join() {
    local IFS=,
    echo "$*"
  }
  cat >"$work/config.json" <<EOF
  {
    "architecture": "$arch",
    "os": "linux",
    "created": "1970-01-01T00:00:00Z",
    "config": {
      "Entrypoint": ["/usr/bin/tini", "--", "/opt/entrypoint.sh"],
      "WorkingDir": "/app",
      "Env": [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "BOTBOX_DATA_DIR=/data",
        "BOTBOX_TEMPLATE_DIR=/opt/mcp-template"
      ],
      "Labels": { "org.botbox.image": "agent", "org.botbox.inputs": "$image_key" }
    },
    "rootfs": { "type": "layers", "diff_ids": [$(join "${diff_ids[@]}")] },
    "history": [
      { "created": "1970-01-01T00:00:00Z", "created_by": "mmdebstrap $suite: $packages" },
      { "created": "1970-01-01T00:00:00Z", "created_by": "botbox agent, templates, entrypoint" }
    ]
  }
EOF
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/archive/$config_digest.json"
  cat >"$work/archive/manifest.json" <<EOF
  [{ "Config": "$config_digest.json", "RepoTags": ["$ref"], "Layers": [$(join "${layers[@]}")] }]
EOF
  tar -C "$work/archive" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf "$image_tar.part" .
  mv "$image_tar.part" "$image_tar"
  echo "$image_key" >"$image_tar.key"
  rm -rf "$work"
  log "built $image_tar in $(($(date +%s) - started)) s: $(du -h "$image_tar" | cut -f1) (base $(du -h "$base_tar" | cut -f1))"
}

# The original deleted every bot container to pick up a new image, and their data
# with it. Here /data is a host folder: the server's runtime (Docker or
# containerd, see recreate-bots.ts) recreates each bot's container on the new
# image and keeps /data, snapshots and tokens; containerd keeps the old
# writable layer as a recovered-<time> snapshot when the image's layers changed.
recreate_bots() {
  log "recreating the bots of ${BOTBOX_HOME:-.botbox} on $ref"
  (cd "$repo" && node --import tsx "$here/recreate-bots.ts" "$ref" "${BOTBOX_HOME:-.botbox}" "$image_tar") >&2 ||
    log "recreating the bots failed; they keep running on the old image"
}

build
load
if [ "${WATCH:-no}" = yes ]; then
  recreate_bots
  log "watching $bundle and $templates (Ctrl-C to stop)"
  last=$(inputs_key)
  while sleep 2; do
    [ -f "$bundle" ] || continue
    now=$(inputs_key)
    [ "$now" != "$last" ] || continue
    last=$now
    if build; then
      load
      recreate_bots
    fi
  done
fi
echo "$image_tar" >&3
