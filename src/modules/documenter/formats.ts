import { z } from 'zod';
import { parseWith, type ParseResult } from '../shared/answer-format.js';
import { latexProblem } from '../shared/latex.js';

/**
 * The Documenter's strict answer formats. Each prompt carries a `FORMAT: <marker>` line (the mock
 * backend answers by it) and the JSON shape below; a wrong answer gets one repair prompt.
 */
export const DOC_FORMAT = {
  incorporate: 'fano.doc.incorporate.v1',
  comment: 'fano.doc.comment.v1',
  review: 'fano.doc.review.v1',
  draft: 'fano.doc.draft.v1',
  check: 'fano.doc.check.v1',
  rewrite: 'fano.doc.rewrite.v1',
} as const;

const SECTION_TEXT_MAX_CHARS = 20_000;

/**
 * Text that goes into the document must keep it renderable: a field whose `$…$` / `$$…$$` do not
 * balance makes the answer unreadable, so it gets the repair prompt (../shared/latex.ts).
 */
export function balanced<T>(r: ParseResult<T>, fields: (v: T) => Record<string, string | null | undefined>): ParseResult<T> {
  if (!r.ok) return r;
  for (const [name, value] of Object.entries(fields(r.value))) {
    const problem = typeof value === 'string' ? latexProblem(value) : null;
    if (problem !== null) return { ok: false, error: `${name}: the LaTeX does not balance: ${problem}` };
  }
  return r;
}
const text = z.string().max(SECTION_TEXT_MAX_CHARS);
const short = z.string().trim().min(1).max(500);

const incorporateSchema = z
  .object({
    /** "covered": the document already states this result; the insight is linked to that section, nothing is written twice. */
    placement: z.enum(['existing', 'new', 'covered']),
    sectionId: z.string().nullable().optional(),
    title: z.string().trim().max(120).nullable().optional(),
    text: text,
    summary: short,
    prerequisites: z
      .array(z.object({ title: z.string().trim().min(3).max(120), reason: z.string().trim().max(300) }))
      .max(3)
      .optional(),
    /** Asked for with the document's first section: they replace the starter preamble. */
    documentTitle: z.string().trim().min(3).max(120).nullable().optional(),
    abstract: z.string().trim().min(1).max(1_200).nullable().optional(),
  })
  .refine((v) => (v.placement !== 'new' ? typeof v.sectionId === 'string' && v.sectionId !== '' : typeof v.title === 'string' && v.title.length >= 3), {
    message: 'placement "existing" or "covered" needs sectionId; "new" needs a title',
  })
  .refine((v) => v.placement === 'covered' || v.text.trim() !== '', { message: 'text: the section text is empty (only placement "covered" writes none)' });
export type IncorporateAnswer = z.infer<typeof incorporateSchema>;
export const parseIncorporate = (a: string) => balanced(parseWith(a, incorporateSchema), (v) => ({ text: v.text, abstract: v.abstract }));

const commentSchema = z
  .object({ action: z.enum(['revise', 'dispute']), text: text.nullable().optional(), record: short })
  .refine((v) => v.action === 'dispute' || (typeof v.text === 'string' && v.text.trim() !== ''), { message: 'action "revise" needs the revised text' });
export type CommentAnswer = z.infer<typeof commentSchema>;
export const parseCommentAnswer = (a: string) => balanced(parseWith(a, commentSchema), (v) => ({ text: v.text }));

const reviewSchema = z
  .object({ action: z.enum(['keep', 'revise']), status: z.enum(['provisional', 'stable', 'needs_work']), text: text.nullable().optional(), summary: short })
  .refine((v) => v.action === 'keep' || (typeof v.text === 'string' && v.text.trim() !== ''), { message: 'action "revise" needs the revised text' });
export type ReviewAnswer = z.infer<typeof reviewSchema>;
export const parseReviewAnswer = (a: string) => balanced(parseWith(a, reviewSchema), (v) => ({ text: v.text }));

const draftSchema = z.object({ title: z.string().trim().min(3).max(120), text: text.min(1), summary: short });
export type DraftAnswer = z.infer<typeof draftSchema>;
export const parseDraft = (a: string) => balanced(parseWith(a, draftSchema), (v) => ({ text: v.text }));

const issueSchema = z.object({
  kind: z.enum(['correctness', 'exposition']),
  where: z.string().trim().min(1).max(500),
  problem: z.string().trim().min(1).max(2_000),
  fix: z.string().trim().max(2_000),
});
export type CheckIssue = z.infer<typeof issueSchema>;

/**
 * The check of a change before it goes in: a verdict and the issues behind it. "revise" without an
 * issue says nothing the writer could fix, so it is unreadable (the repair prompt), never a verdict.
 */
const checkSchema = z
  .object({ verdict: z.enum(['approve', 'revise']), issues: z.array(issueSchema).max(20), summary: short })
  .refine((v) => v.verdict === 'approve' || v.issues.length > 0, { message: 'verdict "revise" needs at least one issue' });
export type CheckAnswer = z.infer<typeof checkSchema>;
export const parseCheck = (a: string) => parseWith(a, checkSchema);

const rewriteSchema = z.object({ text: text.min(1), summary: short });
export type RewriteAnswer = z.infer<typeof rewriteSchema>;
export const parseRewrite = (a: string) => balanced(parseWith(a, rewriteSchema), (v) => ({ text: v.text }));
