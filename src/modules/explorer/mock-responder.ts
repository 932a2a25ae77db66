import { hashUnit as unit, sha256Hex as h } from '../../core/hash.js';
import { lineValue } from '../shared/mock-prompt.js';
import { DEDUPE_FORMAT } from './dedupe.js';
import { FORMAT } from './formats.js';
import { normalizeText } from './text.js';

/**
 * What the mock backend answers to Explorer prompts (recognised by their `FORMAT:` line): valid,
 * varied and deterministic content, a function of (seed, prompt) only, so the whole Explorer cycle
 * runs on the embedded default. Not used by the module itself (modules never talk to an LLM);
 * the gateway's mock calls it. Returns null for prompts that are not the Explorer's.
 *
 * The verdicts are designed so a run produces every outcome: insights are built from a pool of
 * claims of which some are false (with their counterexample) or numerology, so panels agree,
 * split, go through verification (refutations included) and the argument round.
 */

const pick = <T>(xs: readonly T[], hex: string, at = 0): T => xs[Math.floor(unit(hex, at) * xs.length)]!;

/** A few content words of the seed: what the mock "talks about". */
function subjectOf(prompt: string): string {
  const seed = /^SEED \([^)]*\):\s*(.*)$/m.exec(prompt)?.[1] ?? lineValue(prompt, 'INSIGHT') ?? 'the question';
  const words = normalizeText(seed)
    .split(' ')
    .filter((w) => w.length > 3)
    .slice(0, 6);
  return words.length > 0 ? words.join(' ') : 'the question';
}

const EXPLORE = [
  'A small case already shows the pattern: with $n = 7$ points on lines of $3$ points each, counting incidences two ways gives $7 \\cdot 3 = 21$ flags, every step forced by the incidence structure.',
  'Counting arguments give the same number from two directions: $$\\#\\{(p, L) : p \\in L\\} = \\sum_{p} r_p = \\sum_{L} |L|,$$ which suggests a bijection behind it.',
  'The symmetry group $G$ involved acts transitively, so by the orbit-stabilizer theorem $|G| = |G \\cdot x| \\cdot |G_x|$ and it is enough to understand one representative configuration $x$.',
  'An induction on the size $n$ of the structure looks possible, but the base case $n = 3$ needs care.',
  'Viewed through linear algebra over $\\mathbb{F}_2$, the claim becomes a statement about the $2^3 - 1 = 7$ nonzero vectors of $\\mathbb{F}_2^3$ and its $7$ two-dimensional subspaces.',
];
const CRITIQUE = [
  'The previous step assumes the action of $G$ is faithful; that needs a separate argument.',
  'The counting is right, but the bijection is asserted, not constructed: is the assumption that $r_p = 3$ for every $p$ forced, or chosen to make it work?',
  'The reduction to one representative is valid only if the stabilizers $G_x$ agree, which was not checked.',
  'The argument is sound but proves less than claimed: it bounds the quantity by $\\binom{7}{2} / 3 = 7$, it does not compute it. Is the bound discovered or invented?',
];
/** The formula an unbalanced answer leaves open (its closing `$` dropped), and the repair that closes it. */
const OPEN_FORMULA = 'The flag count $7 \\cdot 3 = 21 is the key number.';
const CLOSED_FORMULA = 'The flag count $7 \\cdot 3 = 21$ is the key number.';
/**
 * What the mock's syntheses claim: each entry a claim with its argument. Some are false (the
 * counterexample says why): a reviewer may miss that, the verification never does, so runs have
 * claims refuted in verification as well as ones every reviewer checks.
 */
type MockClaim = { claim: string; kind: 'proved' | 'computed' | 'conjectured'; argument: string; counterexample?: string };
const CLAIMS: readonly MockClaim[] = [
  {
    claim: 'In {s}, any two distinct points $p \\neq q$ lie on exactly one common line $\\ell(p, q)$.',
    kind: 'proved',
    argument:
      'Existence is the axiom. If $p, q$ lay on two lines $\\ell \\neq m$, then $|\\ell \\cap m| \\geq 2$, against the axiom that two lines meet in one point.',
  },
  {
    claim: 'If {s} has $v$ points and $b$ lines, every line has $k = 3$ points and every point lies on $r = 3$ lines, then $v = b = 7$.',
    kind: 'computed',
    argument:
      'Counting flags $(p, \\ell)$ with $p \\in \\ell$ gives $v r = b k$, so $v = b$. Counting pairs of points through one point: $(v - 1) = r (k - 1) = 6$, so $v = 7$.',
  },
  {
    claim: 'Identifying the points of {s} with the nonzero vectors of $\\mathbb{F}_2^3$, its lines are exactly the sets $\\{x, y, x + y\\}$ with $x \\neq y$.',
    kind: 'proved',
    argument:
      'A 2-dimensional subspace of $\\mathbb{F}_2^3$ has $3$ nonzero vectors $x, y, x + y$; there are $7$ such subspaces and any two nonzero vectors span exactly one.',
  },
  {
    claim: 'The automorphism group $G = \\mathrm{Aut}$ of {s} has order $|G| = 168 = 7 \\cdot 6 \\cdot 4$.',
    kind: 'computed',
    argument:
      'An automorphism is fixed by the images of a non-collinear triple $(p, q, r)$: $7$ choices for $p$, $6$ for $q$, $4$ for $r$ off the line $\\ell(p, q)$, each extending uniquely.',
  },
  {
    claim: 'The automorphism group of {s} acts transitively on its $21$ flags.',
    kind: 'proved',
    argument:
      '$G \\cong \\mathrm{GL}_3(\\mathbb{F}_2)$ acts transitively on pairs (nonzero vector, 2-dimensional subspace containing it) by extending a basis.',
  },
  {
    claim: 'Every permutation of the $7$ points of {s} that maps lines to sets of $3$ points is an automorphism.',
    kind: 'proved',
    argument: 'A permutation preserves the size of every set, so it maps each line to a $3$-set, hence to a line.',
    counterexample:
      'The transposition of two points maps some line $\\{a, b, c\\}$ with $a$ moved and $b$ fixed to $\\{a\\prime, b, c\\}$, a $3$-set that is not a line: $3$-sets are not lines in general ($35$ of them, $7$ lines).',
  },
  {
    claim: 'Removing one point of {s} and the lines through it leaves a configuration of $6$ points and $4$ lines in which every two points are joined.',
    kind: 'computed',
    argument: 'Each point lies on $3$ lines, so $7 - 3 = 4$ lines remain, each missing the removed point, with all $3$ of their points kept.',
    counterexample:
      'Two points $a, b$ on a common line through the removed point $p$ are joined only by $\\ell(a, b) = \\ell(p, a)$, which was removed: they are not joined in what is left.',
  },
  {
    claim: 'The number $7$ of points of {s} equals the number of imaginary octonion units, and this explains the octonion multiplication table.',
    kind: 'conjectured',
    argument: 'Both counts are $7$; the seven lines list the seven quaternionic triples.',
    counterexample:
      'An equality of counts explains nothing: the orientation of the lines, which the multiplication table needs, is extra data not determined by the plane.',
  },
];

/** The mock's entry for a claim it wrote (read back from a later prompt), or null. */
export function mockClaimOf(text: string): MockClaim | null {
  // The subject inside the claim varies; compare the parts around it.
  for (const c of CLAIMS) {
    const [head, tail] = c.claim.split('{s}') as [string, string];
    if (text.includes(head.trim()) && text.includes(tail.trim().slice(0, 40))) return c;
  }
  return null;
}

/** The same claims in other words (by index of CLAIMS): word overlap misses them, the paraphrase check must not. */
const PARAPHRASES: readonly string[] = [
  'Through two different points of {s} there passes one and only one line, namely $\\ell(p, q)$.',
  'When the lines of {s} have $k = 3$ points and each point is on $r = 3$ lines, {s} has exactly $7$ points and $7$ lines.',
  'Under the identification of the points of {s} with $\\mathbb{F}_2^3 \\setminus \\{0\\}$, the lines are the triples of nonzero vectors summing to $0$.',
  'There are exactly $168$ automorphisms of {s}: $7$ images for a first point, $6$ for a second, $4$ for a third off their line.',
  'Any flag of {s} can be carried to any other flag by an automorphism.',
  'A bijection of the points of {s} sending lines to $3$-sets always preserves the lines.',
  'Deleting a point of {s} with its $3$ lines leaves $6$ points and $4$ lines, any two points still on a common line.',
  'That {s} has as many points as there are imaginary octonion units, $7$, accounts for the octonion multiplication table.',
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CLAIM_PATTERNS = [...CLAIMS.map((c) => c.claim), ...PARAPHRASES].map((t, i) => ({
  claim: i % CLAIMS.length,
  re: new RegExp(`^${escapeRe(t).replaceAll(escapeRe('{s}'), '(.+?)')}$`),
}));

/** Which claim (and about what) a statement of the mock makes, in either wording; null for any other text. */
export function claimKeyOf(text: string): string | null {
  for (const p of CLAIM_PATTERNS) {
    const m = p.re.exec(text.trim());
    if (m) return `${p.claim}:${normalizeText(m[1]!)}`;
  }
  return null;
}

/** What the mock answers to a turn whose conversation does not hold its seed. */
export const NO_CONTEXT = 'I see no seed or earlier exchange in this conversation to go on from.';

function exchangeAnswer(seed: number, turn: string, context: string | null): string {
  if (/^REPAIR:\s*yes/m.test(turn)) {
    // The repair prompt shows the previous answer between <<< and >>>: give it again, balanced.
    const raw = /<<<\n([\s\S]*?)\n>>>/.exec(turn)?.[1] ?? '';
    const fixed = raw.replace(OPEN_FORMULA, CLOSED_FORMULA);
    return fixed.includes(CLOSED_FORMULA) ? fixed : `${raw.replace(/\$/g, '')}\n\nKEY POINTS: repaired`;
  }
  // A turn that continues a conversation names no seed: the chat it went to must hold it (its
  // opening). A chat without it answers like a model would, and tests catch a turn sent where its
  // context is not.
  const continued = !/^SEED \(/m.test(turn);
  if (continued && !(context !== null && /^SEED \(/m.test(context))) return `${NO_CONTEXT} Please send the question again.\n\nKEY POINTS: no context`;
  // What the model reads: the new turn, then (continued) what opened the chat.
  const prompt = continued ? `${turn}\n\n${context}` : turn;
  const x = h('explorer.exchange', seed, prompt);
  const subject = subjectOf(prompt);
  const critique = lineValue(prompt, 'ROLE') === 'critique';
  const a = pick(critique ? CRITIQUE : EXPLORE, x, 0);
  const b = pick(EXPLORE, x, 8);
  // Now and then (always for the first exchange of a seed that asks for it) a formula is left
  // open, so runs exercise the LaTeX check and its repair prompt.
  const firstOfUnbalanced = lineValue(prompt, 'EXCHANGE') === '0' && /^SEED \(.*\bunbalanced\b/im.test(prompt);
  const open = firstOfUnbalanced || unit(x, 16) < 0.08 ? ` ${OPEN_FORMULA}` : '';
  return `${critique ? 'Critique' : 'Exploration'} of ${subject} (${x.slice(0, 8)}). ${a} ${b}${open}\n\nKEY POINTS: ${a}`;
}

function synthesisAnswer(seed: number, prompt: string): string {
  const x = h('explorer.synthesis', seed, prompt);
  const repair = /^REPAIR:\s*yes/m.test(prompt);
  // Now and then the first answer ignores the format, so runs exercise the repair prompt.
  if (!repair && unit(x, 40) < 0.15) return `Here are my thoughts on ${subjectOf(prompt)}: the thread shows several things, mainly about symmetry.`;
  const max = Number(lineValue(prompt, 'MAX INSIGHTS') ?? 3) || 3;
  const exchanges = [...prompt.matchAll(/^\[#(\d+) /gm)].map((m) => Number(m[1]));
  const summarized = /^SUMMARY OF EXCHANGES #0-#(\d+)/m.exec(prompt);
  const count = Math.max(1, exchanges.length + (summarized ? Number(summarized[1]) + 1 : 0));
  // Claims name the plane of their seed, so each thread's claims are its own (dedupe still meets
  // repeats within a batch, and paraphrases).
  const subject = `the plane $\\Pi$ of seed \`${/^SEED \([^)]*\bid ([^)]+)\)/m.exec(prompt)?.[1] ?? 'unknown'}\``;
  const axiomId = /^AXIOMS[^\n]*\n- \[([^\]]+)\]/m.exec(prompt)?.[1] ?? null;
  const n = 1 + Math.floor(unit(x, 8) * max);
  const insights = Array.from({ length: n }, (_, i) => {
    // Claims are drawn with replacement: a batch sometimes repeats one, which dedupe must catch.
    // One claim in three comes with a second one, so insights with several claims are reviewed too.
    const first = pick(CLAIMS, x, 16 + i * 6);
    const second = unit(x, 18 + i * 6) < 0.33 ? pick(CLAIMS, x, 19 + i * 6) : null;
    const parts = second && second !== first ? [first, second] : [first];
    const claims = parts.map((c) => c.claim.replace('{s}', subject));
    const kind = parts.some((c) => c.kind === 'conjectured') ? 'conjectured' : parts.some((c) => c.kind === 'proved') ? 'proved' : 'computed';
    return {
      statement: claims.map((c, k) => (k === 0 ? c : `Moreover, ${c.charAt(0).toLowerCase()}${c.slice(1)}`)).join(' '),
      kind,
      argument: parts.map((c, k) => `(${k + 1}) ${c.argument}`).join(' '),
      claims,
      dependsOn: axiomId ? [axiomId] : [],
      tags: [pick(['geometry', 'groups', 'algebra', 'combinatorics'], x, 20 + i * 6)],
      confidence: Math.round((0.4 + unit(x, 24 + i * 6) * 0.55) * 100) / 100,
      exchanges: [Math.floor(unit(x, 28 + i * 4) * count)],
    };
  });
  // Now and then (always for a seed that asks for it) the first one-claim insight comes twice, the second time
  // in other words, so runs exercise the paraphrase check (dedupe.ts).
  const first = insights.find((ins) => CLAIMS.some((c) => c.claim.replace('{s}', subject) === ins.statement));
  const index = first ? CLAIMS.findIndex((c) => c.claim.replace('{s}', subject) === first.statement) : -1;
  if (first && (/^SEED \(.*\bparaphrase/im.test(prompt) || unit(x, 44) < 0.1)) {
    const reworded = PARAPHRASES[index]!.replaceAll('{s}', subject);
    const twin = { ...first, statement: reworded, claims: [reworded] };
    if (insights.length < max) insights.push(twin);
    else insights[insights.length - 1] = twin;
  }
  return `\`\`\`json\n${JSON.stringify({ insights })}\n\`\`\``;
}

/** The paraphrase check: a duplicate when the new insight makes the same claim about the same subject as a candidate. */
function dedupeAnswer(prompt: string): string {
  const mine = claimKeyOf(/^NEW INSIGHT: \[[^\]]+\] (.*)$/m.exec(prompt)?.[1] ?? '');
  for (const c of prompt.matchAll(/^- \[([^\]]+)\] (.*)$/gm)) {
    if (mine !== null && claimKeyOf(c[2]!) === mine)
      return JSON.stringify({ duplicateOf: c[1], reasoning: `Both state the same claim in other words; nothing in the new one goes beyond [${c[1]}].` });
  }
  return JSON.stringify({ duplicateOf: null, reasoning: 'None of the existing insights states this claim; it is new.' });
}

type Rating = 'bless' | 'uncertain' | 'reject';

/** The claims a review or verification prompt lists (`CLAIM n: ...`). */
function claimsOf(prompt: string): string[] {
  return [...prompt.matchAll(/^CLAIM (\d+): (.*)$/gm)].map((m) => m[2]!.trim());
}

/**
 * Whether a claim is true, as the mock knows it: its own claims carry the answer; any other text
 * (a statement revised after a comment) is false one time in five, by a hash of its words.
 */
function truthOf(claim: string): { false: boolean; counterexample: string; numerology: boolean; argument: string | null } {
  const mc = mockClaimOf(claim);
  if (mc)
    return { false: mc.counterexample !== undefined, counterexample: mc.counterexample ?? '', numerology: mc.kind === 'conjectured', argument: mc.argument };
  const bad = unit(h('explorer.truth', normalizeText(claim))) < 0.2;
  return { false: bad, counterexample: 'Already the smallest case fails: with $n = 2$ the two sides differ.', numerology: false, argument: null };
}

const RATING_LINE = /^### reviewer \d+ \([^)]*\), round \d+: (bless|uncertain|reject)/gm;

/**
 * A review in the rubric's shape. A reviewer's checks are a function of (seed, reviewer seat,
 * claims), so it judges the same claims the same way in every round (its criteria never soften);
 * in round 2 a claim the verification proved becomes verified. False claims are caught by most
 * reviewers, not all; one reviewer in five finds a true result contrived: so panels agree, split
 * 2–1, and some splits persist into the argument round, where the minority concedes now and then
 * and the majority rarely.
 */
function reviewAnswer(seed: number, prompt: string): string {
  const round = Number(lineValue(prompt, 'ROUND') ?? '1') || 1;
  const repair = /^REPAIR:\s*yes/m.test(prompt);
  const noise = h('explorer.review', seed, prompt);
  // Now and then a first answer ignores the format, so runs exercise the repair prompt.
  if (!repair && round === 1 && unit(noise, 40) < 0.1) return 'The insight looks right to me; I would bless it.';
  const claims = claimsOf(prompt);
  const x = h('explorer.reviewer', seed, lineValue(prompt, 'REVIEWER') ?? '', claims.join('|'));
  const proved = new Set([...prompt.matchAll(/^- claim (\d+): proved/gm)].map((m) => Number(m[1]) - 1));
  const verdicts = claims.map((c, i) => {
    const t = truthOf(c);
    const n = unit(x, i * 3);
    if (t.false)
      return n < 0.6
        ? { claim: c, verdict: 'refuted' as const, argument: `Counterexample: ${t.counterexample}` }
        : { claim: c, verdict: 'verified' as const, argument: 'Checked on the standard model; it holds there.' };
    if (n < 0.8 || (round >= 2 && proved.has(i)))
      return {
        claim: c,
        verdict: 'verified' as const,
        argument: t.argument ? `The argument is complete: ${t.argument}` : 'Checked step by step; every number agrees.',
      };
    return { claim: c, verdict: 'unclear' as const, argument: 'The argument skips the step where uniqueness is used; I could not close it.' };
  });
  const numerology = claims.some((c) => truthOf(c).numerology);
  const contrived = unit(x, 30) < 0.2;
  const structuralDepth = numerology
    ? { verdict: 'superficial', argument: 'It matches two counts without a map between the structures: numerology, not structure.' }
    : { verdict: 'structural', argument: 'It explains why, through the incidence structure, not just that two numbers agree.' };
  const naturalness = contrived
    ? { verdict: 'contrived', argument: 'A skeptical reader would call this a restatement of the definitions.' }
    : { verdict: 'natural', argument: 'A standard question any geometer would ask.' };
  let rating: Rating =
    verdicts.some((v) => v.verdict === 'refuted') || numerology
      ? 'reject'
      : verdicts.every((v) => v.verdict === 'verified') && !contrived
        ? 'bless'
        : 'uncertain';
  let reasoning = {
    bless: 'Every claim checks out and the result explains a structure.',
    uncertain: 'Not yet: a step is open or the result is too close to the definitions.',
    reject: 'A claim is false, or the statement is numerology.',
  }[rating];
  if (round >= 3) {
    const others = [...prompt.matchAll(RATING_LINE)].map((m) => m[1] as Rating).slice(1); // the first header is its own review
    const theirs = others[0] ?? rating;
    const yields = unit(noise, 50) < (round === 3 ? 0.35 : 0.2);
    if (yields && theirs !== rating) {
      rating = theirs;
      reasoning =
        round === 3 ? `On reflection the majority is right: I now rate it ${theirs}.` : `The minority's case is right: I change my rating to ${theirs}.`;
    } else {
      reasoning =
        round === 3
          ? `My strongest case: ${reasoning} The majority has not answered that point.`
          : `In answer to the minority: ${reasoning} Their case does not touch this.`;
    }
    if (rating === 'bless') for (const v of verdicts) Object.assign(v, { verdict: 'verified', argument: 'Checked again after the argument round.' });
  }
  return JSON.stringify({ claims: verdicts, structuralDepth, naturalness, rating, confidence: Math.round((0.55 + unit(x, 33) * 0.4) * 100) / 100, reasoning });
}

/** A prove-or-refute answer: false claims are refuted with their counterexample; most true ones proved. */
function verifyAnswer(seed: number, prompt: string): string {
  const claim = lineValue(prompt, 'CLAIM') ?? '';
  const t = truthOf(claim);
  const x = h('explorer.verify', seed, prompt);
  if (t.false)
    return JSON.stringify({
      verdict: 'refuted',
      confidence: 0.9,
      argument: 'The claim is false; the counterexample below contradicts it directly.',
      counterexample: t.counterexample,
    });
  if (unit(x, 0) < 0.75)
    return JSON.stringify({
      verdict: 'proved',
      confidence: 0.85,
      argument: t.argument
        ? `Proof. ${t.argument} $\\blacksquare$`
        : 'Proof. By induction on the number of points, every step forced by the axioms. $\\blacksquare$',
      counterexample: null,
    });
  return JSON.stringify({
    verdict: 'unclear',
    confidence: 0.5,
    argument: 'Neither a proof nor a counterexample: the uniqueness step needs an argument I could not supply.',
    counterexample: null,
  });
}

function commentAnswer(seed: number, prompt: string): string {
  const comment = lineValue(prompt, 'COMMENT') ?? '';
  const insight = lineValue(prompt, 'INSIGHT') ?? '';
  const revise = /\b(revise|rewrite|change|fix|should|clarify|rephrase)\b/i.test(comment);
  const x = h('explorer.comment', seed, prompt);
  const revisedText = revise ? `${insight.replace(/[.!?]\s*$/, '')}, made precise (${x.slice(0, 6)}).` : null;
  return JSON.stringify({
    answer: revise
      ? `Agreed: the insight is revised to address "${comment.slice(0, 80)}".`
      : `Thank you. On "${comment.slice(0, 80)}": the insight stands as stated.`,
    revise,
    revisedText,
  });
}

export function explorerMockAnswer(seed: number, prompt: string, context: string | null = null): string | null {
  const format = lineValue(prompt, 'FORMAT');
  switch (format) {
    case FORMAT.exchange:
      return exchangeAnswer(seed, prompt, context);
    case FORMAT.synthesis:
      return synthesisAnswer(seed, prompt);
    case FORMAT.review:
      return reviewAnswer(seed, prompt);
    case FORMAT.verify:
      return verifyAnswer(seed, prompt);
    case FORMAT.comment:
      return commentAnswer(seed, prompt);
    case DEDUPE_FORMAT:
      return dedupeAnswer(prompt);
    default:
      return null;
  }
}
