import fc from 'fast-check';
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { FanoEvent } from '../core/events.js';
import { applyEvents } from '../core/reducer.js';
import { stableStringify } from '../core/stable-json.js';
import { emptyBackendState, emptyState } from '../core/types.js';
import { encodeRecord } from './log-codec.js';
import { loadFromDisk } from './load.js';
import { statePaths } from './paths.js';
import { buildTask } from './test-builders.js';
import { cleanupHomes, tmpHome } from './test-fs.js';

/**
 * Replay parses only the records that are the last writer of some state entry. Whatever the mix
 * of upserts, deletes and drops, the folded state must equal applying every record in order.
 */
afterAll(cleanupHomes);

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const event = fc.oneof(
  fc
    .record({ i: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 0, max: 3 }) })
    .map(({ i, n }): FanoEvent => ({ type: 'task.put', task: buildTask(i, { attempts: n }) })),
  fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }).map((is): FanoEvent => ({ type: 'task.drop', keys: is.map((i) => buildTask(i).key) })),
  fc
    .record({ b: fc.constantFrom('a', 'b'), n: fc.nat(9) })
    .map(({ b, n }): FanoEvent => ({ type: 'backend.put', name: b, backend: { ...emptyBackendState(), totalRequests: n } })),
  fc
    .record({ id: fc.constantFrom('x', 'y', 'a/b', 'keys'), v: fc.nat(5) })
    .map(({ id, v }): FanoEvent => ({ type: 'module.put', module: 'm', collection: 'c', id, doc: { v, keys: ['not', 'the', 'record keys'] } })),
  fc.constantFrom('x', 'y', 'a/b', 'keys').map((id): FanoEvent => ({ type: 'module.del', module: 'm', collection: 'c', id })),
  fc.boolean().map((p): FanoEvent => ({ type: 'meta.put', key: 'paused', value: p })),
);

describe('replay of last writers only', () => {
  it('folds to the same state as applying every record', () => {
    fc.assert(
      fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }), (records) => {
        const home = tmpHome();
        const paths = statePaths(home);
        fs.mkdirSync(paths.dir, { recursive: true });
        const expected = emptyState();
        const lines = records.map((events, i) => {
          const enc = encodeRecord(i + 1, at(i), events);
          applyEvents(expected, enc.record.events);
          return enc.line;
        });
        fs.writeFileSync(paths.log, lines.join(''));
        const loaded = loadFromDisk(paths);
        expect(loaded.replayed).toBe(records.length);
        expect(stableStringify(loaded.state)).toBe(stableStringify(expected));
      }),
      { numRuns: 150 },
    );
  });

  it('still parses every record of a log written without keys', () => {
    const home = tmpHome();
    const paths = statePaths(home);
    fs.mkdirSync(paths.dir, { recursive: true });
    // The format before `keys` existed: the same line with the member cut out (and its CRC).
    const a = encodeRecord(1, at(1), [{ type: 'meta.put', key: 'paused', value: true }]).line;
    const b = encodeRecord(2, at(2), [{ type: 'meta.put', key: 'paused', value: false }]).line;
    const strip = (line: string) => {
      const body = JSON.parse(line) as Record<string, unknown>;
      delete body.keys;
      delete body.crc;
      const text = stableStringify(body).trim();
      return encodeRecordWithoutKeys(text);
    };
    fs.writeFileSync(paths.log, strip(a) + strip(b));
    expect(loadFromDisk(paths).state.meta.paused).toBe(false);
  });
});

/** Re-creates an old-format line: `{"at":…,"crc":…,"events":…,"seq":…}`. */
function encodeRecordWithoutKeys(prettyBody: string): string {
  const body = JSON.stringify(JSON.parse(prettyBody));
  const cut = body.indexOf('",') + 1;
  const crc = (crc32(body) >>> 0).toString(16).padStart(8, '0');
  return `${body.slice(0, cut)},"crc":"${crc}"${body.slice(cut)}\n`;
}
