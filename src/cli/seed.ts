import { join } from 'node:path';
import type { Document, YAMLMap, YAMLSeq } from 'yaml';
import { loadConfig } from '../config/load.js';
import { ExitCode, FanoError, UsageError } from '../errors.js';
import { threadIdFor } from '../modules/explorer/text.js';
import { THREADS } from '../modules/explorer/types.js';
import { docsById } from '../modules/shared/collections.js';
import { seedIdFor } from '../modules/seed-id.js';
import { readSeeds, SEEDS_PATH, SeedsFileError, type Seed } from '../modules/seeds-file.js';
import { editYamlList, YamlListFileError } from '../store/state-files.js';
import { openStore, readState } from '../store/store.js';

/**
 * `fano seed add|list|approve`: the Explorer's seeds in state/explorer/seeds.yaml. The file is the
 * person's (comments and order are kept: edits go through the yaml Document API); commands that
 * change it hold the tick lock so they never race a tick or each other, and replace it atomically.
 */

type Out = (s: string) => void;

export class SeedsError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.config);
  }
}

function seedsOrThrow(home: string): Seed[] {
  try {
    return readSeeds(home);
  } catch (err) {
    if (err instanceof SeedsFileError) throw new SeedsError(`${err.message}\nFix the seeds file, then run the command again.`);
    throw err;
  }
}

async function editSeeds(home: string, edit: (list: YAMLSeq, doc: Document, seeds: Seed[]) => string): Promise<string> {
  const { config } = await loadConfig(home);
  const store = await openStore(home, { lockStaleMs: config.tick.lockStaleSeconds * 1000 });
  try {
    const seeds = seedsOrThrow(home);
    const file = join(home, SEEDS_PATH);
    let message: string;
    try {
      message = editYamlList(
        () => store.fence(),
        file,
        'seeds',
        'seeds: []\n',
        (list, doc) => edit(list, doc, seeds),
      );
    } catch (err) {
      if (err instanceof YamlListFileError) throw new SeedsError(err.message);
      throw err;
    }
    seedsOrThrow(home); // the result must read back
    return message;
  } finally {
    await store.close();
  }
}

export interface SeedAddOptions {
  home: string;
  text: string;
  type: string;
  priority: string;
  tags: string[];
  id?: string | undefined;
  notes?: string | undefined;
  proposed?: boolean;
  out: Out;
}

export async function runSeedAdd(o: SeedAddOptions): Promise<number> {
  const text = o.text.trim();
  if (text === '') throw new UsageError('the seed text is empty');
  if (!['axiom', 'conjecture', 'question'].includes(o.type)) throw new UsageError(`--type must be axiom, conjecture or question (got "${o.type}")`);
  const priority: number | string = /^\d+$/.test(o.priority) ? Number(o.priority) : o.priority;
  if (typeof priority === 'number' ? priority < 1 || priority > 10 : !['high', 'medium', 'low'].includes(priority)) {
    throw new UsageError(`--priority must be 1-10 or high|medium|low (got "${o.priority}")`);
  }
  const msg = await editSeeds(o.home, (list, doc, seeds) => {
    const ids = new Set(seeds.map((s) => s.id));
    if (o.id !== undefined && ids.has(o.id)) throw new UsageError(`a seed with id "${o.id}" already exists`);
    // Written into the file once: later ticks read it from there, so it never changes.
    const id = o.id ?? seedIdFor(text, ids);
    const entry: Record<string, unknown> = { id, type: o.type, priority, text };
    if (o.tags.length > 0) entry.tags = o.tags;
    if (o.notes) entry.notes = o.notes;
    if (o.proposed) entry.status = 'proposed';
    list.add(doc.createNode(entry));
    return `added seed ${id} (${o.type}, priority ${priority}${o.proposed ? ', proposed: run `fano seed approve ' + id + '`' : ''})`;
  });
  o.out(msg);
  return 0;
}

export async function runSeedApprove(o: { home: string; id: string; out: Out }): Promise<number> {
  const msg = await editSeeds(o.home, (list, doc, seeds) => {
    const i = seeds.findIndex((s) => s.id === o.id);
    if (i < 0) throw new UsageError(`no seed "${o.id}" (known: ${seeds.map((s) => s.id).join(', ') || 'none'})`);
    if (seeds[i]!.status !== 'proposed') return `seed ${o.id} is already active`;
    const item = list.items[i] as YAMLMap;
    item.delete('status');
    return `approved seed ${o.id}: the Explorer picks it up at the next tick`;
  });
  o.out(msg);
  return 0;
}

export async function runSeedList(o: { home: string; json: boolean; out: Out }): Promise<number> {
  const seeds = seedsOrThrow(o.home);
  const { state } = await readState(o.home);
  const threads = docsById(state, THREADS);
  const rows = seeds.map((s) => {
    const t = threads[threadIdFor(s.id)];
    return {
      ...s,
      status: s.status ?? 'active',
      thread: s.type === 'axiom' ? null : t ? { id: t.id, status: t.status, exchanges: t.exchanges.length, insights: t.insightIds.length } : null,
    };
  });
  if (o.json) {
    o.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    o.out(`no seeds yet: add one with \`fano seed add "<text>"\` (file: ${SEEDS_PATH})`);
    return 0;
  }
  for (const r of rows) {
    const thread =
      r.type === 'axiom'
        ? 'context only'
        : r.status === 'proposed'
          ? 'waiting for approval'
          : r.thread
            ? `${r.thread.status}, ${r.thread.exchanges} exchange(s), ${r.thread.insights} insight(s)`
            : 'not started';
    o.out(`${r.id.padEnd(24)} ${r.type.padEnd(10)} p${String(r.priority).padEnd(3)} ${thread}\n    ${r.text}`);
  }
  return 0;
}
