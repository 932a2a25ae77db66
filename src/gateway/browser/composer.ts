import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { ClickTarget, PageScript, RawSample } from './page-script.js';
import type { SiteSelectors } from './sites.js';

/**
 * The composer: typing a prompt so the page holds it exactly, clicking send (or Enter), and
 * starting a new conversation with the site's own "new chat". Each function takes the page, its
 * page module and the site's locators; RequestRun (driver.ts) decides when.
 */

const POLL_MS = 25;
const SUBMIT_ENABLED_WAIT_MS = 3_000;
const ACTION_TIMEOUT_MS = 10_000;
/** A "new chat" click must show an empty conversation within this long, else the start page is loaded. */
const NEW_CHAT_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The prompt as the composer holds it, compared without whitespace (editors re-wrap lines and paragraphs). */
export function sameText(a: string, b: string): boolean {
  const squash = (s: string) => s.replace(/[\s\u00a0\u200b]+/g, '');
  return squash(a) === squash(b);
}

/**
 * Types the prompt and checks the composer holds it; returns the page as it is then (the
 * baseline of the submit) and the send button, or why nothing can be sent.
 */
export async function typePrompt(
  page: Page,
  script: PageScript,
  prompt: string,
  responses: number,
): Promise<{ sample: RawSample; send: ClickTarget } | { problem: string }> {
  // Fast path: tag, focus + select the composer in-page, then one trusted insertText of the whole
  // prompt (no key-by-key typing, so no Enter can submit half a prompt, and no actionability waits).
  if (!(await script.focusInput())) return { problem: 'the chat input disappeared before typing; not sent' };
  await page.keyboard.insertText(prompt);
  let look = await script.afterTyping(responses);
  if (sameText(look.sample.inputText ?? '', prompt)) return look;
  // Some editors ignore that; Playwright's fill(), then per-line insertText with Shift+Enter.
  const input = page.locator('[data-fano-target="input"]');
  await input.fill(prompt, { timeout: ACTION_TIMEOUT_MS });
  look = await script.afterTyping(responses);
  if (sameText(look.sample.inputText ?? '', prompt)) return look;
  await input.fill('', { timeout: ACTION_TIMEOUT_MS });
  await input.click({ timeout: ACTION_TIMEOUT_MS });
  const lines = prompt.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (i > 0) await page.keyboard.press('Shift+Enter');
    if (lines[i]) await page.keyboard.insertText(lines[i] ?? '');
  }
  look = await script.afterTyping(responses);
  const held = look.sample.inputText ?? '';
  if (sameText(held, prompt)) return look;
  return { problem: `the chat input did not hold the prompt after typing (${held.length} of ${prompt.length} characters); not sent` };
}

/** Clicks send once it is enabled (sites enable it a frame or two after the input event), else presses Enter. */
export async function submit(page: Page, script: PageScript, send: ClickTarget): Promise<void> {
  let t = send;
  const deadline = performance.now() + SUBMIT_ENABLED_WAIT_MS;
  while (t && !t.enabled && performance.now() < deadline) {
    await sleep(POLL_MS);
    t = await script.clickTarget('send', null);
  }
  if (t?.box) {
    await page.mouse.click(t.box.x, t.box.y);
    return;
  }
  await script.focusTagged('input');
  await page.keyboard.press('Enter');
}

/** Clicks the site's "new chat" and waits for an empty composer view; false when that did not work. */
export async function startNewChat(page: Page, script: PageScript, sel: SiteSelectors): Promise<boolean> {
  const t = await script.clickTarget('newchat', sel.newChat);
  if (!t?.box) return false;
  await page.mouse.click(t.box.x, t.box.y);
  const deadline = performance.now() + NEW_CHAT_MS;
  for (;;) {
    const s = await script.sample(null);
    if (s.inputPresent && s.userCount === 0 && s.responseCount === 0) return true;
    if (performance.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/**
 * A reopened conversation may reset the composer while its turns load (ChatGPT does): waits until
 * the number of turns has held still for `quietMs` before anything is typed.
 */
export async function waitHydrated(script: PageScript, s: RawSample, quietMs: number, maxMs: number, aborted: () => boolean): Promise<RawSample> {
  const deadline = performance.now() + maxMs;
  let count = s.userCount + s.responseCount;
  let since = performance.now();
  while (performance.now() - since < quietMs && performance.now() < deadline && !aborted()) {
    await sleep(POLL_MS * 4);
    s = await script.sample(null);
    if (s.userCount + s.responseCount !== count) {
      count = s.userCount + s.responseCount;
      since = performance.now();
    }
  }
  return s;
}
