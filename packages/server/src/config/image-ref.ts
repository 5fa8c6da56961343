/**
 * A bare name is a Docker Hub library image, a name whose first
 * segment looks like a host (has "." or ":", or is "localhost") is left as it
 * is, anything else is a Docker Hub user image.
 */
export function normalizeImageRef(ref: string): string {
  const trimmed = ref.trim();
  if (!trimmed.includes("/")) return `docker.io/library/${trimmed}`;
  const first = trimmed.slice(0, trimmed.indexOf("/"));
  if (first.includes(".") || first.includes(":") || first === "localhost") return trimmed;
  return `docker.io/${trimmed}`;
}

/** With a registry mirror the reference is `<registry>/<image>` verbatim. */
export function imageRefFor(image: string, registry: string): string {
  const mirror = registry.trim().replace(/\/+$/, "");
  return mirror ? `${mirror}/${image.trim()}` : normalizeImageRef(image);
}
