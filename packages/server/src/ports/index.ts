// Public face of the port proxy: bots' ports reached through their agents (docs/ports.md).
export { type ForwardedRequest, type UpgradeRequest } from "./http-forward.js";
export { parsePortOriginHost, portOriginHostname, portOriginLabel, type PortOriginTarget } from "./port-origin.js";
export { PortProxy, type PortProxyOptions } from "./port-proxy.js";
export {
  type ClientSide,
  cookieValues,
  downstreamResponseHeaders,
  LINK_COOKIE,
  PATH_FORM_CSP,
  portPrefix,
} from "./proxy-headers.js";
