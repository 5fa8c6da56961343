// Terminals into bots over WebSocket: PTY processes of the agent's supervisor (docs/processes.md, "Terminals").
export {
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  DEFAULT_SIZE,
  MAX_TERMINAL_SIDE,
  parseTerminalQuery,
  type TerminalQuery,
} from "./protocol.js";
export {
  bridgeTerminal,
  findTerminal,
  OUTPUT_HIGH_WATER_BYTES,
  REPLAY_BYTES,
  startTerminal,
  type TerminalTarget,
} from "./terminal-session.js";
export { TerminalTickets, TICKET_TTL_SECONDS, type TicketTarget } from "./tickets.js";
