import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Failure bundles: every non-ok outcome leaves `<bundleDir>/` with what the page looked like
 * (screenshot.png, page.html) and why we classified it so (classification.json), so a selector
 * churn or a new banner is diagnosed from the bundle alone.
 */

const SCREENSHOT_TIMEOUT_MS = 5_000;

export interface BundleClassification {
  backend: string;
  site: string;
  requestId: string;
  outcome: string;
  detail: string | null;
  resetAt: string | null;
  sent: boolean;
  url: string | null;
  at: string;
  durationMs: number;
  /** Partial answer text, if any. */
  text: string;
  /** The chrome texts the patterns saw in the last sample. */
  chrome: string[];
  /** Bundle parts that could not be saved (the page may have crashed). */
  errors: string[];
}

/** Writes the bundle; never throws (a failed screenshot must not hide the outcome). Returns dir or null. */
export async function saveBundle(dir: string, page: Page | null, c: Omit<BundleClassification, 'errors'>): Promise<string | null> {
  const errors: string[] = [];
  try {
    await mkdir(dir, { recursive: true });
  } catch {
    return null;
  }
  if (page && !page.isClosed()) {
    await page
      .screenshot({ path: path.join(dir, 'screenshot.png'), timeout: SCREENSHOT_TIMEOUT_MS })
      .catch((e: unknown) => errors.push(`screenshot: ${String(e).split('\n')[0]}`));
    await page
      .content()
      .then((html) => writeFile(path.join(dir, 'page.html'), html))
      .catch((e: unknown) => errors.push(`page.html: ${String(e).split('\n')[0]}`));
  } else {
    errors.push('no page to capture');
  }
  try {
    await writeFile(path.join(dir, 'classification.json'), `${JSON.stringify({ ...c, errors }, null, 2)}\n`);
  } catch {
    return null;
  }
  return dir;
}
