import { hashUnit as unit, sha256Hex as h } from '../../core/hash.js';
import { lineValue } from '../shared/mock-prompt.js';
import { FORMAT } from './formats.js';
import { normalizeText } from './text.js';

/**
 * What the mock backend answers to Explorer prompts (recognised by their `FORMAT:` line): valid,
 * varied and deterministic content, a function of (seed, prompt) only, so the whole Explorer cycle
 * runs on the embedded default. Not used by the module itself (modules never talk to an LLM);
 * the gateway's mock calls it. Returns null for prompts that are not the Explorer's.
 *
 * The verdicts are designed so a run produces every outcome: each insight has a hidden "quality"
 * (a hash of its normalized text, the same for every reviewer), so panels mostly agree on clearly
 * good or bad insights and split on middling ones; round-2 reviewers tend to follow the others.
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
const CLAIMS = [
  'The structure around {s} is determined by its incidence relations alone.',
  'Every configuration in {s} is equivalent under the symmetry group to a single standard one.',
  'Counting flags in {s} gives the order of the symmetry group as a product of orbit sizes.',
  'Over the field with two elements, {s} corresponds to subspaces of a three-dimensional vector space.',
  'The symmetries of {s} act transitively on points, on lines and on flags.',
  'A naive induction on {s} fails because removing one element breaks the regularity.',
];

function exchangeAnswer(seed: number, prompt: string): string {
  if (/^REPAIR:\s*yes/m.test(prompt)) {
    // The repair prompt shows the previous answer between <<< and >>>: give it again, balanced.
    const raw = /<<<\n([\s\S]*?)\n>>>/.exec(prompt)?.[1] ?? '';
    const fixed = raw.replace(OPEN_FORMULA, CLOSED_FORMULA);
    return fixed.includes(CLOSED_FORMULA) ? fixed : `${raw.replace(/\$/g, '')}\n\nKEY POINTS: repaired`;
  }
  const x = h('explorer.exchange', seed, prompt);
  const subject = subjectOf(prompt);
  const critique = /^ROLE:\s*critique/m.test(prompt);
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
  const subject = subjectOf(prompt);
  const n = 1 + Math.floor(unit(x, 8) * max);
  const insights = Array.from({ length: n }, (_, i) => ({
    // Claims are drawn with replacement: a batch sometimes repeats one, which dedupe must catch.
    text: pick(CLAIMS, x, 16 + i * 6).replace('{s}', subject),
    tags: [pick(['geometry', 'groups', 'algebra', 'combinatorics'], x, 20 + i * 6)],
    confidence: Math.round((0.4 + unit(x, 24 + i * 6) * 0.55) * 100) / 100,
    exchanges: [Math.floor(unit(x, 28 + i * 4) * count)],
  }));
  return `\`\`\`json\n${JSON.stringify({ insights })}\n\`\`\``;
}

type Rating = 'bless' | 'uncertain' | 'reject';

function reviewAnswer(seed: number, prompt: string): string {
  const insight = lineValue(prompt, 'INSIGHT') ?? '';
  const quality = unit(h('explorer.quality', normalizeText(insight)));
  const noise = unit(h('explorer.review', seed, prompt));
  const leaning: Rating | null = quality < 0.3 ? 'reject' : quality < 0.4 ? 'uncertain' : quality < 0.55 ? null : 'bless';
  let rating: Rating;
  if (leaning !== null) rating = noise < 0.85 ? leaning : leaning === 'uncertain' ? 'bless' : 'uncertain';
  else rating = noise < 0.45 ? 'bless' : noise < 0.8 ? 'reject' : 'uncertain';
  if (lineValue(prompt, 'ROUND') === '2') {
    // Round 2: follow the other reviewers' majority more often than not.
    const others = [...prompt.matchAll(/^- reviewer \d+ \([^)]*\): (bless|uncertain|reject)/gm)].map((m) => m[1] as Rating);
    const own = (lineValue(prompt, 'YOUR ROUND 1 RATING') ?? rating) as Rating;
    const counts = new Map<Rating, number>();
    for (const r of others) counts.set(r, (counts.get(r) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    rating = top && top[1] * 2 > others.length && noise < 0.7 ? top[0] : own;
  }
  const why: Record<Rating, string> = {
    bless: 'The statement is precise and the thread supports it; it is not a restatement of a definition.',
    uncertain: 'Plausible, but the argument in the thread leaves a gap that should be closed first.',
    reject: 'As stated this is either false in small cases or a trivial restatement.',
  };
  return JSON.stringify({ rating, confidence: Math.round((0.5 + noise * 0.45) * 100) / 100, reasoning: why[rating] });
}

function commentAnswer(seed: number, prompt: string): string {
  const comment = lineValue(prompt, 'COMMENT') ?? '';
  const insight = lineValue(prompt, 'INSIGHT') ?? '';
  const revise = /\b(revise|rewrite|change|fix|should|clarify|rephrase)\b/i.test(comment);
  const x = h('explorer.comment', seed, prompt);
  const revisedText = revise ? `${insight.replace(/[.!?]\s*$/, '')}, made precise (${x.slice(0, 6)}).` : null;
  return JSON.stringify({ answer: revise ? `Agreed: the insight is revised to address "${comment.slice(0, 80)}".` : `Thank you. On "${comment.slice(0, 80)}": the insight stands as stated.`, revise, revisedText });
}

export function explorerMockAnswer(seed: number, prompt: string): string | null {
  const format = lineValue(prompt, 'FORMAT');
  switch (format) {
    case FORMAT.exchange:
      return exchangeAnswer(seed, prompt);
    case FORMAT.synthesis:
      return synthesisAnswer(seed, prompt);
    case FORMAT.review:
      return reviewAnswer(seed, prompt);
    case FORMAT.comment:
      return commentAnswer(seed, prompt);
    default:
      return null;
  }
}
