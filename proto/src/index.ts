// Public face of the wire contract. Anything exported here is public API;
// only the agent's handlers and the client's wrappers import it.
export type { ContainerServiceServer } from "./gen/mcpcontainer.js";
export {
  ContainerServiceClient,
  ContainerServiceService,
  DataChunk,
  DeleteFileRequest,
  DeleteFileResponse,
  ExecInput,
  ExecOutput,
  ExecOutput_Stream,
  FileEntry,
  InfoRequest,
  InfoResponse,
  ListDirRequest,
  ListDirResponse,
  MkdirRequest,
  MkdirResponse,
  ReadFileRequest,
  ReadFileResponse,
  ReadRawRequest,
  RenameRequest,
  RenameResponse,
  StatRequest,
  StatResponse,
  WriteFileRequest,
  WriteFileResponse,
  WriteRawChunk,
  WriteRawResponse,
} from "./gen/mcpcontainer.js";
export {
  ContainerServiceDefinition,
  ContainerServiceFastClient,
  decodeDataChunk,
  decodeWriteRawChunk,
  encodeDataChunk,
  encodeWriteRawChunk,
} from "./raw-codec.js";
