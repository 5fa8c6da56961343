// The optional E2B-compatible front end (docs/e2b.md): E2B's control plane
// under /e2b and its in-sandbox envd services under /e2b-sandbox, on botbox's
// bots. Named exports only.
export { e2bKeyFor, tokenFromE2bKey } from "./api-key.js";
export { createE2bFrontEnd, type E2bFrontEnd, type E2bFrontEndOptions } from "./front-end.js";
