// The console's Visio section in a real browser on a phone-sized screen: an agent logs in, sees
// that no organisation is offered yet, adds the CAF's Wednesday mornings at Hondschoote (the
// offer is validated as the file is: a wrong period is refused with the validator's words),
// marks the CAF's advisor absent one Wednesday and reaches the list of bookings to tell; axe-core
// finds no serious violation. Runs with scripts/test_browser.sh's stack, or against a console
// alone (CONSOLE_URL, CONSOLE_USER, CONSOLE_PASSWORD; WEB_URL/RASA_URL unused here).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { SHOTS, launch, seriousViolations } from "./helpers.mjs";

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

// On a phone a page wider than the screen is zoomed out (the layout viewport grows with it), so
// compare with the phone's own width, not window.innerWidth.
const noSideScroll = (page) =>
  page.evaluate((width) => document.documentElement.scrollWidth <= width, PHONE.width);

async function noSerious(page, where) {
  const scan = await seriousViolations(page);
  assert.deepEqual(
    scan.serious.map((v) => `${v.id}: ${v.targets.join(", ")}`),
    [],
    `axe-core: no serious violation on ${where}`,
  );
}

// The next Wednesday after today, as the date input wants it (YYYY-MM-DD).
function nextWednesday() {
  const day = new Date();
  do {
    day.setDate(day.getDate() + 1);
  } while (day.getDay() !== 3);
  return day.toISOString().slice(0, 10);
}

describe("staff console: Visio on a phone", () => {
  test("add an organisation's days, a refusal, an absent advisor", async () => {
    const context = await browser.newContext({
      locale: "fr-FR",
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    });
    const agent = await context.newPage();
    const errors = [];
    agent.on("pageerror", (error) => errors.push(error.message));
    await agent.goto(`${CONSOLE_URL}/`);
    await agent.locator("#username").fill(CONSOLE_USER);
    await agent.locator("#password").fill(CONSOLE_PASSWORD);
    await agent.getByRole("button", { name: "Se connecter" }).tap();
    await agent.waitForURL((url) => !url.pathname.startsWith("/login"));

    await agent.getByRole("link", { name: "Visio" }).tap();
    await agent.waitForURL(/\/visio/);
    const hondschoote = agent.locator("section.visio-place", {
      has: agent.getByRole("heading", { name: "France services Hondschoote" }),
    });
    assert.match(await hondschoote.innerText(), /Aucun organisme : aucun rendez-vous proposé ici/);
    assert.ok(await noSideScroll(agent), "the offer fits the phone's width");
    await noSerious(agent, "the Visio page");
    await agent.screenshot({ path: `${SHOTS}/visio-1-offer.png`, fullPage: true });

    // A refused edit: the validator's words, nothing changed.
    await agent.locator("#org-place").selectOption("desk:346");
    await agent.locator("#org-operator").selectOption("caf");
    await agent.getByRole("checkbox", { name: "mercredi" }).check();
    await agent.locator("#org-hours").fill("12:00-09:00");
    await agent.locator("#org-why").fill("essai");
    await agent.getByRole("button", { name: "Ajouter", exact: true }).tap();
    await agent.waitForURL((url) => url.pathname === "/visio");
    assert.match(await agent.locator(".flash.error").innerText(), /Modification refusée.*finit avant de commencer/);

    // The CAF on Wednesday mornings.
    await agent.locator("#org-place").selectOption("desk:346");
    await agent.locator("#org-operator").selectOption("caf");
    await agent.getByRole("checkbox", { name: "mercredi" }).check();
    await agent.locator("#org-hours").fill("09:00-12:00");
    await agent.locator("#org-why").fill("la CAF vient le mercredi matin");
    await agent.getByRole("button", { name: "Ajouter", exact: true }).tap();
    await agent.waitForURL((url) => url.pathname === "/visio");
    assert.match(await agent.locator(".flash.ok").innerText(), /Offre visio enregistrée/);
    assert.match(await hondschoote.innerText(), /la CAF \(allocations familiales\) : mercredi, 09:00–12:00/);
    assert.match(await agent.locator("body").innerText(), new RegExp(`par ${CONSOLE_USER}`));
    await agent.screenshot({ path: `${SHOTS}/visio-2-caf-added.png`, fullPage: true });

    // The CAF's advisor is away next Wednesday: the bookings to tell are listed.
    await agent.locator("#abs-place").selectOption("desk:346");
    await agent.locator("#abs-operator").selectOption("caf");
    await agent.locator("#abs-date").fill(nextWednesday());
    await agent.locator("#abs-reason").fill("conseillère en formation");
    await agent.getByRole("button", { name: "Marquer absent" }).tap();
    await agent.waitForURL(/\/visio\/affected/);
    assert.match(await agent.locator("h1").innerText(), /absent à France services Hondschoote/);
    assert.ok(await noSideScroll(agent), "the list fits the phone's width");
    await noSerious(agent, "the bookings to tell");
    await agent.screenshot({ path: `${SHOTS}/visio-3-absent.png`, fullPage: true });
    assert.deepEqual(errors, [], "no script error in the console");
    await context.close();
  });
});
