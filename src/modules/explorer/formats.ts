import { z } from 'zod';
import { parseWith, type ParseResult } from '../shared/answer-format.js';
import type { InsightKind, Rating } from './types.js';

/**
 * The strict answer formats of the Explorer. Every prompt carries a `FORMAT: <marker>` line
 * (the mock backend recognises it) and the format block below, appended by code after the
 * user-editable template, so editing a template can never break parsing.
 */
export const FORMAT = {
  exchange: 'fano.exchange.v1',
  synthesis: 'fano.synthesis.v2',
  review: 'fano.review.v1',
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
export function parseSynthesis(answer: string, opts: { maxInsights: number; exchangeCount: number; knownIds: ReadonlySet<string> }): ParseResult<SynthesizedInsight[]> {
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
          exchanges: z.array(z.number().int().min(0).max(Math.max(0, opts.exchangeCount - 1))).min(1),
        }),
      )
      .max(opts.maxInsights),
  });
  const r = parseWith(answer, schema);
  if (!r.ok) return r;
  for (const [i, ins] of r.value.insights.entries()) {
    const unknown = ins.dependsOn.filter((d) => !opts.knownIds.has(d));
    if (unknown.length > 0) return { ok: false, error: `insights.${i}.dependsOn: unknown id(s) ${unknown.join(', ')} (use only the ids in brackets shown in the prompt)` };
    if (ins.kind !== 'conjectured' && ins.argument.length < 20) return { ok: false, error: `insights.${i}.argument: a ${ins.kind} insight needs its ${ins.kind === 'proved' ? 'proof' : 'computation'}` };
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
  rating: Rating;
  confidence: number;
  reasoning: string;
}

export function parseReview(answer: string): ParseResult<ParsedReview> {
  return parseWith(
    answer,
    z.strictObject({
      rating: z.enum(['bless', 'uncertain', 'reject']),
      confidence: z.number().min(0).max(1),
      reasoning: z.string().trim().min(1).max(4000),
    }),
  );
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
        '{"rating": "bless" | "uncertain" | "reject", "confidence": <0..1>, "reasoning": "<why, in a few sentences>"}',
        'bless: correct, non-trivial and clearly stated. reject: wrong, trivial or meaningless. uncertain: needs more work.',
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
