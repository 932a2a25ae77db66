import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BlockedAddressError, checkLiteralHost, guardedLookup } from './ssrf.js';
import { htmlToText } from './html-text.js';

/**
 * One source fetch over HTTP(S), bounded in every dimension a hostile or broken page could
 * stretch: total time, body size, content type and redirect count. Each redirect hop goes
 * through the same address guard (ssrf.ts).
 */

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Loopback/private/link-local addresses allowed (person-added sources, tests). */
  allowPrivate: boolean;
  userAgent?: string;
}

export type FetchErrorKind = 'blocked' | 'timeout' | 'tooLarge' | 'contentType' | 'tooManyRedirects' | 'http' | 'network' | 'badUrl';

export type FetchResult =
  | { ok: true; finalUrl: string; contentType: string; status: number; bytes: number; text: string }
  | { ok: false; kind: FetchErrorKind; message: string; finalUrl: string };

const TEXT_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain'];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class TooLarge extends Error {}

export async function fetchUrl(url: string, opts: FetchOptions): Promise<FetchResult> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return { ok: false, kind: 'badUrl', message: `not a URL: ${url}`, finalUrl: url };
  }
  // One deadline for the whole chain of redirects, not one per hop.
  const signal = AbortSignal.timeout(opts.timeoutMs);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:')
      return { ok: false, kind: 'badUrl', message: `only http(s) URLs are fetched (got ${current.protocol})`, finalUrl: current.href };
    try {
      checkLiteralHost(current.hostname, opts.allowPrivate);
      const res = await get(current, opts, signal);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume();
        if (hop >= opts.maxRedirects)
          return { ok: false, kind: 'tooManyRedirects', message: `more than ${opts.maxRedirects} redirects`, finalUrl: current.href };
        current = new URL(res.headers.location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        return { ok: false, kind: 'http', message: `HTTP ${status}`, finalUrl: current.href };
      }
      const contentType = String(res.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (!TEXT_TYPES.includes(contentType)) {
        res.destroy();
        return {
          ok: false,
          kind: 'contentType',
          message: `content type "${contentType || 'none'}" is not a readable page (${TEXT_TYPES.join(', ')})`,
          finalUrl: current.href,
        };
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        res.destroy();
        return { ok: false, kind: 'tooLarge', message: `page is ${declared} bytes (cap ${opts.maxBytes})`, finalUrl: current.href };
      }
      const body = await readCapped(res, opts.maxBytes);
      const raw = body.toString('utf8');
      const text = contentType === 'text/plain' ? raw.trim() : htmlToText(raw);
      return { ok: true, finalUrl: current.href, contentType, status, bytes: body.length, text };
    } catch (err) {
      return { ok: false, ...classify(err, signal, opts), finalUrl: current.href };
    }
  }
}

function classify(err: unknown, signal: AbortSignal, opts: FetchOptions): { kind: FetchErrorKind; message: string } {
  if (err instanceof BlockedAddressError || (err as { code?: string }).code === 'EBLOCKEDADDRESS') return { kind: 'blocked', message: (err as Error).message };
  if (err instanceof TooLarge) return { kind: 'tooLarge', message: err.message };
  if (signal.aborted) return { kind: 'timeout', message: `no complete answer within ${opts.timeoutMs} ms` };
  return { kind: 'network', message: (err as Error).message };
}

function get(url: URL, opts: FetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(
      url,
      {
        signal,
        lookup: guardedLookup(opts.allowPrivate),
        headers: { 'user-agent': opts.userAgent ?? 'fano-researcher/0.1', accept: 'text/html, text/plain;q=0.9' },
      },
      resolve,
    );
    req.on('error', reject);
  });
}

/** Reads the body, aborting as soon as it passes the cap (a missing content-length is not trusted). */
function readCapped(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        // Reject before destroying: destroy() emits 'aborted' synchronously.
        reject(new TooLarge(`page is larger than the cap of ${maxBytes} bytes`));
        res.destroy();
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('connection aborted')));
  });
}
