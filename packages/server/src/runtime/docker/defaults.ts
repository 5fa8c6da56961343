// Kept apart from the backend so that naming the image does not load dockerode.

/** The image `images/build-agent-image.sh` builds, which Docker bots run unless [mcp] image says otherwise. */
export const DEFAULT_AGENT_IMAGE = "botbox/agent:latest";
