import type { WriteFileRequest, WriteFileResponse } from "@botbox/proto";

import { writeFileAtomically } from "../atomic-file.js";
import { resolvePath } from "../paths.js";

export async function writeFile(dataDir: string, request: WriteFileRequest): Promise<WriteFileResponse> {
  await writeFileAtomically(resolvePath(dataDir, request.path), request.content);
  return {};
}
