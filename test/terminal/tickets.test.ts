// Terminal tickets on an injected clock: they work for 60 s, once, for one
// bot and one target, and never under another key.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ForbiddenError, UnauthenticatedError } from "../../packages/server/src/errors.js";
import { LinkSigner } from "../../packages/server/src/http/signed-links.js";
import { TerminalTickets, TICKET_TTL_SECONDS } from "../../packages/server/src/terminal/index.js";

const ADMIN = "bbx_admin_test-token";

describe("terminal tickets", () => {
  it("work until they expire, and not a second after", () => {
    let now = Date.parse("2026-12-06T00:00:00Z");
    const tickets = new TerminalTickets(ADMIN, () => now);
    const { ticket, expiresAt } = tickets.issue("bot-a", { kind: "new" });
    assert.equal(expiresAt.getTime(), now + TICKET_TTL_SECONDS * 1000);
    const spare = tickets.issue("bot-a", { kind: "new" }).ticket;

    now += (TICKET_TTL_SECONDS - 1) * 1000;
    tickets.redeem(ticket, "bot-a", { kind: "new" }); // still good a second before the end
    now += 1000;
    assert.throws(() => tickets.redeem(spare, "bot-a", { kind: "new" }), /expired/);
    assert.throws(() => tickets.redeem(spare, "bot-a", { kind: "new" }), UnauthenticatedError);
  });

  it("work once; a refused try does not spend one", () => {
    const tickets = new TerminalTickets(ADMIN);
    const { ticket } = tickets.issue("bot-a", { kind: "session", id: "0123456789ab" });
    assert.throws(() => tickets.redeem(ticket, "bot-b", { kind: "session", id: "0123456789ab" }), ForbiddenError);
    assert.throws(() => tickets.redeem(ticket, "bot-a", { kind: "new" }), ForbiddenError);
    assert.throws(() => tickets.redeem(ticket, "bot-a", { kind: "session", id: "ba9876543210" }), /session/);
    tickets.redeem(ticket, "bot-a", { kind: "session", id: "0123456789ab" });
    assert.throws(() => tickets.redeem(ticket, "bot-a", { kind: "session", id: "0123456789ab" }), /used already/);
  });

  it("are refused when forged, or signed under another key", () => {
    const tickets = new TerminalTickets(ADMIN);
    const { ticket } = tickets.issue("bot-a", { kind: "new" });
    const [version, payload] = ticket.split(".");
    const otherPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), bot: "bot-b" }),
    ).toString("base64url");
    assert.throws(
      () => tickets.redeem(`${version}.${otherPayload}.${ticket.split(".")[2]}`, "bot-b", { kind: "new" }),
      /signature/,
    );
    // The same grant signed with the port links' key, or another server's admin token.
    const scope = JSON.parse(Buffer.from(payload!, "base64url").toString()).scope as string;
    const portKeyed = new LinkSigner(ADMIN).sign("bot-a", scope, 60).link;
    assert.throws(() => tickets.redeem(portKeyed, "bot-a", { kind: "new" }), /signature/);
    const otherServer = new TerminalTickets("bbx_admin_other").issue("bot-a", { kind: "new" }).ticket;
    assert.throws(() => tickets.redeem(otherServer, "bot-a", { kind: "new" }), /signature/);
    // A ticket from the same server's tickets is fine: the check above can pass.
    tickets.redeem(ticket, "bot-a", { kind: "new" });
  });
});
