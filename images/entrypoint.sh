#!/bin/sh
# The agent image's entrypoint, run by tini (PID 1, reaps zombies). The bundle
# runs as the workspace's init (--botbox-init), which runs the agent and starts
# it again when it dies, so the container and its supervised processes outlive
# the agent (docs/processes.md); a stop still ends with the agent's status.
#
# The original kept a copy of the agent in /app, the writable layer, "so it
# survives snapshot restores", and ran that copy for the container's whole
# life: a newer agent in the image was never used. The fix: the image's bundle
# is authoritative. When the copy in /app is missing or differs from the
# image's, the image's replaces it (atomically, by rename); the copy is run.
# If /app cannot be written, the image's bundle runs directly.
bundled=/opt/botbox/agent.js
copy=/app/botbox/agent.js

if ! cmp -s "$bundled" "$copy" 2>/dev/null; then
  if mkdir -p /app/botbox 2>/dev/null && cp -p "$bundled" "$copy.new" 2>/dev/null; then
    mv -f "$copy.new" "$copy" 2>/dev/null || rm -f "$copy.new"
  fi
fi

if cmp -s "$bundled" "$copy" 2>/dev/null; then
  exec node "$copy" --botbox-init "$@"
fi
exec node "$bundled" --botbox-init "$@"
