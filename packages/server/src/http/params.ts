import { z } from "zod";

import { botIdSchema } from "../bot-id.js";

// The one bot-id rule (bot-id.ts), as the routes name it.
export { botIdSchema };

export const botParams = z.object({ bot_id: botIdSchema });
