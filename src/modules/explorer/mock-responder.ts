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
    argument: 'Existence is the axiom. If $p, q$ lay on two lines $\\ell \\neq m$, then $|\\ell \\cap m| \\geq 2$, against the axiom that two lines meet in one point.',
  },
  {
    claim: 'If {s} has $v$ points and $b$ lines, every line has $k = 3$ points and every point lies on $r = 3$ lines, then $v = b = 7$.',
    kind: 'computed',
    argument: 'Counting flags $(p, \\ell)$ with $p \\in \\ell$ gives $v r = b k$, so $v = b$. Counting pairs of points through one point: $(v - 1) = r (k - 1) = 6$, so $v = 7$.',
  },
  {
    claim: 'Identifying the points of {s} with the nonzero vectors of $\\mathbb{F}_2^3$, its lines are exactly the sets $\\{x, y, x + y\\}$ with $x \\neq y$.',
    kind: 'proved',
    argument: 'A 2-dimensional subspace of $\\mathbb{F}_2^3$ has $3$ nonzero vectors $x, y, x + y$; there are $7$ such subspaces and any two nonzero vectors span exactly one.',
  },
  {
    claim: 'The automorphism group $G = \\mathrm{Aut}$ of {s} has order $|G| = 168 = 7 \\cdot 6 \\cdot 4$.',
    kind: 'computed',
    argument: 'An automorphism is fixed by the images of a non-collinear triple $(p, q, r)$: $7$ choices for $p$, $6$ for $q$, $4$ for $r$ off the line $\\ell(p, q)$, each extending uniquely.',
  },
  {
    claim: 'The automorphism group of {s} acts transitively on its $21$ flags.',
    kind: 'proved',
    argument: '$G \\cong \\mathrm{GL}_3(\\mathbb{F}_2)$ acts transitively on pairs (nonzero vector, 2-dimensional subspace containing it) by extending a basis.',
  },
  {
    claim: 'Every permutation of the $7$ points of {s} that maps lines to sets of $3$ points is an automorphism.',
    kind: 'proved',
    argument: 'A permutation preserves the size of every set, so it maps each line to a $3$-set, hence to a line.',
    counterexample: 'The transposition of two points maps some line $\\{a, b, c\\}$ with $a$ moved and $b$ fixed to $\\{a\\prime, b, c\\}$, a $3$-set that is not a line: $3$-sets are not lines in general ($35$ of them, $7$ lines).',
  },
  {
    claim: 'Removing one point of {s} and the lines through it leaves a configuration of $6$ points and $4$ lines in which every two points are joined.',
    kind: 'computed',
    argument: 'Each point lies on $3$ lines, so $7 - 3 = 4$ lines remain, each missing the removed point, with all $3$ of their points kept.',
    counterexample: 'Two points $a, b$ on a common line through the removed point $p$ are joined only by $\\ell(a, b) = \\ell(p, a)$, which was removed: they are not joined in what is left.',
  },
  {
    claim: 'The number $7$ of points of {s} equals the number of imaginary octonion units, and this explains the octonion multiplication table.',
    kind: 'conjectured',
    argument: 'Both counts are $7$; the seven lines list the seven quaternionic triples.',
    counterexample: 'An equality of counts explains nothing: the orientation of the lines, which the multiplication table needs, is extra data not determined by the plane.',
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
      statement: claims.join(' Moreover, '),
      kind,
      argument: parts.map((c, k) => `(${k + 1}) ${c.argument}`).join(' '),
      claims,
      dependsOn: axiomId ? [axiomId] : [],
      tags: [pick(['geometry', 'groups', 'algebra', 'combinatorics'], x, 20 + i * 6)],
      confidence: Math.round((0.4 + unit(x, 24 + i * 6) * 0.55) * 100) / 100,
      exchanges: [Math.floor(unit(x, 28 + i * 4) * count)],
    };
  });
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
