// Output as it comes, a durable process, and file changes:
// `BOTBOX_URL=… BOTBOX_TOKEN=… npx tsx streams.ts`.
// docs/sdk.md quotes this file; test/sdk/examples.test.ts runs it against a real server.
import { Botbox } from "@botbox/sdk";

const box = new Botbox({
  url: process.env.BOTBOX_URL ?? "http://127.0.0.1:8080",
  token: process.env.BOTBOX_TOKEN ?? "",
});

const bot = await box.bots.create({ name: "streams" });
try {
  await bot.start();

  // A command's output, line by line as the bot writes it.
  const { exitCode } = await bot.execStream("for i in 1 2 3; do echo tick $i; sleep 0.1; done", {
    onStdout: (data) => process.stdout.write(`stdout: ${data}`),
  });
  console.log(`exec exit ${exitCode}`);

  // A durable process keeps running without a client; attach reads its output.
  await bot.processes.start({ command: "echo built > /data/out.txt && echo done", tag: "build" });
  for await (const event of bot.processes.attach("build")) {
    if (event.type === "output") process.stdout.write(`build: ${event.data}`);
    if (event.type === "exit") console.log(`build exit ${event.process.exit_code}`);
  }

  // File changes under a folder, as an async iterator: stop by breaking out.
  await bot.files.mkdir("/data/inbox");
  for await (const event of bot.watch("/data/inbox")) {
    if (event.type === "ready") await bot.exec("echo hi > /data/inbox/note.txt");
    if (event.type === "created") {
      console.log(`watch: ${event.type} ${event.path}`);
      break;
    }
  }
} finally {
  await bot.delete();
}
