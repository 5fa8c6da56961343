// A bot, a command, a file: `BOTBOX_URL=… BOTBOX_TOKEN=… npx tsx quickstart.ts`.
// docs/sdk.md quotes this file; test/sdk/examples.test.ts runs it against a real server.
import { Botbox, BotboxApiError } from "@botbox/sdk";

const box = new Botbox({
  url: process.env.BOTBOX_URL ?? "http://127.0.0.1:8080",
  token: process.env.BOTBOX_TOKEN ?? "",
});

const bot = await box.bots.create({ name: "quickstart" });
try {
  await bot.start();

  const result = await bot.exec("uname -s && echo $((6 * 7))");
  console.log(`exit ${result.exitCode}: ${result.stdout.trim().replace(/\n/g, " ")}`);

  await bot.files.write("/data/hello.txt", "hello from the SDK\n");
  console.log(`read back: ${(await bot.files.read("/data/hello.txt")).trim()}`);
  console.log(`files: ${(await bot.files.list("/data")).map((entry) => entry.name).join(", ")}`);

  // Errors carry the API's status and code.
  await bot.files.read("/data/missing.txt").catch((error: unknown) => {
    if (error instanceof BotboxApiError) console.log(`refused: ${error.status} ${error.code}`);
    else throw error;
  });
} finally {
  await bot.delete();
}
