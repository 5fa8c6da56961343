import { DEFAULT_HOME, DEFAULT_HOST, DEFAULT_PORT } from "../config/server-defaults.js";
import {
  booleanFlag,
  CLIENT_FLAGS,
  type CommandSpec,
  CONFIG_FLAG,
  JSON_FLAG,
  listFlag,
  stringFlag,
} from "./command-spec.js";

// The one list of botbox's commands: parsing, help and dispatch all read it.
// Each handler loads its module only when run: `serve` is the command whose
// start-up time matters (a restarted server re-attaches its bots), and the
// client commands should not pay for the server either.

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    group: "server",
    summary: `run the host server (default ${DEFAULT_HOST}:${DEFAULT_PORT}, home ${DEFAULT_HOME})`,
    usage: ["serve [--config botbox.toml]"],
    flags: { ...CONFIG_FLAG },
    run: async (context) => {
      await (await import("./serve.js")).serve({ configFile: stringFlag(context, "config") });
      return undefined;
    },
  },
  {
    name: "doctor",
    group: "server",
    summary: "check what the configured runtime can do on this machine",
    usage: ["doctor [--config botbox.toml] [--json]"],
    flags: { ...CONFIG_FLAG, ...JSON_FLAG },
    run: async (context) =>
      (await import("./commands/doctor.js")).doctorCommand(stringFlag(context, "config"), context.json),
  },
  {
    name: "config",
    group: "server",
    summary: "the server's configuration in force, each value's source, secrets masked",
    usage: ["config print [--config botbox.toml] [--json]"],
    flags: { ...CONFIG_FLAG, ...JSON_FLAG },
    run: async (context) =>
      (await import("./commands/config.js")).configCommand(context.args, stringFlag(context, "config"), context.json),
  },
  {
    name: "bot",
    group: "bots",
    summary: "register, show, list, start, stop and delete bots",
    usage: [
      "bot create <name> [id] [--network isolated|none|host] [--allow A]... [--deny A]...",
      "bot show <id>          a bot's network, egress rules and limits in force",
      "bot list               (or bot ls)",
      "bot start <id>         create and start the bot's container, wait for its agent",
      "bot stop <id>",
      "bot rm <id>...",
    ],
    flags: {
      network: { type: "string", value: "MODE", help: "create: isolated, none or host (default: the server's)" },
      allow: {
        type: "string",
        multiple: true,
        value: "A",
        help: "create: egress allowed to a CIDR or host name; `none`: nothing",
      },
      deny: { type: "string", multiple: true, value: "A", help: "create: egress denied to a CIDR or host name" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/bot.js")
      ).botCommand(await context.target(), context.args, context.json, {
        network: stringFlag(context, "network"),
        ...(context.flags.allow ? { allow: listFlag(context, "allow") } : {}),
        ...(context.flags.deny ? { deny: listFlag(context, "deny") } : {}),
      });
      return 0;
    },
  },
  {
    name: "exec",
    group: "bots",
    summary: "run a command in a bot's workspace; exits with its code",
    usage: ["exec <bot> -- <command...>   one word: a shell command line; several: quoted words"],
    flags: { ...CLIENT_FLAGS },
    run: async (context) =>
      (await import("./commands/exec.js")).execCommand(await context.target(), [
        ...context.args,
        ...(context.afterSeparator.length > 0 ? ["--", ...context.afterSeparator] : []),
      ]),
  },
  {
    name: "run",
    group: "bots",
    summary: "start a durable process in a bot; follows its output, or prints its id with --background",
    usage: ["run <bot> [--background] [--tag T] [--cwd D] -- <command...>   one word: a shell line; several: argv"],
    flags: {
      background: { type: "boolean", help: "print the process's id and return; it keeps running" },
      tag: { type: "string", value: "T", help: "a name for the process (1 to 64 of A-Z a-z 0-9 _ . -)" },
      cwd: { type: "string", value: "D", help: "its working folder (default: the bot's /data)" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/processes.js")).runCommand(
        await context.target(),
        context.args,
        context.afterSeparator,
        {
          background: booleanFlag(context, "background"),
          tag: stringFlag(context, "tag"),
          cwd: stringFlag(context, "cwd"),
          json: context.json,
        },
      ),
  },
  {
    name: "ps",
    group: "bots",
    summary: "a bot's durable processes: running, and finished ones still kept",
    usage: ["ps <bot>"],
    flags: { ...JSON_FLAG, ...CLIENT_FLAGS },
    run: async (context) =>
      (await import("./commands/processes.js")).psCommand(await context.target(), context.args, context.json),
  },
  {
    name: "logs",
    group: "bots",
    summary: "a process's output, exactly as written (-f follows it), or with --agent the bot's agent log",
    usage: [
      "logs <bot> <id|tag> [-f] [--since N]   N: a byte offset of the output",
      "logs <bot> --agent [--tail N] [-f] [--json]  N: the newest lines (default 100)",
    ],
    flags: {
      follow: {
        type: "boolean",
        short: "f",
        help: "follow until the process exits (with --agent: until interrupted)",
      },
      since: { type: "string", value: "N", help: "start at this byte of the output (default 0)" },
      agent: { type: "boolean", help: "the bot's agent log (one line per call) instead of a process's output" },
      tail: { type: "string", value: "N", help: "with --agent: the newest N lines (default 100)" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/logs.js")).logsCommand(await context.target(), context.args, {
        agent: booleanFlag(context, "agent"),
        follow: booleanFlag(context, "follow"),
        since: stringFlag(context, "since"),
        tail: stringFlag(context, "tail"),
        json: context.json,
      }),
  },
  {
    name: "watch",
    group: "bots",
    summary: "file changes under a bot's folder, one line each, until interrupted",
    usage: ["watch <bot> <path> [--recursive] [--json]"],
    flags: {
      recursive: { type: "boolean", short: "r", help: "also every folder below, including new ones" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/watch.js")).watchCommand(await context.target(), context.args, {
        recursive: booleanFlag(context, "recursive"),
        json: context.json,
      }),
  },
  {
    name: "events",
    group: "bots",
    summary: "the bots' lifecycle events (created, started, stopped, restarted...), one line each",
    usage: ["events [--bot B] [-f] [--json]"],
    flags: {
      bot: { type: "string", value: "B", help: "only this bot's events" },
      follow: { type: "boolean", short: "f", help: "go on printing new events until interrupted" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/events.js")).eventsCommand(await context.target(), context.args, {
        bot: stringFlag(context, "bot"),
        follow: booleanFlag(context, "follow"),
        json: context.json,
      }),
  },
  {
    name: "kill",
    group: "bots",
    summary: "send a signal (default TERM) to a process's whole process group",
    usage: ["kill <bot> <id|tag> [--signal S]"],
    flags: {
      signal: { type: "string", value: "S", help: "TERM, KILL, INT, HUP, ... (default TERM)" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/processes.js")).killCommand(await context.target(), context.args, {
        signal: stringFlag(context, "signal"),
        json: context.json,
      }),
  },
  {
    name: "shell",
    group: "bots",
    summary: "an interactive terminal in a bot (raw mode; exits with the remote shell's status)",
    usage: [
      "shell <bot> [-- command...]   default: the bot user's login shell",
      "shell <bot> --session ID      re-attach to a terminal whose connection dropped",
    ],
    flags: {
      session: { type: "string", value: "ID", help: "re-attach to this terminal session (its process id)" },
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/shell.js")).shellCommand(await context.target(), context.args, context.afterSeparator, {
        session: stringFlag(context, "session"),
      }),
  },
  {
    name: "fs",
    group: "workspace",
    summary: "list, read, upload, download, move and delete a bot's files",
    usage: [
      "fs ls <bot> [path] [-r]        list a folder (-r: the whole tree)",
      "fs cat <bot> <path>            print a file",
      "fs put <bot> <local> <path>    upload a file",
      "fs get <bot> <path> [local|-]  download a file",
      "fs rm <bot> <path> [-r]        delete (-r: a folder and its contents)",
      "fs mv <bot> <from> <to>        rename or move",
      "fs mkdir <bot> <path>          make a folder and its parents",
    ],
    flags: {
      recursive: { type: "boolean", short: "r", help: "ls: the whole tree; rm: a folder and its contents" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/fs.js")
      ).fsCommand(await context.target(), context.args, {
        json: context.json,
        recursive: booleanFlag(context, "recursive"),
      });
      return 0;
    },
  },
  {
    name: "snapshot",
    group: "workspace",
    summary: "snapshot a bot's workspace, list its snapshots, roll back to one",
    usage: ["snapshot create <bot> [--name N]", "snapshot ls <bot>", "snapshot rollback <bot> <version>"],
    flags: {
      name: { type: "string", value: "N", help: "create: a display name for the snapshot" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/snapshot.js")
      ).snapshotCommand(await context.target(), context.args, {
        json: context.json,
        name: stringFlag(context, "name"),
      });
      return 0;
    },
  },
  {
    name: "export",
    group: "workspace",
    summary: "a bot's /data as a tar.gz (default <bot>-data.tar.gz; - for stdout)",
    usage: ["export <bot> [file.tar.gz|-]"],
    flags: { ...CLIENT_FLAGS },
    run: async (context) => {
      await (await import("./commands/data.js")).exportCommand(await context.target(), context.args);
      return 0;
    },
  },
  {
    name: "import",
    group: "workspace",
    summary: "a tar.gz (- for stdin) into a bot's /data",
    usage: ["import <bot> <file.tar.gz|-> [--replace]"],
    flags: {
      replace: { type: "boolean", help: "empty /data first instead of merging into it" },
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/data.js")
      ).importCommand(await context.target(), context.args, { replace: booleanFlag(context, "replace") });
      return 0;
    },
  },
  {
    name: "skills",
    group: "workspace",
    summary: "list, add and remove a bot's skills",
    usage: [
      "skills ls <bot>",
      "skills add <bot> <SKILL.md|->...   add or replace skills from Markdown files (- reads stdin)",
      "skills rm <bot> <name>...",
    ],
    flags: { ...JSON_FLAG, ...CLIENT_FLAGS },
    run: async (context) => {
      await (
        await import("./commands/skills.js")
      ).skillsCommand(await context.target(), context.args, {
        json: context.json,
      });
      return 0;
    },
  },
  {
    name: "memory",
    group: "workspace",
    summary: "remember, search, list and forget a bot's memories",
    usage: [
      "memory add <bot> <text|->          remember a text (- reads stdin)",
      "memory search <bot> <query> [--limit N]",
      "memory ls <bot> [--limit N]",
      "memory rm <bot> <id>...",
    ],
    flags: {
      limit: { type: "string", value: "N", help: "search, ls: at most N memories" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/memory.js")
      ).memoryCommand(await context.target(), context.args, {
        json: context.json,
        limit: stringFlag(context, "limit"),
      });
      return 0;
    },
  },
  {
    name: "port",
    group: "workspace",
    summary: "a signed URL of a server the bot runs on a port, for a browser",
    usage: ["port <bot> <port> [--ttl S]   the URL works for S seconds (default 3600, at most 86400)"],
    flags: {
      ttl: { type: "string", value: "S", help: "seconds the URL works (default 3600)" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) => {
      await (
        await import("./commands/port.js")
      ).portCommand(await context.target(), context.args, { json: context.json, ttl: stringFlag(context, "ttl") });
      return 0;
    },
  },
  {
    name: "mcp",
    group: "workspace",
    summary: "a bot's MCP servers, and the tools its gateway serves",
    usage: [
      "mcp add <bot> <name> [--env K=V]... [--cwd DIR] -- <command> [args...]",
      "mcp ls <bot>                   the bot's MCP servers",
      "mcp rm <bot> <name>",
      "mcp tools <bot>                every tool the bot's gateway serves",
      "mcp call <bot> <tool> [json]   call a tool with JSON arguments",
    ],
    flags: {
      env: { type: "string", multiple: true, value: "K=V", help: "add: an environment variable of the server" },
      cwd: { type: "string", value: "DIR", help: "add: the server's working folder in the bot" },
      ...JSON_FLAG,
      ...CLIENT_FLAGS,
    },
    run: async (context) =>
      (await import("./commands/mcp.js")).mcpCommand(await context.target(), context.args, {
        json: context.json,
        env: listFlag(context, "env"),
        cwd: stringFlag(context, "cwd"),
        command: context.afterSeparator,
      }),
  },
  {
    name: "e2b-key",
    group: "server",
    summary: "the E2B API key that carries a botbox token, for E2B_API_KEY (docs/e2b.md)",
    usage: ['e2b-key <token>        e.g. botbox e2b-key "$BOTBOX_TOKEN"'],
    flags: {},
    run: async (context) => {
      const [token, ...rest] = context.args;
      if (!token || rest.length > 0) throw (await import("./help.js")).usageError("e2b-key");
      process.stdout.write(`${(await import("../e2b/api-key.js")).e2bKeyFor(token)}\n`);
      return 0;
    },
  },
];
