// The staff console in a real browser, with a citizen on the web widget at the same time: the
// citizen books a visio appointment and asks for a person; an agent logs in to the console, takes
// the queued conversation, answers it (the answer reaches the citizen's socket.io conversation),
// hands back, then confirms the booking (the citizen is told). Run by scripts/test_browser.sh
// against a fresh stack (tests/browser/with_stack.py: agents always available, a console admin).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import {
  ANSWER_TIMEOUT,
  SHOTS,
  WEB_URL,
  botCount,
  launch,
  logText,
  seriousViolations,
  waitForLog,
  waitForMoreBotMessages,
} from "./helpers.mjs";

const CONSOLE_URL = process.env.CONSOLE_URL;
const CONSOLE_USER = process.env.CONSOLE_USER;
const CONSOLE_PASSWORD = process.env.CONSOLE_PASSWORD;

let browser;

before(async () => {
  assert.ok(CONSOLE_URL && CONSOLE_USER && CONSOLE_PASSWORD, "run through scripts/test_browser.sh");
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function newPage() {
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  return page;
}

// Says `text` in the widget and waits until the log holds `expected`.
async function say(page, text, expected) {
  await page.locator("#fsn-input").fill(text);
  await page.keyboard.press("Enter");
  await waitForLog(page, expected);
}

// The citizen: books a visio appointment with the CAF in the widget; returns the booking code.
async function bookInWidget(page) {
  await page.goto(WEB_URL);
  await page.locator(".fsn-launcher").click();
  await page.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
  await say(page, "je voudrais un rendez-vous en visio avec la CAF", "quelques mots");
  await say(page, "ma prime d'activité", "commune");
  const before = await botCount(page);
  await page.locator("#fsn-input").fill("Trélon");
  await page.keyboard.press("Enter");
  await waitForMoreBotMessages(page, before);
  // The free slots are buttons: the person clicks the first one.
  const slot = page.locator(".fsn-choice").first();
  await slot.waitFor({ timeout: ANSWER_TIMEOUT });
  await slot.click();
  await waitForLog(page, "1 mois après le rendez-vous");
  await say(page, "oui", "nom");
  await say(page, "Marie Martin", "téléphone");
  await say(page, "06 12 34 56 78", "Votre code");
  const match = (await logText(page)).match(/Votre code : ([A-Z0-9]{3}) ([A-Z0-9]{3,4})/);
  assert.ok(match, "the booking code is shown to the person");
  return { shown: `${match[1]} ${match[2]}`, code: `${match[1]}${match[2]}` };
}

// The last bot message is on screen from its first line to its last (not cut, not covered).
function lastBotMessageInView(page) {
  return page.evaluate(() => {
    const last = [...document.querySelectorAll(".fsn-log .fsn-msg--bot")].pop();
    const box = last.getBoundingClientRect();
    const seen = (y) => last.contains(document.elementFromPoint(box.left + 10, y));
    return seen(box.top + 4) && seen(box.bottom - 4);
  });
}

async function logIn(page) {
  await page.goto(`${CONSOLE_URL}/`);
  assert.match(page.url(), /\/login/, "logged out: the console sends to its login page");
  await page.locator("#username").fill(CONSOLE_USER);
  await page.locator("#password").fill(CONSOLE_PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

describe("staff console with a citizen on the widget", () => {
  test("take a queued conversation, answer it, hand back, confirm the booking", async () => {
    const citizen = await newPage();
    const booking = await bookInWidget(citizen);

    // The agent is on the queue page before the citizen asks for a person.
    const agent = await newPage();
    await logIn(agent);
    const row = agent.locator("tr", { hasText: `Rendez-vous : ${booking.code}` });
    assert.equal(await row.count(), 0);
    await say(citizen, "je veux parler à un conseiller", "mets en relation");
    // The request appears without a reload (the page polls /queue.json every 10 s).
    const loads = [];
    agent.on("framenavigated", (frame) => frame === agent.mainFrame() && loads.push(frame.url()));
    await row.waitFor({ timeout: 25_000 });
    assert.deepEqual(loads, [], "the queue page was not reloaded");
    const summary = await row.innerText();
    assert.match(summary, /Trélon/);
    assert.match(summary, /\[téléphone masqué\]/, "the phone number is masked in the queue");
    assert.ok(!summary.includes("06 12 34 56 78"));
    const scan = await seriousViolations(agent);
    assert.deepEqual(
      scan.serious.map((v) => `${v.id}: ${v.targets.join(", ")}`),
      [],
      "axe-core: no serious violation on the queue",
    );
    await agent.screenshot({ path: `${SHOTS}/console-1-queue.png` });
    await row.getByRole("button", { name: "Prendre en charge" }).click();
    await agent.waitForURL(/\/queue\/\d+$/);
    assert.match(await agent.locator("main").innerText(), /parler à un conseiller/, "the transcript");

    // The agent's answer reaches the citizen's open widget (socket.io), without a reload.
    const answer = "Bonjour Madame, ici Julie de France Services. Je regarde votre demande.";
    await agent.locator("#text").fill(answer);
    await agent.getByRole("button", { name: "Envoyer" }).click();
    await agent.waitForURL(/\/queue\/\d+/);
    await waitForLog(citizen, answer);
    assert.ok(await lastBotMessageInView(citizen), "the agent's answer is scrolled into view");
    await citizen.screenshot({ path: `${SHOTS}/console-2-citizen-got-answer.png` });

    // Hand back: the citizen is told and the assistant answers again.
    await agent.getByRole("button", { name: "Rendre la main à l'assistant" }).click();
    await agent.waitForURL((url) => url.pathname === "/");
    await waitForLog(citizen, "de nouveau là");
    const bots = await botCount(citizen);
    await citizen.locator("#fsn-input").fill("merci");
    await citizen.keyboard.press("Enter");
    await waitForMoreBotMessages(citizen, bots);

    // Bookings: the agent goes from day to day to the booking and confirms it.
    await agent.getByRole("link", { name: "Rendez-vous" }).first().click();
    const bookingRow = agent.locator("tr", { hasText: booking.code });
    for (let day = 0; day < 45 && !(await bookingRow.count()); day++) {
      await agent.getByRole("link", { name: "Jour suivant" }).click();
      await agent.waitForLoadState();
    }
    assert.equal(await bookingRow.count(), 1, "the booking is listed on its day");
    assert.match(await bookingRow.innerText(), /à confirmer/);
    await bookingRow.getByRole("button", { name: "Confirmer" }).click();
    await agent.waitForLoadState();
    assert.match(await agent.locator("tr", { hasText: booking.code }).innerText(), /confirmé/);
    await agent.screenshot({ path: `${SHOTS}/console-3-booking-confirmed.png` });

    // The citizen is told on the widget (the handoff process's reminder sender, every second).
    await waitForLog(citizen, `${booking.shown} est confirmé`);
    assert.ok(await lastBotMessageInView(citizen), "the notice is scrolled into view");
    await citizen.screenshot({ path: `${SHOTS}/console-4-citizen-told.png` });
    assert.deepEqual(citizen.errors, []);
    assert.deepEqual(agent.errors, []);
    await citizen.context().close();
    await agent.context().close();
  });
});
