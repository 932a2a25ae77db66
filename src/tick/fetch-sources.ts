import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FanoState } from '../core/types.js';
import { fetchUrl, type FetchOptions, type FetchResult } from '../gateway/fetch/fetch-url.js';
import type { Logger } from '../log.js';
import { writeStateFile, type Fence } from '../store/state-files.js';
import { CACHE_DIR, knownSources, readCacheEntry, sourceIdFor, TEXTS_DIR, textHashOf, type CacheEntry } from '../modules/researcher/sources-file.js';
import { HOUR_MS } from '../core/time.js';

/**
 * The tick's fetch pass (run before scheduling): every source without a usable cache entry is
 * fetched, within a per-hour budget separate from LLM requests, and cached under
 * state/researcher/ (entry JSON + content-addressed text). Modules then read only the cache, so
 * they stay deterministic and never do I/O over the network.
 *
 * The budget is derived from the cache itself (entries fetched in the last hour), so it needs no
 * counter and survives crashes: a crash after a fetch but before its entry is written just costs
 * one extra fetch later.
 *
 * It is the tick's code, not the gateway's: it decides what to fetch from the Researcher's sources
 * and records the results, while the gateway only fetches one URL safely (gateway/fetch/fetch-url.ts).
 */

export interface SourceFetchOptions {
  perHour: number;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Lets model-proposed URLs reach loopback/private/link-local addresses (tests only). */
  allowPrivateAddresses: boolean;
  /** A failed fetch is tried again after this long. */
  retryFailedAfterMs: number;
}

export type Fetcher = (url: string, opts: FetchOptions) => Promise<FetchResult>;

function cacheEntries(home: string): CacheEntry[] {
  let files: string[];
  try {
    files = readdirSync(join(home, CACHE_DIR)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: CacheEntry[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(readFileSync(join(home, CACHE_DIR, f), 'utf8')) as CacheEntry);
    } catch {
      // a torn entry is refetched
    }
  }
  return out;
}

export async function runPendingFetches(
  home: string,
  state: Readonly<FanoState>,
  opts: SourceFetchOptions,
  now: () => Date,
  log: Logger,
  /** Proves the tick lock is still ours before each cache write (Store.fence). */
  fence: Fence,
  fetcher: Fetcher = fetchUrl,
): Promise<{ fetched: number; failed: number; deferred: number }> {
  const sources = knownSources(home, state);
  const due = sources.filter((s) => {
    const e = readCacheEntry(home, sourceIdFor(s.url));
    return e === null || (!e.ok && now().getTime() - Date.parse(e.fetchedAt) >= opts.retryFailedAfterMs);
  });
  const result = { fetched: 0, failed: 0, deferred: 0 };
  if (due.length === 0) return result;
  let used = cacheEntries(home).filter((e) => now().getTime() - Date.parse(e.fetchedAt) < HOUR_MS).length;
  for (const s of due) {
    if (used >= opts.perHour) {
      result.deferred = due.length - result.fetched - result.failed;
      log.info('researcher.fetch_budget_exhausted', { perHour: opts.perHour, deferred: result.deferred });
      break;
    }
    used += 1;
    // Sequential on purpose: the budget is counted before each fetch, and a slow site must not
    // hold several sockets of a per-minute process.
    const r = await fetcher(s.url, {
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      maxRedirects: opts.maxRedirects,
      allowPrivate: s.addedBy === 'person' || opts.allowPrivateAddresses,
    });
    const sourceId = sourceIdFor(s.url);
    const at = now().toISOString();
    let entry: CacheEntry;
    if (r.ok) {
      const textHash = textHashOf(r.text);
      // Text first, entry second: an entry never names a text that is not on disk.
      writeStateFile(fence, join(home, TEXTS_DIR, `${textHash}.txt`), r.text);
      entry = {
        sourceId,
        url: s.url,
        addedBy: s.addedBy,
        fetchedAt: at,
        ok: true,
        error: null,
        finalUrl: r.finalUrl,
        contentType: r.contentType,
        textHash,
        chars: r.text.length,
      };
      result.fetched += 1;
      log.info('researcher.fetched', { url: s.url, sourceId, bytes: r.bytes, chars: r.text.length, textHash });
    } else {
      entry = {
        sourceId,
        url: s.url,
        addedBy: s.addedBy,
        fetchedAt: at,
        ok: false,
        error: { kind: r.kind, message: r.message },
        finalUrl: r.finalUrl,
        contentType: null,
        textHash: null,
        chars: 0,
      };
      result.failed += 1;
      log.warn('researcher.fetch_failed', { url: s.url, sourceId, kind: r.kind, error: r.message });
    }
    writeStateFile(fence, join(home, CACHE_DIR, `${sourceId}.json`), `${JSON.stringify(entry, null, 2)}\n`);
  }
  return result;
}
