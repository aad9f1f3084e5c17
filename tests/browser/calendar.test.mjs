// The console's Calendrier in a real browser on a phone-sized screen: an agent logs in, cancels a
// coming visit of a bus with a reason (Annuler ce passage, then one tap on the reason), sees it
// listed; a citizen on the web widget asking for that commune is told of the cancellation (the
// action server reads the change from the database within seconds); the agent undoes it. Run by
// scripts/test_browser.sh against a fresh stack (tests/browser/with_stack.py).
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
  waitForMoreBotMessages,
} from "./helpers.mjs";

const CONSOLE_URL = process.env.CONSOLE_URL;
const CONSOLE_USER = process.env.CONSOLE_USER;
const CONSOLE_PASSWORD = process.env.CONSOLE_PASSWORD;
const PHONE = { width: 390, height: 844 };

let browser;

before(async () => {
  assert.ok(CONSOLE_URL && CONSOLE_USER && CONSOLE_PASSWORD, "run through scripts/test_browser.sh");
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function newPage(options) {
  const context = await browser.newContext({ locale: "fr-FR", ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  return page;
}

// Counts the taps (clicks) the agent makes, to hold the "three taps from a phone" promise.
function tapper(page) {
  const taps = { count: 0 };
  taps.tap = async (locator) => {
    taps.count += 1;
    await locator.tap();
  };
  return taps;
}

const noSideScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

// The citizen asks until the answer holds `wanted` (the action server looks at the changes every
// 10 s: the first answer may still be the calendar of a few seconds ago). Returns the log.
async function askUntil(page, question, wanted, timeout = 40_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const before = await botCount(page);
    await page.locator("#fsn-input").fill(question);
    await page.keyboard.press("Enter");
    await waitForMoreBotMessages(page, before);
    await page.waitForTimeout(1500); // the answer's other messages
    const log = await logText(page);
    if (log.includes(wanted) || Date.now() > deadline) {
      return log;
    }
    await page.waitForTimeout(3000);
  }
}

describe("staff console: Calendrier on a phone", () => {
  test("cancel a visit with a reason, the citizen is told, undo it", async () => {
    const agent = await newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    const taps = tapper(agent);
    await agent.goto(`${CONSOLE_URL}/`);
    await agent.locator("#username").fill(CONSOLE_USER);
    await agent.locator("#password").fill(CONSOLE_PASSWORD);
    await agent.getByRole("button", { name: "Se connecter" }).tap();
    await agent.waitForURL((url) => !url.pathname.startsWith("/login"));

    // 1: the menu's Calendrier (the first bus is shown).
    await taps.tap(agent.getByRole("link", { name: "Calendrier" }));
    await agent.waitForURL(/\/calendar/);
    assert.ok(await noSideScroll(agent), "the calendar fits the phone's width");
    const scan = await seriousViolations(agent);
    assert.deepEqual(
      scan.serious.map((v) => `${v.id}: ${v.targets.join(", ")}`),
      [],
      "axe-core: no serious violation on the calendar",
    );
    await agent.screenshot({ path: `${SHOTS}/calendar-1-list.png`, fullPage: true });

    // A visit after today (today's may be over): the commune's next visit.
    const later = agent.locator("section.cal-day").nth(1);
    const day = (await later.locator("h3").innerText()).trim();
    // `has` is looked up inside each li: a locator relative to the page, not to `later`.
    const entry = later
      .locator("li", { has: agent.getByRole("link", { name: /^Annuler ce passage/ }) })
      .first();
    const link = entry.getByRole("link", { name: /^Annuler ce passage/ });
    const commune = (await entry.locator("strong").innerText()).trim();
    // 2: Annuler ce passage; 3: the reason.
    await taps.tap(link);
    await agent.waitForURL(/\/calendar\/cancel/);
    assert.match(await agent.locator("h1").innerText(), new RegExp(`Annuler le passage à ${commune}`));
    assert.ok(await noSideScroll(agent), "the reasons fit the phone's width");
    await agent.screenshot({ path: `${SHOTS}/calendar-2-reasons.png` });
    await taps.tap(agent.getByRole("button", { name: "Panne du bus" }));
    await agent.waitForURL((url) => url.pathname === "/calendar");
    assert.equal(taps.count, 3, "three taps from the menu");
    assert.match(await agent.locator(".flash.ok").innerText(), /Modification enregistrée/);
    const cancelled = agent
      .locator("section.cal-day", { has: agent.locator("h3", { hasText: day }) })
      .locator("li", { has: agent.locator("strong", { hasText: commune }) });
    assert.match(await cancelled.innerText(), /Annulé : panne du bus/);
    const listed = agent.locator(".cal-changes li").first();
    assert.match(await listed.innerText(), new RegExp(`Passage annulé : ${commune}`));
    assert.match(await listed.innerText(), new RegExp(`par ${CONSOLE_USER}`));
    await agent.screenshot({ path: `${SHOTS}/calendar-3-cancelled.png`, fullPage: true });

    // The citizen on the widget is told (the assistant reads the change from the database).
    const citizen = await newPage({ viewport: { width: 1280, height: 900 } });
    await citizen.goto(WEB_URL);
    await citizen.locator(".fsn-launcher").click();
    await citizen.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
    const dayWithoutYear = day.replace(/ \d{4}$/, "");
    const told = `Pas de passage le ${dayWithoutYear} : panne du bus`;
    const log = await askUntil(citizen, `quand passe le bus à ${commune} ?`, told);
    assert.ok(log.includes(told), `the citizen is told "${told}"; the widget showed:\n${log}`);
    await citizen.screenshot({ path: `${SHOTS}/calendar-4-citizen-told.png` });

    // Undo: the visit is back, the change shows who undid it.
    await listed.getByRole("button", { name: /^Annuler cette modification/ }).tap();
    // The page is already on /calendar: wait for the new flash, not the URL (the old flash,
    // "Modification enregistrée", is still shown until the redirect lands).
    await agent
      .locator(".flash.ok", { hasText: "Modification annulée" })
      .waitFor({ timeout: ANSWER_TIMEOUT });
    assert.match(await agent.locator(".flash.ok").innerText(), /Modification annulée/);
    assert.doesNotMatch(await cancelled.innerText(), /Annulé/);
    assert.match(await agent.locator(".cal-changes li").first().innerText(), /Annulée par/);
    await agent.screenshot({ path: `${SHOTS}/calendar-5-undone.png`, fullPage: true });
    assert.deepEqual(agent.errors, []);
    assert.deepEqual(citizen.errors, []);
    await citizen.context().close();
    await agent.context().close();
  });
});
