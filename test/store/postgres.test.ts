import { runStoreSuite } from "./store-suite.js";
import { postgresTarget } from "./targets.js";

// CI starts a server with scripts/ci/postgres.sh and sets the variable; locally the run is skipped.
const url = process.env.BOTBOX_TEST_DATABASE_URL;

runStoreSuite("postgres", () => postgresTarget(url!), { skip: url ? undefined : "BOTBOX_TEST_DATABASE_URL not set" });
