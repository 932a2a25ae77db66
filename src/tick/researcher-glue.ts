import { join } from 'node:path';
import type { FanoConfig } from '../config/schema.js';
import { environmentError, LockCompromisedError } from '../errors.js';
import type { Logger } from '../log.js';
import { markWritten, seedsToWrite } from '../modules/researcher/researcher-module.js';
import { readSeeds, SEEDS_PATH } from '../modules/seeds-file.js';
import { editYamlList, YamlListFileError } from '../store/state-files.js';
import type { Store } from '../store/store.js';
import { HOUR_MS, SECOND_MS } from '../core/time.js';

/**
 * The Researcher's two side effects, run by the tick while it holds the lock:
 *  - before discovery: fetch pending sources into the cache (the module only reads the cache);
 *  - after the slice: append proposed seeds to the Explorer's seeds.yaml.
 */

export async function fetchPendingSources(home: string, config: FanoConfig, store: Store, now: () => Date, log: Logger): Promise<void> {
  const r = config.modules.researcher;
  if (!r.enabled) return;
  // Lazy: the HTML converter is only loaded by ticks that may fetch.
  const { runPendingFetches } = await import('./fetch-sources.js');
  try {
    await runPendingFetches(
      home,
      store.state,
      {
        perHour: r.fetch.perHour,
        timeoutMs: r.fetch.timeoutSeconds * SECOND_MS,
        maxBytes: r.fetch.maxBytes,
        maxRedirects: r.fetch.maxRedirects,
        allowPrivateAddresses: r.fetch.allowPrivateAddresses,
        retryFailedAfterMs: r.fetch.retryFailedAfterHours * HOUR_MS,
      },
      now,
      log,
      () => store.fence(),
    );
  } catch (err) {
    // A lost lock or a full disk stops the tick; a broken sources file must not stop the other
    // modules' work.
    if (err instanceof LockCompromisedError || environmentError(err)) throw err;
    log.error('researcher.fetch_pass_failed', { error: (err as Error).message });
  }
}

/**
 * Appends the seeds the Researcher proposed to state/explorer/seeds.yaml, keeping the person's
 * comments and order (yaml Document API), by an atomic replace. Ordering invariant: the file is
 * written BEFORE the `written` mark is logged, so a crash in between only means the next tick
 * finds the id already in the file and just logs the mark (never a duplicate, never a loss). A
 * seed the person later deletes from the file stays deleted: it is marked written.
 */
export async function writeProposedSeeds(home: string, store: Store, now: () => Date, log: Logger): Promise<void> {
  const pending = seedsToWrite(store.state);
  if (pending.length === 0) return;
  const file = join(home, SEEDS_PATH);
  let present: Set<string>;
  try {
    present = new Set(readSeeds(home).map((s) => s.id));
  } catch (err) {
    log.warn('researcher.seeds_not_written', { error: (err as Error).message, pending: pending.length });
    return;
  }
  const added: string[] = [];
  try {
    editYamlList(
      () => store.fence(),
      file,
      'seeds',
      'seeds: []\n',
      (list, doc) => {
        for (const s of pending) {
          if (present.has(s.id)) continue;
          const entry: Record<string, unknown> = { id: s.id, type: s.type, priority: s.priority, text: s.text, tags: ['research'] };
          if (s.status === 'proposed') entry.status = 'proposed';
          entry.notes = `proposed by the Researcher from verified findings ${s.findingIds.join(', ')}; sources: ${s.urls.join(' ')}`;
          list.add(doc.createNode(entry));
          added.push(s.id);
        }
      },
    );
  } catch (err) {
    if (!(err instanceof YamlListFileError)) throw err;
    log.warn('researcher.seeds_not_written', { error: err.message, pending: pending.length });
    return;
  }
  if (added.length > 0) log.info('researcher.seeds_proposed', { seeds: added, status: pending[0]!.status });
  await store.append(pending.map(markWritten), now());
}
