import { z } from 'zod';
import { parseWith, type ParseResult } from '../shared/answer-format.js';

/**
 * The Researcher's strict answer formats. Each prompt carries a `FORMAT: <marker>` line (the mock
 * backend answers it) and the format block, appended by code after the instructions.
 */
export const RFORMAT = {
  questions: 'fano.research.questions.v1',
  evaluate: 'fano.research.evaluate.v1',
  extract: 'fano.research.extract.v1',
  synthesize: 'fano.research.synthesize.v1',
} as const;

const questionsSchema = z.strictObject({
  questions: z
    .array(z.strictObject({ text: z.string().trim().min(10).max(500), urls: z.array(z.string().trim().max(2000)).max(5).default([]) }))
    .min(1)
    .max(5),
});
export type ParsedQuestions = z.infer<typeof questionsSchema>['questions'];
export const parseQuestions = (answer: string): ParseResult<ParsedQuestions> => {
  const r = parseWith(answer, questionsSchema);
  return r.ok ? { ok: true, value: r.value.questions } : r;
};

const evaluationSchema = z.strictObject({
  trust: z.number().min(0).max(1),
  relevance: z.number().min(0).max(1),
  reasoning: z.string().trim().min(1).max(2000),
});
export type ParsedEvaluation = z.infer<typeof evaluationSchema>;
export const parseEvaluation = (answer: string): ParseResult<ParsedEvaluation> => parseWith(answer, evaluationSchema);

const findingsSchema = z.strictObject({
  findings: z.array(z.strictObject({ claim: z.string().trim().min(10).max(600), quote: z.string().trim().min(1).max(1200) })).max(10),
});
export type ParsedFinding = z.infer<typeof findingsSchema>['findings'][number];
export const parseFindings = (answer: string): ParseResult<ParsedFinding[]> => {
  const r = parseWith(answer, findingsSchema);
  return r.ok ? { ok: true, value: r.value.findings } : r;
};

const seedsSchema = z.strictObject({
  seeds: z
    .array(
      z.strictObject({
        text: z.string().trim().min(10).max(500),
        type: z.enum(['question', 'conjecture']),
        priority: z.number().int().min(1).max(10),
        findings: z.array(z.string().trim().min(1)).min(1).max(10),
      }),
    )
    .max(5),
});
export type ParsedSeed = z.infer<typeof seedsSchema>['seeds'][number];
export const parseSeeds = (answer: string): ParseResult<ParsedSeed[]> => {
  const r = parseWith(answer, seedsSchema);
  return r.ok ? { ok: true, value: r.value.seeds } : r;
};

export function researchFormatBlock(kind: keyof typeof RFORMAT): string {
  const head = [`FORMAT: ${RFORMAT[kind]}`, 'Answer with ONE JSON object and nothing else, exactly of this shape:'];
  switch (kind) {
    case 'questions':
      return [
        ...head,
        '{"questions": [{"text": "<a question outside sources could answer>", "urls": ["<a page likely to answer it>"]}]}',
        'Between 1 and 5 questions; urls may be empty.',
      ].join('\n');
    case 'evaluate':
      return [...head, '{"trust": <0..1>, "relevance": <0..1>, "reasoning": "<why, in a few sentences>"}'].join('\n');
    case 'extract':
      return [
        ...head,
        '{"findings": [{"claim": "<what the source establishes>", "quote": "<a VERBATIM passage of the source text supporting it>"}]}',
        'Quotes are checked against the source word for word: copy them exactly, never paraphrase. At most 10 findings.',
      ].join('\n');
    case 'synthesize':
      return [
        ...head,
        '{"seeds": [{"text": "<a research question or conjecture>", "type": "question" | "conjecture", "priority": <1..10>, "findings": ["<finding id>"]}]}',
        'Every seed cites the ids of the findings it rests on. At most 5 seeds.',
      ].join('\n');
  }
}
