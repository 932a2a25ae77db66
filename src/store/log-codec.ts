import { crc32 } from 'node:zlib';
import type { FanoEvent, LogRecord } from '../core/events.js';
import { stableCompact } from '../core/stable-json.js';
import { isIsoUtc, validateEvents } from '../core/state-validate.js';

/**
 * One redo-log line: `{"at":"<iso>","crc":"<8 hex>","events":[...],"seq":N}` + "\n", sorted-key
 * compact JSON, where crc = CRC32 of the sorted compact JSON of `{at, events, seq}`, i.e. of the
 * same line with the `"crc":"…",` member cut out. Sorted keys put `crc` right after `at`, and an
 * ISO time never contains a quote, so both the writer and the reader find it by position and
 * never stringify an event twice (replay of 100k records must stay well under a second).
 */

const AT_PREFIX = '{"at":"';
const CRC_PREFIX = ',"crc":"';
const AT_PREFIX_BYTES = Buffer.from(AT_PREFIX);
const CRC_PREFIX_BYTES = Buffer.from(CRC_PREFIX);
const CRC_HEX_LEN = 8;
const CRC_HEX_RE = /^[0-9a-f]{8}$/;

export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(CRC_HEX_LEN, '0');
}

export interface EncodedRecord {
  /** The full line including its trailing newline. */
  line: string;
  /** The record as a reader will see it (events re-parsed from the line: sorted, plain JSON). */
  record: LogRecord;
}

/**
 * The state entries a record's events upsert or delete, one string each. Written into the record
 * (`keys`, after `events`) so a replay can tell, before parsing any event, which records are the
 * LAST writer of some entry: every event is a full upsert (docs/architecture.md, Durability), so
 * the others cannot change the folded state and need not be parsed at all.
 */
export function recordKeys(events: readonly FanoEvent[]): string[] {
  const keys = new Set<string>();
  for (const ev of events) {
    switch (ev.type) {
      case 'task.put':
        keys.add(`t:${ev.task.key}`);
        break;
      case 'task.drop':
        for (const k of ev.keys) keys.add(`t:${k}`);
        break;
      case 'backend.put':
        keys.add(`b:${ev.name}`);
        break;
      case 'module.put':
      case 'module.del':
        keys.add(`m:${JSON.stringify([ev.module, ev.collection, ev.id])}`);
        break;
      case 'meta.put':
        keys.add(`x:${ev.key}`);
        break;
    }
  }
  return [...keys].sort();
}

/**
 * Throws (an internal error, not corruption) when the events would not survive a reload.
 * `epoch` is the writing lock holder's (store/lock.ts): 0 writes no `ep` member (older format).
 */
export function encodeRecord(seq: number, at: string, events: readonly FanoEvent[], epoch = 0): EncodedRecord {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`log seq must be a positive integer, got ${seq}`);
  if (!isIsoUtc(at)) throw new Error(`log record time must be ISO-8601 UTC, got ${JSON.stringify(at)}`);
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`log epoch must be a non-negative integer, got ${epoch}`);
  const body = stableCompact(epoch > 0 ? { at, ep: epoch, events, keys: recordKeys(events), seq } : { at, events, keys: recordKeys(events), seq });
  // Re-parse what will be on disk: the in-memory state then equals what replay will build (no
  // Dates, no undefined, sorted keys in every object, which checkpoint serialization relies on).
  const { keys: _keys, ep: _ep, ...parsed } = JSON.parse(body) as LogRecord & { keys: string[]; ep?: number };
  const problem = validateEvents(parsed.events);
  if (problem) throw new Error(`refusing to log an invalid event: ${problem}`);
  const cut = AT_PREFIX.length + at.length + 1; // index just after the closing quote of `at`
  const line = `${body.slice(0, cut)}${CRC_PREFIX}${crcHex(crc32(body))}"${body.slice(cut)}\n`;
  return { line, record: parsed };
}

/** `ep`: the epoch of the lock holder that wrote the record (0 for records of older versions). */
export type DecodeResult = { ok: true; record: LogRecord; ep: number } | { ok: false; reason: string; torn: boolean };

/** A record checked (CRC, seq, time) without parsing its events; `keys` null for older records. */
export type HeaderResult = { ok: true; seq: number; ep: number; keys: string[] | null } | { ok: false; reason: string; torn: boolean };

const EP_MEMBER = Buffer.from('"ep":');

/** The `ep` member right after `crc` (`…","ep":N,"events":…`), 0 when absent; -1 when malformed. */
function readEpoch(buf: Buffer, start: number, end: number): number {
  const q = buf.indexOf(0x22, start + AT_PREFIX_BYTES.length);
  const at = q + 1 + CRC_PREFIX_BYTES.length + CRC_HEX_LEN + 2; // just after the crc member's `",`
  if (buf.compare(EP_MEMBER, 0, EP_MEMBER.length, at, at + EP_MEMBER.length) !== 0) return 0;
  const comma = buf.indexOf(0x2c, at + EP_MEMBER.length);
  if (comma < 0 || comma >= end) return -1;
  const text = buf.toString('latin1', at + EP_MEMBER.length, comma);
  return /^(0|[1-9]\d{0,15})$/.test(text) ? Number(text) : -1;
}

/** The highest `ep` among the well-formed lines of `buf` (0 when none carries one). */
export function highestEpoch(buf: Buffer): number {
  let max = 0;
  for (let start = 0; start < buf.length;) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    const h = decodeHeader(buf, start, end);
    if (h.ok) max = Math.max(max, h.ep);
    start = end + 1;
  }
  return max;
}

const KEYS_MEMBER = Buffer.from(',"keys":[');
const SEQ_MEMBER = Buffer.from(',"seq":');

/**
 * Checks the line buf[start, end) like decodeBytes does, except that the events are not parsed:
 * the CRC proves the bytes are exactly what encodeRecord (which validates every event) wrote, and
 * the members after `events` (`keys`, `seq`) are found from the end of the line.
 */
export function decodeHeader(buf: Buffer, start: number, end: number): HeaderResult {
  const crc = checkCrc(buf, start, end);
  if (crc) return crc;
  const seqAt = buf.lastIndexOf(SEQ_MEMBER, end - 1);
  if (seqAt < start || buf[end - 1] !== 0x7d) return { ok: false, reason: 'seq is not a positive integer', torn: false };
  const seq = Number(buf.toString('latin1', seqAt + SEQ_MEMBER.length, end - 1));
  if (!Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: 'seq is not a positive integer', torn: false };
  const at = buf.toString('latin1', start + AT_PREFIX_BYTES.length, buf.indexOf(0x22, start + AT_PREFIX_BYTES.length));
  if (!isIsoUtc(at)) return { ok: false, reason: '"at" is not an ISO-8601 UTC time', torn: false };
  const ep = readEpoch(buf, start, end);
  if (ep < 0) return { ok: false, reason: 'ep is not a non-negative integer', torn: false };
  const keysAt = buf.lastIndexOf(KEYS_MEMBER, seqAt);
  // `keys` sits right before `seq`: `,"keys":[...],"seq":N}`. An older record has none.
  if (keysAt < start || buf[seqAt - 1] !== 0x5d) return { ok: true, seq, ep, keys: null };
  let keys: unknown;
  try {
    keys = JSON.parse(buf.toString('utf8', keysAt + KEYS_MEMBER.length - 1, seqAt));
  } catch {
    return { ok: true, seq, ep, keys: null }; // `keys` text inside an event; parse the record fully
  }
  return { ok: true, seq, ep, keys: Array.isArray(keys) && keys.every((k) => typeof k === 'string') ? keys : null };
}

export interface DecodeOptions {
  /**
   * Check every event's shape (default). Load turns this off and validates the folded state once
   * instead: the CRC proves the line is what encodeRecord (which validates) wrote, and checking
   * 100k records one by one costs more than the JSON parse itself.
   */
  validate?: boolean;
}

/** Decodes one line (without its newline); see decodeBytes. */
export function decodeLine(line: string, opts: DecodeOptions = {}): DecodeResult {
  return decodeBytes(Buffer.from(line), 0, Buffer.byteLength(line), opts);
}

/**
 * Decodes the line buf[start, end) (without its newline). The CRC is computed on the bytes in
 * place, around the crc member, so nothing is copied or re-stringified for it.
 * `torn: true` means the bytes look like an interrupted write (bad JSON, bad CRC); `torn: false`
 * means the line is intact (CRC ok) but its content is invalid, which a crash cannot produce.
 */
function checkCrc(buf: Buffer, start: number, end: number): { ok: false; reason: string; torn: boolean } | null {
  if (end <= start) return { ok: false, reason: 'empty line', torn: true };
  if (end - start < AT_PREFIX_BYTES.length || buf.compare(AT_PREFIX_BYTES, 0, AT_PREFIX_BYTES.length, start, start + AT_PREFIX_BYTES.length) !== 0) {
    return { ok: false, reason: 'not a log record', torn: true };
  }
  const q = buf.indexOf(0x22, start + AT_PREFIX_BYTES.length); // the quote closing `at`
  const hexStart = q + 1 + CRC_PREFIX_BYTES.length;
  if (q < 0 || hexStart + CRC_HEX_LEN + 2 > end || buf.compare(CRC_PREFIX_BYTES, 0, CRC_PREFIX_BYTES.length, q + 1, hexStart) !== 0) {
    return { ok: false, reason: 'no crc after "at"', torn: true };
  }
  const rest = hexStart + CRC_HEX_LEN; // should be `",` then `"events":`
  if (buf[rest] !== 0x22 || buf[rest + 1] !== 0x2c) return { ok: false, reason: 'malformed crc', torn: true };
  const hex = buf.toString('latin1', hexStart, rest);
  const actual = crc32(buf.subarray(rest + 1, end), crc32(buf.subarray(start, q + 1))) >>> 0;
  // Numeric compare (formatting 100k CRCs shows in the replay profile); the regex keeps
  // parseInt from accepting a partial or upper-case form the writer never produces.
  if (parseInt(hex, 16) !== actual || !CRC_HEX_RE.test(hex)) {
    return { ok: false, reason: `crc mismatch (stored ${hex}, computed ${crcHex(actual)})`, torn: true };
  }
  return null;
}

export function decodeBytes(buf: Buffer, start: number, end: number, opts: DecodeOptions = {}): DecodeResult {
  const crc = checkCrc(buf, start, end);
  if (crc) return crc;
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8', start, end));
  } catch (e) {
    return { ok: false, reason: `invalid JSON with a matching crc: ${(e as Error).message}`, torn: false };
  }
  const r = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return { ok: false, reason: 'seq is not a positive integer', torn: false };
  if (!isIsoUtc(r.at)) return { ok: false, reason: '"at" is not an ISO-8601 UTC time', torn: false };
  if (!Array.isArray(r.events)) return { ok: false, reason: 'events: expected a list', torn: false };
  const ep = r.ep === undefined ? 0 : r.ep;
  if (!Number.isSafeInteger(ep) || (ep as number) < 0) return { ok: false, reason: 'ep is not a non-negative integer', torn: false };
  if (opts.validate !== false) {
    const problem = validateEvents(r.events);
    if (problem) return { ok: false, reason: problem, torn: false };
  }
  return { ok: true, record: { seq: r.seq as number, at: r.at, events: r.events as FanoEvent[] }, ep: ep as number };
}
