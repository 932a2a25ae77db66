/**
 * Citation verification: a quote a model claims from a source must occur in the
 * fetched text. Both sides are normalized first (Unicode compatibility forms, case, quotes and
 * dashes, every punctuation mark dropped, whitespace collapsed), so line breaks, smart quotes and
 * a missing comma do not reject a real quote; but every word must be there, in order.
 */

/** Shorter quotes prove nothing ("the group" occurs everywhere). */
export const MIN_QUOTE_WORDS = 4;

export function normalizeForQuote(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export type QuoteCheck = { verified: true } | { verified: false; reason: string };

export function verifyQuote(quote: string, sourceText: string): QuoteCheck {
  const q = normalizeForQuote(quote);
  const words = q === '' ? 0 : q.split(' ').length;
  if (words < MIN_QUOTE_WORDS) return { verified: false, reason: `quote too short to verify (${words} word(s), at least ${MIN_QUOTE_WORDS})` };
  // Padded with spaces so a quote cannot match in the middle of a word.
  if (` ${normalizeForQuote(sourceText)} `.includes(` ${q} `)) return { verified: true };
  return { verified: false, reason: 'quote not found in the fetched text' };
}
