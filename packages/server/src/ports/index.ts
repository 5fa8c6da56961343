// Public face of the port proxy: bots' ports reached through their agents (docs/ports.md).
export { type ForwardedRequest, type UpgradeRequest } from "./http-forward.js";
export { PortProxy, type PortProxyOptions } from "./port-proxy.js";
export {
  type ClientSide,
  cookieValues,
  downstreamResponseHeaders,
  LINK_COOKIE,
  portPrefix,
  rewriteLocation,
} from "./proxy-headers.js";
