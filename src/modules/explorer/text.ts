import { sha256Hex } from '../../core/hash.js';
import { clip } from '../shared/text.js';

/** Short stable hash for ids (hex). */
export function shortHash(...parts: Array<string | number>): string {
  return sha256Hex(...parts).slice(0, 10);
}

/** Lower case, punctuation and accents dropped, whitespace collapsed: what "the same text" means. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const STOP = new Set('a an the of and or to in on is are be by for with that this it its as at from which what'.split(' '));

/**
 * The shingles of the texts compared lately: every synthesis compares its statements with every
 * insight, and every discovery looks for a new insight's nearest ones, so the same texts are cut
 * into words again and again. Bounded: emptied when it holds too many.
 */
const shingleMemo = new Map<string, { norm: string; set: Set<string> }>();
const SHINGLE_MEMO_MAX = 20_000;

function shingled(s: string): { norm: string; set: Set<string> } {
  let m = shingleMemo.get(s);
  if (m === undefined) {
    if (shingleMemo.size >= SHINGLE_MEMO_MAX) shingleMemo.clear();
    const norm = normalizeText(s);
    m = { norm, set: shingles(norm) };
    shingleMemo.set(s, m);
  }
  return m;
}

/** Content words and word bigrams of a normalized text (never mutated: shared by the memo). */
function shingles(norm: string): Set<string> {
  const words = norm.split(' ').filter((w) => w !== '' && !STOP.has(w));
  const out = new Set<string>(words);
  for (let i = 0; i + 1 < words.length; i++) out.add(`${words[i]} ${words[i + 1]}`);
  return out;
}

/**
 * Similarity in [0, 1]: Jaccard over content words and word bigrams. 1 for texts equal after
 * normalization. Cheap and deterministic; paraphrases that share most content words score high.
 */
export function similarity(a: string, b: string): number {
  const ma = shingled(a);
  const mb = shingled(b);
  if (ma.norm === mb.norm) return 1;
  const sa = ma.set;
  const sb = mb.set;
  if (sa.size === 0 || sb.size === 0) return 0;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter += 1;
  return inter / (sa.size + sb.size - inter);
}

/** The first sentences of `s`, at most `maxChars`. */
export function firstSentences(s: string, maxChars: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  const parts = flat.match(/[^.!?]+[.!?]+(\s|$)|[^.!?]+$/g) ?? [flat];
  let out = '';
  for (const p of parts) {
    if (out.length + p.length > maxChars) break;
    out += p;
  }
  return clip(out.trim() || flat, maxChars);
}

/** Keeps the head and the tail (early definitions and the latest notes), drops the middle. */
export function clipMiddle(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  const marker = '\n[… older notes omitted …]\n';
  const room = Math.max(0, maxChars - marker.length);
  const head = Math.ceil(room / 3);
  return s.slice(0, head) + marker + s.slice(s.length - (room - head));
}

/** A file- and key-safe id made from a seed id (kept readable when it already is safe). */
export function threadIdFor(seedId: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(seedId) ? seedId : `seed-${shortHash('seed', seedId)}`;
}

export function insightIdFor(threadId: string, text: string): string {
  return `i-${shortHash('insight', threadId, normalizeText(text))}`;
}

export function reviewId(insightId: string, revision: number, round: number, slot: number): string {
  return `${insightId}~r${revision}~${round}~${slot}`;
}

export function verificationId(insightId: string, revision: number, claim: number): string {
  return `${insightId}~r${revision}~v${claim}`;
}

export function commentIdFor(insightId: string, text: string): string {
  return `c-${shortHash('comment', insightId, normalizeText(text))}`;
}
