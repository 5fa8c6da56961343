/** The `[sandbox]` section of botbox.toml: read by this backend only. */
import { z } from "zod";

/** Network namespaces kept ready for `isolated` bots when `[sandbox] network_pool` is not set. */
export const DEFAULT_NETWORK_POOL = 2;

export const sandboxSettings = z
  .object({
    bwrap_path: z
      .string()
      .default("")
      .describe("the bubblewrap binary; empty: the first `bwrap` on `PATH`, else `/usr/bin/bwrap`"),
    network_pool: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(DEFAULT_NETWORK_POOL)
      .describe(
        "network namespaces of `isolated` bots made ahead of their starts (each about 5 MB, single use); 0 makes each at its bot's start",
      ),
  })
  .strict();
