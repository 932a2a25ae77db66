import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FanoEvent } from '../core/events.js';
import { applyEvents } from '../core/reducer.js';
import { stableStringify } from '../core/stable-json.js';
import { emptyBackendState, emptyState } from '../core/types.js';
import type { FanoState, Json, JsonObject } from '../core/types.js';
import { parseCheckpoint, serializeCheckpoint } from './checkpoint-file.js';
import { decodeLine, encodeRecord } from './log-codec.js';
import { buildTask } from './test-builders.js';

// Integer-like keys matter: V8 orders them before other keys whatever the insertion order.
const keyArb = fc.constantFrom('a', 'b', 'B', 'z', '_x', '0', '9', '10', 'é', 'key with space');
const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('json'), { maxKeys: 4 }),
  ),
}));
const objArb = fc.dictionary(keyArb, json, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;

const eventArb: fc.Arbitrary<FanoEvent> = fc.oneof(
  fc
    .record({
      i: fc.nat(6),
      key: fc.option(fc.oneof(keyArb, fc.constantFrom('q"uote', 'back\\slash', 'nl\nx')), { nil: undefined }),
      data: objArb,
      context: objArb,
    })
    .map(({ i, key, data, context }) => ({ type: 'task.put' as const, task: buildTask(i, { data, context, ...(key !== undefined ? { key } : {}) }) })),
  fc
    .oneof(
      fc.nat(6).map((i) => buildTask(i).key),
      keyArb,
    )
    .map((k) => ({ type: 'task.drop' as const, keys: [k] })),
  fc
    .record({ name: keyArb, n: fc.nat(50) })
    .map(({ name, n }) => ({ type: 'backend.put' as const, name, backend: { ...emptyBackendState(), totalRequests: n } })),
  fc.record({ module: keyArb, collection: keyArb, id: keyArb, doc: json }).map((e) => ({ type: 'module.put' as const, ...e })),
  fc.record({ module: keyArb, collection: keyArb, id: keyArb }).map((e) => ({ type: 'module.del' as const, ...e })),
  fc.dictionary(keyArb, fc.integer(), { maxKeys: 3 }).map((value) => ({ type: 'meta.put' as const, key: 'passes' as const, value })),
  fc.boolean().map((value) => ({ type: 'meta.put' as const, key: 'paused' as const, value })),
);
const AT = '2025-03-01T10:00:00.000Z';

/** What the store does: every event is applied as re-parsed from its log line. */
function fold(state: FanoState, batches: FanoEvent[][], firstSeq: number): number {
  let seq = firstSeq;
  for (const b of batches) applyEvents(state, encodeRecord(seq++, AT, b).record.events);
  return seq - 1;
}

describe('checkpoint serialization', () => {
  it('equals stableStringify for every state the store can build, before and after a reload', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(eventArb, { maxLength: 4 }), { maxLength: 8 }),
        fc.array(fc.array(eventArb, { maxLength: 3 }), { maxLength: 5 }),
        (a, b) => {
          const state = emptyState();
          const seq = fold(state, a, 1);
          const text = serializeCheckpoint(seq, state);
          expect(text).toBe(stableStringify({ lastSeq: seq, state }));
          const reloaded = parseCheckpoint(text, 'checkpoint.json');
          const seq2 = fold(reloaded.state, b, seq + 1);
          expect(serializeCheckpoint(seq2, reloaded.state)).toBe(stableStringify({ lastSeq: seq2, state: reloaded.state }));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('checkpoint serialization of a hand-formatted checkpoint', () => {
  it('falls back to full serialization and still writes canonical bytes', () => {
    const state = emptyState();
    fold(
      state,
      [
        [
          { type: 'task.put', task: buildTask(1) },
          { type: 'task.put', task: buildTask(2) },
        ],
      ],
      1,
    );
    const canonical = serializeCheckpoint(1, state);
    // Same JSON, other layouts: compact, and a task body whose fields are out of order.
    const compact = JSON.stringify(JSON.parse(canonical));
    expect(serializeCheckpoint(1, parseCheckpoint(compact, 'c').state)).toBe(canonical);
    const spaced = canonical.replace('"attempts": 1,', '"attempts": 1 ,');
    expect(spaced).not.toBe(canonical);
    const reparsed = parseCheckpoint(spaced, 'c').state;
    // A non-canonical task text is carried over only while that task object is unchanged...
    expect(serializeCheckpoint(1, reparsed)).toBe(spaced);
    // ...and any update of the task writes it canonically again.
    applyEvents(reparsed, encodeRecord(2, AT, [{ type: 'task.put', task: buildTask(1) }]).record.events);
    expect(serializeCheckpoint(1, reparsed)).toBe(canonical);
  });
});

describe('log line codec', () => {
  it('round-trips records as sorted compact JSON', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.array(eventArb, { maxLength: 4 }), (seq, events) => {
        const { line, record } = encodeRecord(seq, AT, events);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        const dec = decodeLine(line.slice(0, -1));
        expect(dec).toEqual({ ok: true, record, ep: 0 });
        expect(record).toEqual({ seq, at: AT, events: JSON.parse(JSON.stringify(events)) });
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any single changed byte', () => {
    const line = encodeRecord(42, AT, [{ type: 'task.put', task: buildTask(3) }]).line.slice(0, -1);
    fc.assert(
      fc.property(fc.nat(line.length - 1), fc.integer({ min: 1, max: 127 }), (pos, delta) => {
        const code = (line.charCodeAt(pos) + delta) % 128;
        fc.pre(code !== line.charCodeAt(pos) && code !== 10);
        const changed = line.slice(0, pos) + String.fromCharCode(code) + line.slice(pos + 1);
        expect(decodeLine(changed).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('tells torn bytes from intact-but-invalid content', () => {
    expect(decodeLine('{"at":"2025')).toMatchObject({ ok: false, torn: true });
    expect(decodeLine('')).toMatchObject({ ok: false, torn: true });
    // A valid CRC over an invalid event cannot come from a crash.
    const bad = encodeRecord(1, AT, []).line.slice(0, -1).replace('"events":[]', '"events":[{"type":"nope"}]');
    const body = bad.replace(/"crc":"[0-9a-f]{8}",/, '');
    const fixed = bad.replace(/"crc":"[0-9a-f]{8}"/, `"crc":"${(crc32(body) >>> 0).toString(16).padStart(8, '0')}"`);
    expect(decodeLine(fixed)).toMatchObject({ ok: false, torn: false, reason: expect.stringMatching(/unknown event type/) });
  });

  it('refuses to encode what would not load back', () => {
    expect(() => encodeRecord(0, AT, [])).toThrow(/seq/);
    expect(() => encodeRecord(1, 'yesterday', [])).toThrow(/ISO/);
    expect(() => encodeRecord(1, AT, [{ type: 'task.put', task: { ...buildTask(1), attempts: -1 } }])).toThrow(/attempts/);
  });
});
