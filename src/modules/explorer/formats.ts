import { z } from 'zod';
import { parseWith, type ParseResult } from '../shared/answer-format.js';
import type { Assessment, ClaimReview, InsightKind, Rating } from './types.js';

/**
 * The strict answer formats of the Explorer. Every prompt carries a `FORMAT: <marker>` line
 * (the mock backend recognises it) and the format block below, appended by code after the
 * user-editable template, so editing a template can never break parsing.
 */
export const FORMAT = {
  exchange: 'fano.exchange.v1',
  synthesis: 'fano.synthesis.v2',
  review: 'fano.review.v2',
  verify: 'fano.verify.v1',
  comment: 'fano.comment.v1',
} as const;

/**
 * Sized for mathematics, not slogans: a statement with its notation defined, and an argument that
 * can hold a proof or a computation.
 */
export const STATEMENT_MAX_CHARS = 2000;
export const ARGUMENT_MAX_CHARS = 12000;
export const CLAIM_MAX_CHARS = 1000;
export const MAX_CLAIMS = 6;

export interface SynthesizedInsight {
  statement: string;
  kind: InsightKind;
  argument: string;
  claims: string[];
  dependsOn: string[];
  tags: string[];
  confidence: number;
  exchanges: number[];
}

/**
 * A synthesis answer. `knownIds` are the ids an insight may depend on (insights and seeds); an
 * unknown one is an error the repair prompt names, never silently dropped. An empty list is a
 * valid answer: a thread that established nothing yields nothing.
 */
export function parseSynthesis(
  answer: string,
  opts: { maxInsights: number; exchangeCount: number; knownIds: ReadonlySet<string> },
): ParseResult<SynthesizedInsight[]> {
  const schema = z.strictObject({
    insights: z
      .array(
        z.strictObject({
          statement: z.string().trim().min(10).max(STATEMENT_MAX_CHARS),
          kind: z.enum(['proved', 'conjectured', 'computed']),
          argument: z.string().trim().min(1).max(ARGUMENT_MAX_CHARS),
          claims: z.array(z.string().trim().min(5).max(CLAIM_MAX_CHARS)).min(1).max(MAX_CLAIMS),
          dependsOn: z.array(z.string().trim().min(1).max(100)).max(20),
          tags: z.array(z.string().trim().min(1).max(40)).max(8),
          confidence: z.number().min(0).max(1),
          exchanges: z
            .array(
              z
                .number()
                .int()
                .min(0)
                .max(Math.max(0, opts.exchangeCount - 1)),
            )
            .min(1),
        }),
      )
      .max(opts.maxInsights),
  });
  const r = parseWith(answer, schema);
  if (!r.ok) return r;
  for (const [i, ins] of r.value.insights.entries()) {
    const unknown = ins.dependsOn.filter((d) => !opts.knownIds.has(d));
    if (unknown.length > 0)
      return { ok: false, error: `insights.${i}.dependsOn: unknown id(s) ${unknown.join(', ')} (use only the ids in brackets shown in the prompt)` };
    if (ins.kind !== 'conjectured' && ins.argument.length < 20)
      return { ok: false, error: `insights.${i}.argument: a ${ins.kind} insight needs its ${ins.kind === 'proved' ? 'proof' : 'computation'}` };
  }
  return {
    ok: true,
    value: r.value.insights.map((i) => ({
      ...i,
      dependsOn: [...new Set(i.dependsOn)].sort(),
      tags: [...new Set(i.tags.map((t) => t.toLowerCase()))],
      exchanges: [...new Set(i.exchanges)].sort((a, b) => a - b),
    })),
  };
}

export interface ParsedReview {
  claims: ClaimReview[];
  structuralDepth: Assessment;
  naturalness: Assessment;
  rating: Rating;
  confidence: number;
  reasoning: string;
}

const TEXT = z.string().trim().min(1).max(ARGUMENT_MAX_CHARS);

/**
 * A review: one verdict per listed claim (in order), the two assessments, the rating. A bless
 * needs every claim verified; a refuted claim cannot be blessed. What breaks a rule is an error
 * the repair prompt names: an unreadable answer is never given a default rating.
 */
export function parseReview(answer: string, claimCount: number): ParseResult<ParsedReview> {
  const r = parseWith(
    answer,
    z.strictObject({
      claims: z
        .array(z.strictObject({ claim: z.string().trim().min(1).max(CLAIM_MAX_CHARS), verdict: z.enum(['verified', 'refuted', 'unclear']), argument: TEXT }))
        .length(claimCount),
      structuralDepth: z.strictObject({ verdict: z.enum(['structural', 'superficial', 'unclear']), argument: TEXT }),
      naturalness: z.strictObject({ verdict: z.enum(['natural', 'contrived', 'unclear']), argument: TEXT }),
      rating: z.enum(['bless', 'uncertain', 'reject']),
      confidence: z.number().min(0).max(1),
      reasoning: TEXT,
    }),
  );
  if (!r.ok) return r;
  const notVerified = r.value.claims.flatMap((c, i) => (c.verdict === 'verified' ? [] : [i + 1]));
  if (r.value.rating === 'bless' && notVerified.length > 0)
    return { ok: false, error: `rating: "bless" needs every claim verified, and claim ${notVerified.join(', ')} is not` };
  return r;
}

export interface ParsedVerification {
  verdict: 'proved' | 'refuted' | 'unclear';
  confidence: number;
  argument: string;
  counterexample: string | null;
}

/** A prove-or-refute answer: a proof to accept, a counterexample to reject, else unclear. */
export function parseVerification(answer: string): ParseResult<ParsedVerification> {
  const r = parseWith(
    answer,
    z.strictObject({
      verdict: z.enum(['proved', 'refuted', 'unclear']),
      confidence: z.number().min(0).max(1),
      argument: TEXT,
      counterexample: z.string().trim().min(1).max(ARGUMENT_MAX_CHARS).nullable(),
    }),
  );
  if (!r.ok) return r;
  if (r.value.verdict === 'refuted' && r.value.counterexample === null)
    return { ok: false, error: 'counterexample: a "refuted" verdict needs the specific counterexample' };
  if (r.value.verdict === 'proved' && r.value.argument.length < 20) return { ok: false, error: 'argument: a "proved" verdict needs the proof' };
  return r;
}

export interface ParsedCommentAnswer {
  answer: string;
  revise: boolean;
  revisedText: string | null;
}

export function parseCommentAnswer(answer: string): ParseResult<ParsedCommentAnswer> {
  return parseWith(
    answer,
    z
      .strictObject({
        answer: z.string().trim().min(1).max(4000),
        revise: z.boolean(),
        revisedText: z.string().trim().min(10).max(STATEMENT_MAX_CHARS).nullable(),
      })
      .refine((v) => !v.revise || v.revisedText !== null, { message: 'revise: true needs a revisedText' }),
  );
}

/** The "KEY POINTS:" line of an exchange, if the model wrote one. */
export function keyPointsOf(answer: string): string | null {
  const m = /^\s*\**key points\**\s*:\s*(.+)$/im.exec(answer);
  return m?.[1]?.trim() || null;
}

/** The fixed output instructions appended to every prompt of the kind (with its FORMAT line). */
export function formatBlock(kind: keyof typeof FORMAT, opts: { maxInsights?: number; answerChars?: number } = {}): string {
  switch (kind) {
    case 'exchange':
      return [
        `FORMAT: ${FORMAT.exchange}`,
        `Answer in prose with LaTeX, as long as the mathematics needs (a whole proof or computation is welcome), up to about ${opts.answerChars ?? 12_000} characters.`,
        'End with one line that starts with "KEY POINTS:" and lists the points a later reader must not lose',
        '(definitions, claims with their status, open gaps).',
      ].join('\n');
    case 'synthesis':
      return [
        `FORMAT: ${FORMAT.synthesis}`,
        `MAX INSIGHTS: ${opts.maxInsights ?? 3}`,
        'Answer with ONE JSON object and nothing else, exactly of this shape:',
        '{"insights": [{"statement": "<the result, precise, every symbol defined>", "kind": "proved" | "computed" | "conjectured",',
        '  "argument": "<the proof or proof sketch; the computation; or, for a conjecture, the evidence>",',
        '  "claims": ["<each separate claim the statement makes, checkable on its own>"],',
        '  "dependsOn": ["<id of an axiom, seed or insight the argument uses>"], "tags": ["<tag>"], "confidence": <0..1>,',
        '  "exchanges": [<exchange numbers it came from>]}]}',
        `At most ${opts.maxInsights ?? 3} insights (an empty list when the thread established nothing). Statement at most ${STATEMENT_MAX_CHARS} characters,`,
        `argument at most ${ARGUMENT_MAX_CHARS}, at most ${MAX_CLAIMS} claims. Write mathematics in LaTeX: $...$ inline, $$...$$ displayed (escape backslashes in JSON).`,
      ].join('\n');
    case 'review':
      return [
        `FORMAT: ${FORMAT.review}`,
        'Answer with ONE JSON object and nothing else, exactly of this shape:',
        '{"claims": [{"claim": "<the claim, as listed>", "verdict": "verified" | "refuted" | "unclear", "argument": "<your check: the proof, the counterexample, or what is missing>"}],',
        '  "structuralDepth": {"verdict": "structural" | "superficial" | "unclear", "argument": "<why>"},',
        '  "naturalness": {"verdict": "natural" | "contrived" | "unclear", "argument": "<why>"},',
        '  "rating": "bless" | "uncertain" | "reject", "confidence": <0..1>, "reasoning": "<your overall judgement>"}',
        'One entry in claims per listed claim, in the same order. bless needs every claim verified and a result worth keeping;',
        'reject: a claim is false, or it is trivial, numerology or meaningless; uncertain: anything else. Mathematics in LaTeX ($...$).',
      ].join('\n');
    case 'verify':
      return [
        `FORMAT: ${FORMAT.verify}`,
        'Answer with ONE JSON object and nothing else, exactly of this shape:',
        '{"verdict": "proved" | "refuted" | "unclear", "confidence": <0..1>, "argument": "<the proof; or why the claim fails; or what you could not settle>",',
        '  "counterexample": "<the specific counterexample>" | null}',
        'proved needs a proof; refuted needs a specific counterexample; anything else is unclear. Mathematics in LaTeX ($...$).',
      ].join('\n');
    case 'comment':
      return [
        `FORMAT: ${FORMAT.comment}`,
        'Answer with ONE JSON object and nothing else, exactly of this shape:',
        '{"answer": "<your reply to the comment>", "revise": true | false, "revisedText": "<the revised statement, notation defined>" | null}',
        'Set revise to true only when the comment asks for a change and the change is right.',
      ].join('\n');
  }
}
