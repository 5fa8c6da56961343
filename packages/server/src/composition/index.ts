// The composition root of `botbox serve`: where the server's services are
// built and wired. Named exports only.
export {
  type ComposedServer,
  composeServer,
  createRuntime,
  defaultLimits,
  openConfiguredStore,
  serverVersion,
} from "./compose-server.js";
