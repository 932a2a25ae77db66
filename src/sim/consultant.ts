import type { FanoConfig } from '../config/schema.js';
import { CONSULTATION_FORMAT, CONSULTATION_MODULE, consultationStats } from '../core/consultation.js';
import { sha256Hex } from '../core/hash.js';
import type { FanoState } from '../core/types.js';
import { unitHash } from './scenario.js';

/**
 * The priority consultation on the simulator: the REAL consultation module (due rule, share cap,
 * its prompt from the home's backlogs, parsing, weights as `meta.weights`) with a simulated
 * consultant in place of the model.
 */

export interface ConsultantOptions {
  /** Share of answers that are malformed (the module must ignore them). */
  malformedRate: number;
  /**
   * The split the consultant starts from (the configured weights: the user's intent). Without a
   * fixed prior it would drift: in this workload a module's queue grows with its share (its
   * answers queue follow-ups), so "more weight where more is queued" would feed on itself.
   */
  prior: Record<string, number>;
}

const DEFAULT_MALFORMED_RATE = 0.1;

/** How strongly the queue tilts the prior: a module with twice the mean queue gets 1 + TILT times its prior weight. */
const TILT = 0.5;
/** The tilt is bounded to this factor either way, so one module's long queue cannot take everything. */
const MAX_FACTOR = 1.5;

interface ModuleLine {
  module: string;
  weight: number;
  queued: number;
}

/** The MODULES lines of the summary (`- explorer: weight 40, queued 5, ...`): all the consultant reads. */
export function readModuleLines(prompt: string): ModuleLine[] {
  const out: ModuleLine[] = [];
  for (const m of prompt.matchAll(/^- ([\w-]+): weight ([\d.]+), queued (\d+)/gm)) out.push({ module: m[1]!, weight: Number(m[2]), queued: Number(m[3]) });
  return out;
}

/** The ways a real model gets the format wrong: prose, cut-off JSON, a module that does not exist, no reasoning. */
export const MALFORMED: ReadonlyArray<(lines: ModuleLine[]) => string> = [
  (l) => `I would give ${l[0]?.module ?? 'the explorer'} a little more effort this hour.`,
  (l) => `{"weights": {${l.map((x) => `"${x.module}": ${x.weight}`).join(', ')}`,
  () => '{"weights": {"planner": 50}, "reasoning": "Planning is behind."}',
  (l) => JSON.stringify({ weights: Object.fromEntries(l.map((x) => [x.module, x.weight])) }),
];

/**
 * The simulated consultant's answer to a consultation prompt. Deterministic in (prompt, key):
 * whether it is malformed depends on a hash of the task's key, like the workload's outcomes. A
 * good answer does what the prompt asks, shifting effort to where work piles up: each module's
 * prior weight is scaled by how its queue compares with the mean queue (bounded by MAX_FACTOR),
 * so the advice follows the backlogs of the moment and returns to the prior when they even out.
 */
export function consultantAnswer(prompt: string, key: string, o: ConsultantOptions): string {
  const lines = readModuleLines(prompt);
  if (unitHash(`${key}:malformed`) < o.malformedRate) return MALFORMED[Math.floor(unitHash(`${key}:kind`) * MALFORMED.length)]!(lines);
  const mean = lines.reduce((a, l) => a + l.queued, 0) / Math.max(1, lines.length);
  const raw = lines.map((l) => {
    const factor = mean > 0 ? Math.min(MAX_FACTOR, Math.max(1 / MAX_FACTOR, 1 + (TILT * (l.queued - mean)) / mean)) : 1;
    return (o.prior[l.module] ?? l.weight) * factor;
  });
  const sum = raw.reduce((a, b) => a + b, 0) || 1;
  const weights: Record<string, number> = {};
  lines.forEach((l, i) => (weights[l.module] = Math.round((raw[i]! / sum) * 1000) / 10));
  const top = [...lines].sort((a, b) => b.queued - a.queued || a.module.localeCompare(b.module))[0];
  const reasoning = top ? `${top.module} has the most queued work (${top.queued}); shifting effort towards it.` : 'Nothing is queued.';
  return JSON.stringify({ weights, reasoning });
}

/**
 * The simulated consultant, as a mock responder: it answers the real consultation module's prompts
 * (recognised by their FORMAT line) the way `consultantAnswer` says, and nothing else. Whether an
 * answer is malformed depends on a hash of the prompt, so a run is deterministic.
 */
export function consultantResponder(config: FanoConfig, consultant: Partial<ConsultantOptions> = {}): (seed: number, prompt: string) => string | null {
  const o = { malformedRate: DEFAULT_MALFORMED_RATE, prior: config.scheduler.weights, ...consultant };
  return (seed, prompt) =>
    prompt.includes(`FORMAT: ${CONSULTATION_FORMAT}`) ? consultantAnswer(prompt, `${seed}:${sha256Hex(prompt).slice(0, 16)}`, o) : null;
}

export interface SimConsultationReport {
  /** Consultation answers received (the share cap counts requests: consultationShare). */
  count: number;
  /** Answers that set the weights / malformed ones ignored. */
  applied: number;
  ignored: number;
  /** The weights the last good answer set (percent), null if none did. */
  lastWeights: Record<string, number> | null;
}

/** The consultations as the state records them (module data and meta.weights). */
export function consultationReport(state: Readonly<FanoState>): SimConsultationReport {
  const docs = Object.values(state.modules[CONSULTATION_MODULE]?.consultations ?? {}) as Array<{ applied?: boolean }>;
  const applied = docs.filter((d) => d.applied === true).length;
  const w = state.meta.weights;
  return { count: consultationStats(state).count, applied, ignored: docs.length - applied, lastWeights: w?.source === 'consultation' ? { ...w.values } : null };
}
