// The server the port tests run inside a bot: plain node (every backend's
// image has it), no packages, so it runs offline in network "none" too.
// It answers what each test needs to see from the app's side.
import type { BotboxServer } from "../support/botbox-server.js";
import { botAgent, shellIn } from "../support/bots.js";

export const APP_SOURCE = String.raw`
const http = require("node:http");
const crypto = require("node:crypto");
const port = Number(process.argv[2]);
const held = [];
// Every request that reached the app, so a test can show a refused one never did.
let seen = 0;
const server = http.createServer((request, response) => {
  const url = new URL(request.url, "http://app");
  if (url.pathname === "/seen") return response.end(String(seen));
  seen++;
  if (url.pathname === "/echo-request") {
    response.setHeader("content-type", "application/json");
    response.setHeader("set-cookie", ["app_session=1; Path=/", "botbox_link=stolen; Path=/"]);
    return response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, port }));
  }
  if (url.pathname === "/own-policy") {
    // An app's own CSP and a cookie meant for every host under the domain.
    response.setHeader("content-security-policy", "default-src 'self'");
    response.setHeader("set-cookie", ["wide=1; Domain=localhost; Path=/", "narrow=1; Path=/; domain=LOCALHOST; HttpOnly"]);
    return response.end("<p>policy</p>");
  }
  if (url.pathname === "/redirect") {
    response.writeHead(302, { location: url.searchParams.get("to") || "/target" });
    return response.end();
  }
  if (url.pathname === "/download") {
    // Deterministic bytes, written as the client takes them.
    let left = Number(url.searchParams.get("bytes"));
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(left) });
    const block = Buffer.alloc(64 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 3) & 0xff;
    const pump = () => {
      while (left > 0) {
        const chunk = block.subarray(0, Math.min(block.length, left));
        left -= chunk.length;
        if (!response.write(chunk)) return response.once("drain", pump);
      }
      response.end();
    };
    return pump();
  }
  if (url.pathname === "/file") {
    // A file of /data as a static server would send it.
    const file = "/data/" + url.searchParams.get("name");
    const size = require("node:fs").statSync(file).size;
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
    return require("node:fs").createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(response);
  }
  if (url.pathname === "/upload") {
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    request.on("data", (chunk) => { hash.update(chunk); bytes += chunk.length; });
    request.on("end", () => response.end(JSON.stringify({ bytes, sha256: hash.digest("hex") })));
    return;
  }
  if (url.pathname === "/hold") {
    // Answers its head, then holds the body open until /release.
    response.writeHead(200, { "content-type": "text/plain" });
    response.write("held\n");
    held.push(response);
    return;
  }
  if (url.pathname === "/stall") return; // never answers
  if (url.pathname === "/release") {
    const count = held.length;
    for (const one of held.splice(0)) one.end("released\n");
    return response.end(String(count));
  }
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("hello from port " + port + " at " + url.pathname + "\n");
});
// A WebSocket echo (RFC 6455), small frames only: enough to see an upgrade pass through.
server.on("upgrade", (request, socket) => {
  seen++;
  const key = request.headers["sec-websocket-key"];
  const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\nX-App-Path: " + request.url + "\r\n\r\n");
  let pending = Buffer.alloc(0);
  socket.on("data", (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 6) {
      const opcode = pending[0] & 0x0f;
      const length = pending[1] & 0x7f;
      if (length > 125 || pending.length < 6 + length) return;
      const mask = pending.subarray(2, 6);
      const payload = Buffer.from(pending.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i % 4]));
      pending = pending.subarray(6 + length);
      if (opcode === 8) return socket.end(Buffer.from([0x88, 0]));
      socket.write(Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]));
    }
  });
});
server.listen(port, "127.0.0.1");
`;

/** A shell command that starts the app on `port` in the bot, detached, once `/data/app.js` holds APP_SOURCE. */
export const startAppCommand = (port: number) =>
  `setsid nohup node /data/app.js ${port} >/data/app-${port}.log 2>&1 < /dev/null & ` +
  `for i in $(seq 1 100); do node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))" && exit 0; sleep 0.1; done; exit 1`;

/** Writes APP_SOURCE to each bot's /data and starts it on `port` there; returns once each app accepts connections. */
export async function startAppIn(server: BotboxServer, bots: string[], port: number): Promise<void> {
  for (const bot of bots) {
    const agent = await botAgent(server, bot);
    await agent.writeFile("app.js", APP_SOURCE);
    agent.close();
    await shellIn(server, bot)(startAppCommand(port));
  }
}
