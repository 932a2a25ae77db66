import { readFileSync } from 'node:fs';
import type { Problem } from '../../core/problems.js';
import { join } from 'node:path';
import { promptTemplates } from '../shared/prompt-templates.js';
import { fill, repairPrompt as sharedRepairPrompt, REPAIR_TEMPLATE, withFormat } from '../shared/strict-answer.js';
import { formatBlock } from './formats.js';
import { clip } from '../shared/text.js';
import type { ClaimVerification } from './review.js';
import type { InsightStructure } from './structure.js';
import type { Exchange, ExplorerOptions, ReviewDoc, Role, ThreadDoc } from './types.js';

/**
 * Prompt templates. The defaults below can be overridden per home by a file
 * `state/explorer/prompts/<name>.md` (read at every use, so an edit applies at the next tick).
 * `{{placeholders}}` are filled by code; the strict output format block is appended by code
 * AFTER the template, so no edit can break the parsers.
 */
export const PROMPT_DIR = join('state', 'explorer', 'prompts');

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

export const DEFAULT_TEMPLATES = {
  explore: `You are a research mathematician exploring an idea with colleagues.
ROLE: explore
EXCHANGE: {{exchange}}

{{seed}}

{{axioms}}

{{blessed}}

{{thread}}

Take the exploration one step further, as you would at the blackboard:
- Compute. Work out the smallest cases explicitly (a table of values, an explicit matrix, permutation
  or configuration) and show the computation, not only its result.
- Prove what you can: give the proof, or say exactly which step is missing and why.
- Define every symbol before you use it.
- Say precisely what remains open, and which case or computation would settle it.
Mark what is proved, what is computed and what is only conjectured. Build on the thread; do not repeat it.`,
  critique: `You are a careful referee reading a colleague's exploration.
ROLE: critique
EXCHANGE: {{exchange}}

{{seed}}

{{axioms}}

{{blessed}}

{{thread}}

Critique the latest exchange as a skeptical referee would:
- Check every computation and every step of every argument; redo the small cases yourself.
- Name each assumption that is forced or ad hoc: chosen to make the result come out rather than
  imposed by the problem.
- Ask whether what was found is discovered or invented: does it follow from the objects themselves,
  or was it put there by a choice of encoding, coordinates or a coincidence of numbers? A shared
  number is not a connection until a map explains it.
- Point out errors, gaps, hidden assumptions and trivialities.
Say what survives, with its status (proved, computed, conjectured), and what the next step should be.`,
  synthesis: `You are extracting results from a research thread for a mathematician who will check them.

{{seed}}

{{axioms}}

{{blessed}}

{{thread}}

Extract only what this thread ESTABLISHED, each with its kind:
- "proved": a statement the thread proved; write the proof out, complete enough to be checked.
- "computed": the result of an explicit computation the thread carried out; give the computation.
- "conjectured": a precise statement the thread stated and supported but did not prove; give the
  evidence, and never present it as a result.
State each insight precisely, defining every symbol it uses, so it can be understood without the
thread. List its separate claims (each one checkable on its own). Name in dependsOn the axioms,
seeds and insights (by their ids in brackets) the argument uses.
Leave out analogies, numerical coincidences, speculation, and anything a critique refuted or left
unanswered; leave out what is already among the blessed insights. Fewer correct insights are
better than many; when the thread established nothing, give an empty list.`,
  repair: REPAIR_TEMPLATE,
  dedupe: `You are checking whether a new research insight says something fano already holds.

NEW INSIGHT: [{{id}}] {{insight}}

EXISTING INSIGHTS NEAREST TO IT:
{{candidates}}

Is the new insight the same mathematical claim as one of the existing ones: a paraphrase, an
equivalent reformulation, or a special case that adds nothing to it? Compare the mathematics, not
the wording: two statements with different words can be the same claim, and two with similar
words can differ (another hypothesis, another quantifier, another object). If it is the same claim
as several, name the one it is closest to; if it says something new, say so.`,
  review: `You are a rigorous mathematician, one reviewer on a panel judging a candidate result. You
check it; you do not improve it, and it will not be changed to pass: judge the statement as written.
ROUND: 1
REVIEWER: {{reviewer}}

{{axioms}}

{{seed}}

{{guidance}}

{{insight}}

{{source}}

Check three things, separately:
1. Mathematical verification: for each claim, check every number, property and cited theorem.
   "verified" means you checked that it holds (by the argument given or your own proof); "refuted"
   means you have a specific counterexample or a precise error that makes it false; otherwise "unclear".
2. Structural depth: is this a genuine structural connection or surface numerology? Does it show
   WHY, not just THAT two things share a number?
3. Naturalness: would a skeptical mathematician find this interesting, or dismiss it?
The axioms are given. A seed conjecture is unproved: a claim that assumes it is not verified.`,
  'review-round2': `You are a rigorous mathematician, one reviewer on a panel judging a candidate result. This is
round 2: read the other reviewers' full reviews and the verification of each claim, then give your
final review. The criteria never soften; the goal is truth, not consensus. Change a verdict only for
a reason you can state (a proof, a counterexample, an error found), never to agree with the others.
The statement will not change: judge it as written.
ROUND: 2
REVIEWER: {{reviewer}}

{{axioms}}

{{seed}}

{{guidance}}

{{insight}}

{{source}}

{{verification}}

YOUR REVIEW SO FAR:
{{own}}

THE OTHER REVIEWERS' REVIEWS:
{{stances}}`,
  'review-argument': `You are a rigorous mathematician, one reviewer on a panel judging a candidate result. After two
rounds the panel is still split and you are in the minority. Make your strongest case: the precise
point the majority has wrong or missed (a counterexample, a gap, an error, or the proof they doubt).
The majority must answer it directly before the panel decides. The criteria never soften; the goal
is truth, not consensus: if, on reflection, the majority is right, say so and change your rating.
Put your case in "reasoning".
ROUND: 3
REVIEWER: {{reviewer}}

{{axioms}}

{{seed}}

{{guidance}}

{{insight}}

{{source}}

{{verification}}

YOUR REVIEW SO FAR:
{{own}}

THE MAJORITY'S REVIEWS:
{{stances}}`,
  'review-answer': `You are a rigorous mathematician, one reviewer on a panel judging a candidate result. After two
rounds the panel is split and you are in the majority. The minority made its strongest case below:
answer it directly, point by point. If it is right, change your rating; if it is wrong, show where.
The criteria never soften; the goal is truth, not consensus. Put your answer in "reasoning".
ROUND: 4
REVIEWER: {{reviewer}}

{{axioms}}

{{seed}}

{{guidance}}

{{insight}}

{{source}}

{{verification}}

YOUR REVIEW SO FAR:
{{own}}

THE MINORITY'S CASE:
{{stances}}`,
  verify: `You are a mathematician asked to settle one claim: prove it or refute it.
CLAIM: {{claim}}

It is claim {{number}} of this candidate result:
{{insight}}

{{axioms}}

{{seed}}

Do not accept the claim without a proof; do not reject it without a specific counterexample. Check
every number, property and cited theorem yourself; the argument offered may be wrong. If you can do
neither, say "unclear" and what is missing.`,
  comment: `A human researcher commented on an insight fano holds.

INSIGHT: {{insight}}
STATUS: {{status}}

COMMENT: {{comment}}

Answer the comment. If it asks for a change to the insight and the change is right, give the
revised insight (it will go through review again).`,
} as const;
export type TemplateName = keyof typeof DEFAULT_TEMPLATES;

// Overrides from state/explorer/prompts/<name>.md, read and checked as the Documenter's are.
const templates = promptTemplates(PROMPT_DIR, DEFAULT_TEMPLATES);

/** The home's override of a template when it is usable, else the default. */
export const loadTemplate = (home: string, name: TemplateName): string => templates.load(home, name);

/** Problems of one prompt override (`name` without .md): an unknown name or placeholder, bytes, comments. */
export const promptProblems = (name: string, bytes: Uint8Array): Problem[] => templates.problems(name, bytes);

export interface SeedInfo {
  id: string;
  text: string;
  type: string;
  /** The seed's `notes:` (what the person knows or suspects about it), if any. */
  notes?: string | null;
}

export function seedSection(seed: SeedInfo): string {
  const notes = seed.notes?.trim();
  return `SEED (${seed.type}, id ${seed.id}): ${seed.text}${notes ? `\nSEED NOTES (from the researcher who wrote the seed):\n${notes}` : ''}`;
}

export function axiomsSection(axioms: readonly string[]): string {
  return axioms.length === 0 ? 'AXIOMS: none' : `AXIOMS (take these as given):\n${axioms.map((a) => `- ${a}`).join('\n')}`;
}

/** Axioms with their seed ids, so an insight can name the ones it depends on. */
export function labelledAxiomsSection(axioms: ReadonlyArray<{ id: string; text: string }>): string {
  return axioms.length === 0 ? 'AXIOMS: none' : `AXIOMS (taken as given; not to be questioned):\n${axioms.map((a) => `- [${a.id}] ${a.text}`).join('\n')}`;
}

export function blessedSection(blessed: ReadonlyArray<{ id: string; text: string }>, max: number): string {
  if (blessed.length === 0) return 'BLESSED INSIGHTS SO FAR: none';
  const shown = blessed.slice(-max);
  return `BLESSED INSIGHTS SO FAR (reviewed and accepted):\n${shown.map((b) => `- [${b.id}] ${b.text}`).join('\n')}`;
}

function exchangeBlock(e: Exchange, maxChars: number): string {
  return `[#${e.index} ${e.role} on ${e.backend}]\n${clip(e.text.trim(), maxChars)}`;
}

/**
 * The thread as a prompt sees it: the pinned summary, then the exchanges after it. The fold in
 * thread.ts keeps this within the budget; should one answer alone be larger, the oldest shown
 * exchanges are clipped here (the stored thread keeps the full text).
 */
export function threadSection(thread: ThreadDoc | null, opts: Pick<ExplorerOptions, 'contextBudgetChars'>): string {
  if (!thread || thread.exchanges.length === 0) return 'THREAD SO FAR: nothing yet (you start it).';
  const through = thread.summary?.throughIndex ?? -1;
  const live = thread.exchanges.filter((e) => e.index > through);
  const parts: string[] = ['THREAD SO FAR:'];
  if (thread.summary) parts.push(`SUMMARY OF EXCHANGES #0-#${through} (pinned running notes):\n${thread.summary.text}`);
  const room = Math.max(400, opts.contextBudgetChars - (thread.summary?.text.length ?? 0));
  const per = Math.max(200, Math.floor(room / Math.max(1, live.length)));
  for (const e of live) parts.push(exchangeBlock(e, per));
  return parts.join('\n\n');
}

export function exchangePrompt(args: {
  home: string;
  role: Role;
  index: number;
  seed: SeedInfo;
  axioms: readonly string[];
  blessed: ReadonlyArray<{ id: string; text: string }>;
  thread: ThreadDoc | null;
  opts: ExplorerOptions;
}): string {
  const t = loadTemplate(args.home, args.role === 'explore' ? 'explore' : 'critique');
  return withFormat(
    fill(t, {
      exchange: String(args.index),
      seed: seedSection(args.seed),
      axioms: axiomsSection(args.axioms),
      blessed: blessedSection(args.blessed, args.opts.maxBlessedInContext),
      thread: threadSection(args.thread, args.opts),
    }),
    formatBlock('exchange', { answerChars: answerBudgetChars(args.opts) }),
  );
}

/**
 * The next turn of a conversation the backend holds for the thread (thread.ts heldConversation):
 * the site keeps the seed, the axioms and the exchanges it took part in, so the prompt is the role's
 * template with only the exchanges after `through` (another vendor's critique, typically) in
 * place of the thread, and the seed named as above.
 */
export function continuePrompt(args: { home: string; role: Role; index: number; thread: ThreadDoc; through: number; opts: ExplorerOptions }): string {
  const t = loadTemplate(args.home, args.role === 'explore' ? 'explore' : 'critique');
  const fresh = args.thread.exchanges.filter((e) => e.index > args.through && e.index < args.index);
  const per = Math.max(200, Math.floor(args.opts.contextBudgetChars / Math.max(1, fresh.length)));
  const thread =
    fresh.length === 0
      ? 'NEW SINCE YOUR LAST ANSWER IN THIS CONVERSATION: nothing; go on from your last answer.'
      : `NEW SINCE YOUR LAST ANSWER IN THIS CONVERSATION:\n\n${fresh.map((e) => exchangeBlock(e, per)).join('\n\n')}`;
  const body = fill(t, {
    exchange: String(args.index),
    seed: 'SEED: the one above in this conversation (with its axioms and the exchanges you took part in).',
    axioms: '',
    blessed: '',
    thread,
  });
  return withFormat(body.replace(/\n{3,}/g, '\n\n'), formatBlock('exchange', { answerChars: answerBudgetChars(args.opts) }));
}

/**
 * How long an exchange may be: no word cap that would cut a proof, but what the context budget
 * can carry, so the newest exchanges a prompt keeps verbatim fit whole (older ones fold into the
 * pinned summary, thread.ts).
 */
export function answerBudgetChars(opts: Pick<ExplorerOptions, 'contextBudgetChars' | 'keepRecentExchanges'>): number {
  return Math.floor(opts.contextBudgetChars / Math.max(1, opts.keepRecentExchanges));
}

/** The repair prompt of an exchange whose mathematics does not read (unbalanced `$`), with the home's `repair.md`. */
export function exchangeRepairPrompt(
  home: string,
  raw: string,
  error: string,
  opts: Pick<ExplorerOptions, 'contextBudgetChars' | 'keepRecentExchanges'>,
): string {
  return sharedRepairPrompt(loadTemplate(home, 'repair'), raw, error, formatBlock('exchange', { answerChars: answerBudgetChars(opts) }));
}

export function synthesisPrompt(args: {
  home: string;
  seed: SeedInfo;
  axioms: ReadonlyArray<{ id: string; text: string }>;
  blessed: ReadonlyArray<{ id: string; text: string }>;
  thread: ThreadDoc;
  opts: ExplorerOptions;
}): string {
  return withFormat(
    fill(loadTemplate(args.home, 'synthesis'), {
      seed: seedSection(args.seed),
      axioms: labelledAxiomsSection(args.axioms),
      blessed: blessedSection(args.blessed, args.opts.maxBlessedInContext),
      thread: threadSection(args.thread, args.opts),
    }),
    formatBlock('synthesis', { maxInsights: args.opts.maxInsightsPerSynthesis }),
  );
}

/** The shared repair prompt (../strict-answer.ts), with this home's `repair.md` override if any. */
export function repairPrompt(
  home: string,
  kind: 'synthesis' | 'review' | 'verify' | 'comment',
  raw: string,
  error: string,
  maxInsights: number,
  claims: readonly string[] = [],
): string {
  // A review answers claim by claim: the repair prompt lists them again (it is self-contained).
  const listed = claims.length > 0 ? `CLAIMS:\n${claims.map((c, i) => `CLAIM ${i + 1}: ${flat(c)}`).join('\n')}\n\n` : '';
  return sharedRepairPrompt(loadTemplate(home, 'repair'), raw, error, `${listed}${formatBlock(kind, { maxInsights })}`);
}

/** The research guidance a person writes (the Documenter's guidance.md): reviewers judge by it too. */
export const GUIDANCE_FILE = join('state', 'documenter', 'guidance.md');
const GUIDANCE_MAX_CHARS = 3000;

export function guidanceSection(home: string): string {
  let g = '';
  try {
    g = readFileSync(join(home, GUIDANCE_FILE), 'utf8').trim();
  } catch {
    // no guidance written
  }
  return g === '' ? 'GUIDANCE: none' : `GUIDANCE (from the people running this research):\n${clip(g, GUIDANCE_MAX_CHARS)}`;
}

/** The seed as a reviewer sees it: a conjecture is labelled unproved, never given as truth. */
export function reviewSeedSection(seed: SeedInfo): string {
  if (seed.type === 'conjecture') return `SEED CONJECTURE (id ${seed.id}; unproved, the insight may not assume it): ${seed.text}`;
  if (seed.type === 'axiom') return `SEED AXIOM (id ${seed.id}): ${seed.text}`;
  return `SEED QUESTION (id ${seed.id}): ${seed.text}`;
}

/** The insight under review: statement, kind, argument, its claims (one per line) and dependencies. */
export function insightSection(st: InsightStructure): string {
  const argument = st.argument.trim() === '' ? '(none recorded)' : st.argument.trim();
  const label = st.kind === 'proved' ? 'PROOF OFFERED' : st.kind === 'computed' ? 'COMPUTATION OFFERED' : 'EVIDENCE OFFERED (it is a conjecture)';
  return [
    `STATEMENT (${st.kind}):`,
    st.statement.trim(),
    '',
    `${label}:`,
    argument,
    '',
    'CLAIMS:',
    ...st.claims.map((c, i) => `CLAIM ${i + 1}: ${flat(c)}`),
    '',
    `DEPENDS ON: ${st.dependsOn.length > 0 ? st.dependsOn.join(', ') : 'nothing named'}`,
  ].join('\n');
}

/**
 * The exchanges an insight came from, as reviewers see them: the pinned summary (when the thread
 * has one), then each source exchange, clipped to share the context budget.
 */
export function sourceSection(thread: ThreadDoc | null, indices: readonly number[], opts: Pick<ExplorerOptions, 'contextBudgetChars'>): string {
  if (!thread) return 'SOURCE EXCHANGES: not available';
  const shown = thread.exchanges.filter((e) => indices.includes(e.index));
  const parts = ['SOURCE EXCHANGES (where the insight came from; long ones clipped):'];
  if (thread.summary) parts.push(`SUMMARY OF EXCHANGES #0-#${thread.summary.throughIndex} (pinned running notes):\n${thread.summary.text}`);
  const room = Math.max(600, opts.contextBudgetChars - (thread.summary?.text.length ?? 0));
  const per = Math.max(300, Math.floor(room / Math.max(1, shown.length)));
  for (const e of shown) parts.push(exchangeBlock(e, per));
  if (shown.length === 0) parts.push('(none named)');
  return parts.join('\n\n');
}

/** One review in full, as the other reviewers read it in later rounds. */
export function reviewText(r: ReviewDoc): string {
  const lines = [`### reviewer ${r.slot + 1} (${r.backend}), round ${r.round}: ${r.rating} (confidence ${r.confidence})`];
  for (const [i, c] of (r.claims ?? []).entries()) lines.push(`Claim ${i + 1}: ${c.verdict}. ${c.argument}`);
  if (r.structuralDepth) lines.push(`Structural depth: ${r.structuralDepth.verdict}. ${r.structuralDepth.argument}`);
  if (r.naturalness) lines.push(`Naturalness: ${r.naturalness.verdict}. ${r.naturalness.argument}`);
  lines.push(`Reasoning: ${r.reasoning}`);
  return lines.join('\n');
}

export function verificationSection(v: ReadonlyArray<ClaimVerification>): string {
  if (v.length === 0) return 'VERIFICATION: none';
  const lines = ['VERIFICATION (each claim given to a prove-or-refute task):'];
  for (const c of v) {
    const d = c.verification;
    if (!d) lines.push(`- claim ${c.claim + 1}: ${c.abstained ? 'no verdict (the task failed)' : 'not verified'}`);
    else
      lines.push(
        `- claim ${c.claim + 1}: ${d.verdict} (confidence ${d.confidence}; ${d.backend}, ${d.mode})\n  ${d.argument}${d.counterexample ? `\n  Counterexample: ${d.counterexample}` : ''}`,
      );
  }
  return lines.join('\n');
}

export function reviewPrompt(args: {
  home: string;
  round: number;
  slot: number;
  panelSize: number;
  seed: SeedInfo;
  axioms: ReadonlyArray<{ id: string; text: string }>;
  insight: InsightStructure;
  source: string;
  own?: ReviewDoc | null;
  stances?: readonly ReviewDoc[];
  verification?: readonly ClaimVerification[];
}): string {
  const common = {
    reviewer: `${args.slot + 1} of ${args.panelSize}`,
    axioms: labelledAxiomsSection(args.axioms),
    seed: reviewSeedSection(args.seed),
    guidance: guidanceSection(args.home),
    insight: insightSection(args.insight),
    source: args.source,
  };
  if (args.round <= 1) return withFormat(fill(loadTemplate(args.home, 'review'), common), formatBlock('review'));
  const name: TemplateName = args.round === 2 ? 'review-round2' : args.round === 3 ? 'review-argument' : 'review-answer';
  const stances = (args.stances ?? []).map(reviewText).join('\n\n');
  return withFormat(
    fill(loadTemplate(args.home, name), {
      ...common,
      verification: verificationSection(args.verification ?? []),
      own: args.own ? reviewText(args.own) : 'none',
      stances: stances || 'none',
    }),
    formatBlock('review'),
  );
}

export function verifyPrompt(args: {
  home: string;
  claim: number;
  seed: SeedInfo;
  axioms: ReadonlyArray<{ id: string; text: string }>;
  insight: InsightStructure;
}): string {
  return withFormat(
    fill(loadTemplate(args.home, 'verify'), {
      claim: flat(args.insight.claims[args.claim] ?? args.insight.statement),
      number: String(args.claim + 1),
      insight: insightSection(args.insight),
      axioms: labelledAxiomsSection(args.axioms),
      seed: reviewSeedSection(args.seed),
    }),
    formatBlock('verify'),
  );
}

export function commentPrompt(args: { home: string; insight: { text: string }; status: string; comment: string }): string {
  return withFormat(
    fill(loadTemplate(args.home, 'comment'), { insight: args.insight.text, status: args.status, comment: args.comment }),
    formatBlock('comment'),
  );
}
