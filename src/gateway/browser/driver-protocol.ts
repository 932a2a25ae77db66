import type { BrowserBackendConfig, FanoConfig } from '../../config/schema.js';
import type { LlmRequest, LlmResponse } from '../backend.js';

/**
 * The resident driver's wire format: one JSON object per line over a loopback TCP connection,
 * one connection per request. A tick sends `send` (with the token from runs/browser-driver.json,
 * mode 0600) and answers `submitted` with `ack` once it has made the submitted mark durable; the
 * driver ends with `result` or `unavailable`. Closing the connection aborts the request, as a
 * dying tick's Playwright connection would.
 */

export type ToDriver =
  | {
      t: 'send';
      token: string;
      backend: string;
      cfg: BrowserBackendConfig;
      browser: FanoConfig['browser'];
      req: Omit<LlmRequest, 'onSubmitted'>;
      bundleDir: string | null;
    }
  | { t: 'ack' }
  | { t: 'abort' };

export type FromDriver =
  | { t: 'log'; event: string; fields: object }
  | { t: 'submitted'; url: string | null }
  /** The driver cannot serve this backend now (its Chromium is gone): nothing was typed. */
  | { t: 'unavailable'; reason: string }
  | { t: 'result'; res: LlmResponse }
  | { t: 'error'; message: string };

/** Splits a byte stream into JSON lines. */
export function lineReader(onMessage: (m: unknown) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        continue;
      }
      onMessage(m);
    }
  };
}
