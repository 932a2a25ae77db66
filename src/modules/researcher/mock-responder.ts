import { CONSULTATION_FORMAT } from '../../core/consultation.js';
import { hashUnit as unit, sha256Hex as h } from '../../core/hash.js';
import { lineValue } from '../shared/mock-prompt.js';
import { RFORMAT } from './formats.js';

/**
 * What the mock backend answers to Researcher and consultation prompts (recognised by their
 * `FORMAT:` line): valid, deterministic answers, a function of (seed, prompt) only. The extraction
 * answer always carries one fabricated quote next to real ones, so every mock run exercises the
 * citation check; a source whose text says "UNTRUSTWORTHY" is judged untrusted. A research prompt
 * that contains "MOCK-MALFORMED" (e.g. in a source page) gets a broken first answer, so a test can
 * exercise the repair prompt deterministically; the repair prompt (`REPAIR: yes`) is answered with
 * the same content in format.
 */

const MALFORMED = 'MOCK-MALFORMED';
const RESEARCH_FORMATS: ReadonlySet<string> = new Set(Object.values(RFORMAT));

function sourceTextOf(prompt: string): string {
  return /^SOURCE TEXT BEGIN\n([\s\S]*?)\nSOURCE TEXT END$/m.exec(prompt)?.[1] ?? '';
}

function sentences(text: string): string[] {
  return text
    .replace(/\[\.\.\. \d+ more characters not shown\]/, '')
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.split(' ').length >= 6 && s.length <= 400);
}

/** What a chat model does when it runs out mid-answer: prose, then a JSON object cut short. */
const broken = (answer: string) => `Here is what I found: ${answer.slice(0, -1)}`;

/** Undoes `broken` on the raw answer a repair prompt shows, as a model given its answer back would. */
function repaired(prompt: string): string | null {
  const raw = /^<<<\n([\s\S]*?)\n>>>$/m.exec(prompt)?.[1] ?? '';
  const start = raw.indexOf('{');
  if (start < 0) return null;
  const fixed = `${raw.slice(start)}}`;
  try {
    JSON.parse(fixed);
    return fixed;
  } catch {
    return null; // not one of ours (or clipped): answer the format afresh
  }
}

export function researcherMockAnswer(seed: number, prompt: string): string | null {
  const research = RESEARCH_FORMATS.has(lineValue(prompt, 'FORMAT') ?? '');
  if (research && /^REPAIR:\s*yes/m.test(prompt)) return repaired(prompt) ?? freshAnswer(seed, prompt);
  const answer = freshAnswer(seed, prompt);
  return research && answer !== null && prompt.includes(MALFORMED) ? broken(answer) : answer;
}

function freshAnswer(seed: number, prompt: string): string | null {
  const format = lineValue(prompt, 'FORMAT');
  const x = h('researcher', seed, prompt);
  switch (format) {
    case RFORMAT.questions: {
      const insights = [...prompt.matchAll(/^- (.+)$/gm)].map((m) => m[1]!).filter((t) => t.length > 10);
      const about = insights[Math.floor(unit(x) * Math.max(1, insights.length))] ?? 'the structure studied';
      return JSON.stringify({ questions: [{ text: `What does the literature say about this: ${about.slice(0, 200)}`, urls: [] }] });
    }
    case RFORMAT.evaluate: {
      const text = sourceTextOf(prompt);
      const bad = /UNTRUSTWORTHY/.test(text);
      const trust = bad ? 0.2 : Math.round((0.7 + unit(x) * 0.25) * 100) / 100;
      return JSON.stringify({
        trust,
        relevance: bad ? 0.3 : 0.8,
        reasoning: bad ? 'The page flags itself as unreliable and cites nothing.' : 'A carefully written page with definitions and references.',
      });
    }
    case RFORMAT.extract: {
      const real = sentences(sourceTextOf(prompt)).slice(0, 2);
      const findings = real.map((q) => ({ claim: `The source states: ${q.slice(0, 120)}`, quote: q }));
      // Always one invented quote: the citation check must reject it.
      findings.push({
        claim: 'The source proves a strong classification theorem.',
        quote: `Every such structure is unique up to isomorphism and this was proved in 1893 (${x.slice(0, 6)}).`,
      });
      return JSON.stringify({ findings });
    }
    case RFORMAT.synthesize: {
      const ids = [...prompt.matchAll(/^FINDING (\S+): (.+?) \| QUOTE/gm)].map((m) => ({ id: m[1]!, claim: m[2]! }));
      const seeds = ids
        .slice(0, 2)
        .map((f) => ({ text: `Can the exploration confirm this: ${f.claim.slice(0, 200)}?`, type: 'question', priority: 5, findings: [f.id] }));
      return JSON.stringify({ seeds });
    }
    case CONSULTATION_FORMAT: {
      const modules = (lineValue(prompt, 'MODULE NAMES') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      // Weigh by queued work: where the backlog builds, effort goes.
      const weights: Record<string, number> = {};
      for (const m of modules) {
        const queued = Number(new RegExp(`^- ${m}: weight [\\d.]+, queued (\\d+)`, 'm').exec(prompt)?.[1] ?? 0);
        weights[m] = 10 + queued;
      }
      return JSON.stringify({ weights, reasoning: 'Effort follows the queued work, so no backlog keeps growing.' });
    }
    default:
      return null;
  }
}
