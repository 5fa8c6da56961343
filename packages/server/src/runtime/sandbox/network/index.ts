export { blockedDestinations, PRIVATE_RANGES } from "./blocked-ranges.js";
export { egressRuleset, SLIRP_DNS } from "./egress-ruleset.js";
export {
  detectIsolation,
  IsolatedNetwork,
  type IsolationSupport,
  type NetworkLease,
  type NetworkTaskRecord,
} from "./isolated-network.js";
export { NetnsPool } from "./netns-pool.js";
export { hasHostNames, resolveEgress } from "./resolve-egress.js";
