// The web widget in a real browser, used as a person would: keyboard only, small screens, zoom,
// an automated accessibility scan. Run by scripts/test_browser.sh against a fresh stack
// (tests/browser/with_stack.py sets WEB_URL and RASA_URL).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import {
  ANSWER_TIMEOUT,
  RASA_URL,
  botCount,
  SHOTS,
  WEB_URL,
  launch,
  logText,
  seriousViolations,
  tabTo,
  waitForLog,
  waitForMoreBotMessages,
} from "./helpers.mjs";

const QUESTION = "quand passe le bus à Trélon ?";

let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ locale: "fr-FR", ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.errors = errors;
  return page;
}

const launcherOf = (page) => page.locator(".fsn-launcher");
const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

// Opens the widget with the keyboard and waits for the greeting's buttons.
async function openWithKeyboard(page) {
  await page.goto(WEB_URL);
  await tabTo(page, launcherOf(page));
  await page.keyboard.press("Enter");
  assert.ok(await isFocused(page.locator("#fsn-input")), "the input has the focus once open");
  await page.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
}

function assertNoSerious(scan, where) {
  const list = scan.serious.map((v) => `${v.impact} ${v.id}: ${v.targets.join(", ")}`);
  assert.deepEqual(list, [], `axe-core found serious or critical violations ${where}`);
}

describe("web widget", () => {
  test("keyboard-only conversation, calendar answer, history after a reload", async () => {
    const page = await newPage({ viewport: { width: 1280, height: 800 } });
    await openWithKeyboard(page);
    const notice = await page.locator(".fsn-notice").innerText();
    assert.match(notice, /assistant automatique/);
    assert.match(notice, /pas une personne/);

    await page.keyboard.type(QUESTION);
    await page.keyboard.press("Enter");
    await waitForLog(page, "03 59 73 18 20");
    const answer = await logText(page);
    assert.match(answer, /Trélon/);
    assert.match(answer, /03 59 73 18 20/);
    const tel = page.locator('.fsn-log a[href^="tel:"]').last();
    assert.equal(await tel.getAttribute("href"), "tel:+33359731820");
    await page.screenshot({ path: `${SHOTS}/1-answer-desktop.png` });

    const scan = await seriousViolations(page);
    console.log(`axe at 1280x800, open with a conversation: ${scan.all.length} violation(s)`, scan.all);
    assertNoSerious(scan, "at 1280x800");

    const sessionId = await page.evaluate(() => localStorage.getItem("fsn-webchat-session"));
    assert.match(sessionId, /^[0-9a-f]{32}$/, "128-bit random session id");

    await page.reload();
    await waitForLog(page, "03 59 73 18 20");
    const restored = await logText(page);
    assert.ok(restored.includes(QUESTION), "the question is still shown after the reload");
    assert.equal(
      await page.evaluate(() => localStorage.getItem("fsn-webchat-session")),
      sessionId,
      "same session after the reload",
    );
    await page.screenshot({ path: `${SHOTS}/2-after-reload.png` });

    // The conversation goes on in the same session after the reload.
    const before = await botCount(page);
    await page.locator("#fsn-input").focus();
    await page.keyboard.type("merci");
    await page.keyboard.press("Enter");
    await waitForMoreBotMessages(page, before);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("bot buttons are real buttons, chosen with the keyboard; Escape closes", async () => {
    const page = await newPage({ viewport: { width: 1024, height: 768 } });
    await openWithKeyboard(page);
    const choice = page.locator(".fsn-choice", { hasText: "Quand passe le bus ?" });
    assert.equal(await choice.evaluate((el) => el.tagName), "BUTTON");
    await tabTo(page, choice, { key: "Shift+Tab" });
    await page.screenshot({ path: `${SHOTS}/3-button-focused.png` });
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => [...document.querySelectorAll(".fsn-msg--user")].some((m) => m.innerText.includes("Quand passe le bus ?")),
      null,
      { timeout: ANSWER_TIMEOUT },
    );
    await page.waitForFunction(
      () => document.querySelectorAll(".fsn-log .fsn-msg--bot").length >= 2,
      null,
      { timeout: ANSWER_TIMEOUT },
    );
    assert.equal(await page.locator('.fsn-choice:has-text("Quand passe le bus ?")').count(), 0,
      "used choices are withdrawn");
    assert.ok(await isFocused(page.locator("#fsn-input")), "focus back in the input");

    await page.keyboard.press("Escape");
    assert.ok(await page.locator("#fsn-panel").isHidden(), "Escape closes the widget");
    assert.ok(await isFocused(launcherOf(page)), "focus returns to the launcher");
    assert.equal(await launcherOf(page).getAttribute("aria-expanded"), "false");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("320 px wide phone: no horizontal scrolling, accessible", async () => {
    const page = await newPage({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true });
    await page.goto(WEB_URL);
    await page.screenshot({ path: `${SHOTS}/4-phone-closed.png` });
    assertNoSerious(await seriousViolations(page), "at 320 px, closed");
    await launcherOf(page).click();
    await page.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
    await page.locator("#fsn-input").fill(QUESTION);
    await page.locator(".fsn-send").click();
    await waitForLog(page, "03 59 73 18 20");
    await page.screenshot({ path: `${SHOTS}/5-phone-answer.png` });
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      panel: document.querySelector(".fsn-panel").scrollWidth,
      width: window.innerWidth,
    }));
    assert.ok(overflow.page <= overflow.width, `page scrolls sideways: ${JSON.stringify(overflow)}`);
    assert.ok(overflow.panel <= overflow.width, `panel scrolls sideways: ${JSON.stringify(overflow)}`);
    for (const selector of ["#fsn-input", ".fsn-send", ".fsn-close"]) {
      const box = await page.locator(selector).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 320, `${selector} within the screen`);
    }
    const scan = await seriousViolations(page);
    console.log(`axe at 320x640, open: ${scan.all.length} violation(s)`, scan.all);
    assertNoSerious(scan, "at 320 px, open");
    await page.context().close();
  });

  test("200 % zoom: everything reachable, text at least 18 px", async () => {
    // A 1280x720 screen at 200 % zoom lays the page out in 640x360 CSS pixels.
    const page = await newPage({ viewport: { width: 640, height: 360 }, deviceScaleFactor: 2 });
    await openWithKeyboard(page);
    await page.keyboard.type(QUESTION);
    await page.keyboard.press("Enter");
    await waitForLog(page, "03 59 73 18 20");
    await page.screenshot({ path: `${SHOTS}/6-zoom-200.png` });
    const size = await page.locator(".fsn-text").first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(size >= 18, `message text is ${size}px`);
    for (const selector of ["#fsn-input", ".fsn-send", ".fsn-close"]) {
      await page.locator(selector).scrollIntoViewIfNeeded();
      assert.ok(await page.locator(selector).isVisible(), `${selector} visible at 200 %`);
    }
    assertNoSerious(await seriousViolations(page), "at 200 % zoom");
    await page.context().close();
  });

  test("the privacy notice says what is kept, for how long, and the right to erasure", async () => {
    const page = await newPage();
    await page.goto(WEB_URL);
    const href = await page.evaluate(() => {
      window.FranceServicesWidget.open();
      return document.querySelector(".fsn-notice a").href;
    });
    await page.goto(href);
    const text = await page.locator("main").innerText();
    assert.equal(await page.getAttribute("html", "lang"), "fr");
    for (const wanted of [/6 mois/, /effac/i, /France Services/, /sécurité sociale/, /écrivant au Département/]) {
      assert.match(text, wanted);
    }
    assertNoSerious(await seriousViolations(page), "on the privacy notice");
    await page.context().close();
  });

  test("clearing the conversation forgets it on this device and starts a new session", async () => {
    const page = await newPage();
    await openWithKeyboard(page);
    await page.keyboard.type(QUESTION);
    await page.keyboard.press("Enter");
    await waitForLog(page, "03 59 73 18 20");
    const before = await page.evaluate(() => localStorage.getItem("fsn-webchat-session"));
    await tabTo(page, page.locator(".fsn-reset"));
    await page.keyboard.press("Enter");
    await page.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
    assert.ok(!(await logText(page)).includes("Trélon"), "the old messages are gone");
    const after = await page.evaluate(() => localStorage.getItem("fsn-webchat-session"));
    assert.match(after, /^[0-9a-f]{32}$/);
    assert.notEqual(after, before);
    await page.reload();
    assert.ok(!(await logText(page)).includes("Trélon"), "and stay gone after a reload");
    await page.context().close();
  });

  test("two browsers never share a conversation", async () => {
    const first = await newPage();
    const second = await newPage();
    for (const page of [first, second]) {
      await page.goto(WEB_URL);
      await page.evaluate(() => window.FranceServicesWidget.open());
      await page.locator(".fsn-choice").first().waitFor({ timeout: ANSWER_TIMEOUT });
    }
    await first.locator("#fsn-input").fill(QUESTION);
    await first.locator("#fsn-input").press("Enter");
    await waitForLog(first, "03 59 73 18 20");
    await second.waitForTimeout(500);
    assert.ok(!(await logText(second)).includes("Trélon"), "the other browser sees nothing");
    const ids = await Promise.all(
      [first, second].map((p) => p.evaluate(() => localStorage.getItem("fsn-webchat-session"))),
    );
    assert.notEqual(ids[0], ids[1]);
    await first.context().close();
    await second.context().close();
  });
});

// ---- an agent (a person) answers through the staff console: shown as a person, not "Assistant".

describe("a person answers in the widget", () => {
  test("an agent's message carries the agent label; after the hand-back, Assistant again", async () => {
    const citizen = await newPage({ viewport: { width: 1024, height: 768 } });
    await openWithKeyboard(citizen);
    await citizen.keyboard.type("je veux parler à un conseiller");
    await citizen.keyboard.press("Enter");
    await waitForLog(citizen, "mets en relation");

    const agent = await newPage();
    await agent.goto(`${process.env.CONSOLE_URL}/`);
    await agent.locator("#username").fill(process.env.CONSOLE_USER);
    await agent.locator("#password").fill(process.env.CONSOLE_PASSWORD);
    await agent.getByRole("button", { name: "Se connecter" }).click();
    await agent.waitForURL((url) => !url.pathname.startsWith("/login"));
    // The only request of the stack at this point (the console tests run after these).
    const take = agent.getByRole("button", { name: "Prendre en charge" }).first();
    await take.waitFor({ timeout: 25_000 });
    await take.click();
    await agent.waitForURL(/\/queue\/\d+$/);

    const answer = "Bonjour Madame, ici Julie de France Services. Je regarde votre demande.";
    await agent.locator("#text").fill(answer);
    await agent.getByRole("button", { name: "Envoyer" }).click();
    await waitForLog(citizen, answer);
    const fromAgent = citizen.locator(".fsn-msg", { hasText: answer });
    const label = await fromAgent.locator(".fsn-who").innerText();
    assert.match(label, /France Services/, `agent label: ${label}`);
    assert.ok(!/Assistant/.test(label), `an agent's message is not labelled Assistant: ${label}`);
    assert.match(await fromAgent.getAttribute("class"), /fsn-msg--agent/, "shown apart from the bot");
    assert.match(await fromAgent.locator(".fsn-sr").innerText(), /une personne/, "said to screen readers");
    await citizen.screenshot({ path: `${SHOTS}/7-agent-message.png` });
    assertNoSerious(await seriousViolations(citizen), "with an agent's message");

    await agent.getByRole("button", { name: "Rendre la main à l'assistant" }).click();
    await waitForLog(citizen, "de nouveau là");
    const back = citizen.locator(".fsn-msg", { hasText: "de nouveau là" });
    assert.equal(await back.locator(".fsn-who").innerText(), "Assistant");
    assert.doesNotMatch(await back.getAttribute("class"), /fsn-msg--agent/);

    // The label survives a reload (the transcript kept on the device).
    await citizen.reload();
    await waitForLog(citizen, answer);
    const kept = await citizen.locator(".fsn-msg", { hasText: answer }).locator(".fsn-who").innerText();
    assert.ok(!/Assistant/.test(kept), `after a reload: ${kept}`);
    assert.deepEqual(citizen.errors, []);
    await agent.context().close();
    await citizen.context().close();
  });
});

// ---- socket.io origin restriction and the vendored client, without a page.

function handshake(origin) {
  const url = new URL("/socket.io/?EIO=4&transport=polling", RASA_URL);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: origin ? { Origin: origin } : {} }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("socket.io server", () => {
  test("refuses a handshake from another origin, accepts the demo page's", async () => {
    assert.equal(await handshake("http://evil.example"), 400);
    assert.equal(await handshake("http://127.0.0.1:1"), 400);
    assert.equal(await handshake(new URL(WEB_URL).origin), 200);
  });

  test("a page on another origin cannot connect", async () => {
    // The same demo page under another name (Chromium sends *.localhost to the loopback): the
    // browser sends that Origin, which socket.io does not accept.
    const page = await newPage();
    const web = new URL(WEB_URL);
    await page.goto(`http://other-site.localhost:${web.port}/`);
    await page.evaluate(() => window.FranceServicesWidget.open());
    await page.waitForFunction(
      () => document.querySelector(".fsn-status")?.innerText.includes("Connexion"),
      null,
      { timeout: 15_000 },
    );
    assert.equal(await page.locator(".fsn-msg--bot").count(), 0);
    await page.context().close();
  });

  test("the served socket.io client is the npm package's, unchanged", async () => {
    const vendored = readFileSync(new URL("../../webchat/static/vendor/socket.io.min.js", import.meta.url));
    const packaged = readFileSync(new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url));
    assert.ok(vendored.equals(packaged), "run `npm run vendor` after changing socket.io-client");
    const served = await (await fetch(new URL("/vendor/socket.io.min.js", WEB_URL))).arrayBuffer();
    assert.ok(Buffer.from(served).equals(packaged));
  });
});
