// Shared helpers of the browser tests: Debian's chromium driven by playwright-core, axe-core.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

export const WEB_URL = process.env.WEB_URL;
export const RASA_URL = process.env.RASA_URL;
export const SHOTS = process.env.SCREENSHOT_DIR || "/tmp/webchat-screenshots";

if (!WEB_URL || !RASA_URL) {
  throw new Error("WEB_URL and RASA_URL must be set: run through scripts/test_browser.sh");
}

// The flags this machine needs: no sandbox as root, no calls home on a closed network.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Runs axe-core in the page (WCAG 2.1 A and AA rules, on which RGAA 4.1 is built); returns the
// serious and critical violations, each as "rule: target".
export async function seriousViolations(page) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
  return {
    all: results,
    serious: results.filter((v) => v.impact === "serious" || v.impact === "critical"),
  };
}

// Presses Tab until `locator` has the focus; fails after `max` presses.
export async function tabTo(page, locator, { max = 15, key = "Tab" } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await locator.evaluate((el) => el === document.activeElement)) {
      return i + 1;
    }
  }
  throw new Error(`focus never reached ${locator} after ${max} presses of ${key}`);
}

export const logText = (page) => page.locator(".fsn-log").innerText();

// How long a test waits for an answer of the assistant.
export const ANSWER_TIMEOUT = 45_000;

// Waits until the widget's conversation shows `text`.
export async function waitForLog(page, text) {
  await page.waitForFunction(
    (wanted) => document.querySelector(".fsn-log")?.innerText.includes(wanted),
    text,
    { timeout: ANSWER_TIMEOUT },
  );
}

export const botCount = (page) => page.locator(".fsn-log .fsn-msg--bot").count();

// Waits until the widget shows more than `count` bot messages.
export async function waitForMoreBotMessages(page, count) {
  await page.waitForFunction(
    (n) => document.querySelectorAll(".fsn-log .fsn-msg--bot").length > n,
    count,
    { timeout: ANSWER_TIMEOUT },
  );
}
