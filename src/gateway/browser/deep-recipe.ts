import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { Locator } from '../../config/locator-syntax.js';
import type { ClickTarget, PageScript } from './page-script.js';
import type { DeepRecipe, DeepStep } from './sites.js';

/**
 * Deep mode as a recipe: the real sites reach it through menus (ChatGPT's model menu, Gemini's
 * Tools → Deep Think with a confirmation dialog now and then, Claude's model picker switch), so
 * an adapter lists the steps and fano runs them in order, then verifies the result on the page.
 * A step whose target never shows up fails the recipe (unless it is optional), and a recipe that
 * cannot be verified means the prompt is not sent.
 */

const POLL_MS = 25;
/** The mode must still read as wanted this long after the recipe (some toggles snap back). */
const CONFIRM_MS = 300;
const VERIFY_MS = 3_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeStep(step: DeepStep, i: number): string {
  const what =
    step.action === 'choose'
      ? `choose ${step.item.kind === 're' ? `/${step.item.source}/${step.item.flags}` : JSON.stringify(step.item.value)}`
      : step.action === 'press'
        ? `press ${step.key}`
        : `${step.action} ${step.target.map((l) => l.source).join(' | ')}${step.action === 'ensure' ? ` → ${step.state}` : ''}`;
  return `step ${i + 1} (${what})`;
}

export interface DeepPageOps {
  /** Whether deep mode shows as on (null: the page cannot tell). */
  readActive(): Promise<boolean | null>;
}

export class DeepRecipeRunner {
  constructor(
    private readonly page: Page,
    private readonly script: PageScript,
    private readonly recipe: DeepRecipe,
    private readonly ops: DeepPageOps,
  ) {}

  /** Runs the on or off steps and verifies; returns a problem sentence or null. */
  async set(want: boolean): Promise<string | null> {
    const steps = want ? this.recipe.on : this.recipe.off;
    if (!steps) return 'deep mode is on and this site adapter has no recipe to turn it off (deep.off)';
    for (const [i, step] of steps.entries()) {
      const problem = await this.run(step);
      if (problem) return `deep-mode recipe ${want ? 'on' : 'off'}, ${describeStep(step, i)}: ${problem}`;
    }
    return this.verify(want);
  }

  private async verify(want: boolean): Promise<string | null> {
    const deadline = performance.now() + VERIFY_MS;
    let active = await this.ops.readActive();
    if (active === null) return null; // no marker: the steps' own checks are all the proof there is
    while (active !== want && performance.now() < deadline) {
      await sleep(POLL_MS);
      active = await this.ops.readActive();
    }
    if (active === want) {
      await sleep(CONFIRM_MS);
      active = await this.ops.readActive();
    }
    if (active === want) return null;
    const marker = this.recipe.active.length > 0 ? `deep.active: ${this.recipe.active.map((l) => l.source).join(' | ')}` : `the toggle's pressed/checked state`;
    return want
      ? `deep mode could not be verified: the recipe ran but the page does not show it on (${marker})`
      : `deep mode could not be turned off for a normal request (${marker})`;
  }

  /** Polls until the first visible match of `target` is found (tagged), or the time is up. */
  private async target(target: Locator[], timeoutMs: number): Promise<ClickTarget> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const t = await this.script.clickTarget('recipe', target);
      if (t?.box || performance.now() >= deadline) return t;
      await sleep(POLL_MS);
    }
  }

  private async click(box: { x: number; y: number }): Promise<void> {
    await this.page.mouse.click(box.x, box.y);
  }

  private async run(step: DeepStep): Promise<string | null> {
    switch (step.action) {
      case 'press':
        await this.page.keyboard.press(step.key);
        return null;
      case 'choose': {
        const deadline = performance.now() + step.timeoutMs;
        for (;;) {
          if (await this.script.tagMenuItem(step.item, 'recipe')) {
            const t = await this.script.clickTarget('recipe', null);
            if (t?.box) {
              await this.click(t.box);
              return null;
            }
          }
          if (performance.now() >= deadline) return step.optional ? null : `no visible menu item matched within ${step.timeoutMs} ms`;
          await sleep(POLL_MS);
        }
      }
      case 'ensure': {
        const t = await this.target(step.target, step.timeoutMs);
        if (!t?.box) return step.optional ? null : `not found within ${step.timeoutMs} ms`;
        const want = step.state === 'on';
        if (t.on === want) return null;
        await this.click(t.box);
        const deadline = performance.now() + step.timeoutMs;
        for (;;) {
          const now = await this.script.clickTarget('recipe', null);
          if (now?.on === want) return null;
          if (performance.now() >= deadline) return `clicked, but it does not read ${step.state} (aria-checked/aria-pressed/checked)`;
          await sleep(POLL_MS);
        }
      }
      case 'waitFor': {
        const t = await this.target(step.target, step.timeoutMs);
        return t?.box || step.optional ? null : `not visible within ${step.timeoutMs} ms`;
      }
      case 'click':
      case 'confirm': {
        const t = await this.target(step.target, step.timeoutMs);
        if (!t?.box) return step.optional ? null : `not found within ${step.timeoutMs} ms`;
        await this.click(t.box);
        return null;
      }
    }
  }
}
