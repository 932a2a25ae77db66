/**
 * Seed ids made from a seed's text, pure. An id is what a person sees in file names
 * (threads/<id>.md), task keys and logs, so it must never say something the seed does not:
 * negations, quantifiers, numbers and relations are always kept ("The Fano plane has no ovals of
 * size 4." → `fano-plane-has-no-ovals-size-4`, never `the-fano-plane-has-ovals`). Only words
 * that carry no meaning of their own are dropped, and when the id must be shortened the words
 * that can change the meaning are the last to go. Once given, an id is written into the seeds
 * file and never recomputed, so it stays stable when this function changes; a taken id gets a
 * `-2`, `-3`… suffix.
 */

/** Longest id (also the length thread ids keep readable: explorer/text.ts threadIdFor). */
export const SEED_ID_MAX = 64;

/** Words that never change what a sentence claims; everything else is kept while there is room. */
const FILLER = new Set(['a', 'an', 'the', 'of', 'is', 'are', 'be', 'it', 'its', 'this', 'that', 'which', 'to']);

/** Words that can reverse or bound a claim: kept even when the id must be shortened. */
const MEANING = new Set([
  'no',
  'not',
  'non',
  'none',
  'never',
  'nothing',
  'nowhere',
  'neither',
  'nor',
  'without',
  'cannot',
  'false',
  'unless',
  'all',
  'every',
  'each',
  'some',
  'any',
  'only',
  'exactly',
  'least',
  'most',
  'more',
  'less',
  'fewer',
  'than',
  'at',
  'or',
  'and',
  'if',
  'iff',
  'lt',
  'gt',
  'le',
  'ge',
  'eq',
  'ne',
  'plus',
  'minus',
  'times',
]);

/** Symbols that carry meaning, as words (longest first, so `<=` is not read as `<` and `=`). */
const SYMBOLS: Array<[RegExp, string]> = [
  [/<=|≤/g, ' le '],
  [/>=|≥/g, ' ge '],
  [/!=|≠/g, ' ne '],
  [/</g, ' lt '],
  [/>/g, ' gt '],
  [/=/g, ' eq '],
  [/\+/g, ' plus '],
  [/×/g, ' times '],
  [/(^|[\s(])[-−](?=\d)/g, '$1 minus '],
];

/** The words of an id, in order: lower case, accents removed, `n't` spelt out, symbols as words. */
export function seedIdWords(text: string): string[] {
  // Symbols first: NFKD splits ≠ into = and a combining stroke, which the accent removal drops.
  let s = text;
  for (const [re, word] of SYMBOLS) s = s.replace(re, word);
  s = s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  s = s
    .replace(/\bcan['’]t\b/g, 'can not')
    .replace(/\bwon['’]t\b/g, 'will not')
    .replace(/n['’]t\b/g, ' not');
  // A decimal point between digits stays part of the number (3.5 → 3-5 would read as two numbers).
  s = s.replace(/(\d)[.,](\d)/g, '$1p$2');
  return s.split(/[^a-z0-9]+/).filter((w) => w !== '');
}

const isMeaning = (w: string) => MEANING.has(w) || /\d/.test(w);

/** An id for `text` that is not in `taken`. */
export function seedIdFor(text: string, taken: ReadonlySet<string> = new Set()): string {
  const words = seedIdWords(text).filter((w) => !FILLER.has(w));
  // Shorten from the end, dropping ordinary words before ones that carry the claim's sense.
  const kept = [...words];
  const length = () => kept.join('-').length;
  for (let i = kept.length - 1; i >= 0 && length() > SEED_ID_MAX; i--) if (!isMeaning(kept[i]!)) kept.splice(i, 1);
  while (kept.length > 1 && length() > SEED_ID_MAX) kept.pop();
  const base = (kept.join('-') || 'seed').slice(0, SEED_ID_MAX).replace(/-+$/, '');
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, SEED_ID_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(id)) return id;
  }
}
