import { UsageError } from '../errors.js';
import { SCENARIOS, type ScenarioName } from '../sim/scenario.js';
import { compareAlgorithms, type SimComparison, type SimReport } from '../sim/simulate.js';

/**
 * `fano simulate --days N --seed S [--scenario steady|logout|ratelimit-storm|comment-burst|seed-flood] [--json]`: fano (the real
 * tick loop and modules) and the original design's algorithm (sim/baseline.ts) side by side on the
 * same simulated world (hidden limits, outages, a person adding seeds and comments). Touches no
 * home: the simulation runs in a temporary one, on a virtual clock.
 */
export interface SimulateCommandOptions {
  days: number;
  seed: number;
  /** The simulated world (default steady). */
  scenario?: string;
  json: boolean;
  out: (s: string) => void;
  /** The runs (tests pass a smaller world). */
  compare?: (days: number, seed: number, scenario: ScenarioName) => Promise<SimComparison>;
}

/** Longer runs are fine but slow: each simulated day runs thousands of real tick steps (docs/simulation.md). */
export const MAX_SIM_DAYS = 365;

export async function runSimulateCommand(opts: SimulateCommandOptions): Promise<number> {
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_SIM_DAYS) {
    throw new UsageError(`--days must be a whole number from 1 to ${MAX_SIM_DAYS} (got ${opts.days})`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new UsageError(`--seed must be an integer (got ${opts.seed})`);
  const scenario = opts.scenario ?? 'steady';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${scenario})`);
  const compare = opts.compare ?? ((d: number, s: number, n: ScenarioName) => compareAlgorithms(d, s, undefined, undefined, n));
  const r = await compare(opts.days, opts.seed, scenario as ScenarioName);
  opts.out(opts.json ? JSON.stringify(r, null, 2) : formatComparison(r));
  return 0;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '∞');

interface Row {
  label: string;
  get: (r: SimReport) => string;
  goal?: string;
}

const ROWS: Row[] = [
  { label: 'capacity used (of the hidden capacity)', get: (r) => pct(r.capacityUsed), goal: '≥ 95 %' },
  { label: 'rate-limit hits / backend / day (after day 1)', get: (r) => num(r.rateLimitHitsPerBackendDayAfterDay1, 2), goal: '≤ 1' },
  { label: 'comment latency p50 (sim min)', get: (r) => num(r.commentLatencyP50Min) },
  { label: 'comment latency p95 (sim min)', get: (r) => num(r.commentLatencyP95Min), goal: '≤ 15' },
  { label: 'longest wait of a runnable task (min)', get: (r) => num(r.longestWaitMin), goal: '< 120' },
  { label: 'longest wait of a deep-mode task (min)', get: (r) => num(r.longestDeepWaitMin) },
  { label: 'urgent seed explored, median (min)', get: (r) => num(r.urgentSeedExploreMedianMin) },
  { label: 'urgent seed explored, max (min)', get: (r) => num(r.urgentSeedExploreMaxMin) },
  { label: 'tasks completed / day', get: (r) => num(r.tasksPerDay) },
  { label: 'insights blessed / day', get: (r) => num(r.blessedPerDay) },
  { label: 'requests started per tick, median', get: (r) => String(r.stepsPerTickP50) },
  {
    label: 'longest stall on an unavailable backend while another was idle (min)',
    get: (r) => (r.stalledWhileOtherFreeMaxMin === null ? '-' : num(r.stalledWhileOtherFreeMaxMin)),
    goal: '≤ 30',
  },
  { label: 'deep-mode uses', get: (r) => String(r.deepUses) },
  { label: 'consultation share of requests', get: (r) => pct(r.consultationShare), goal: '≤ 5 %' },
  // Only fano's consultations are real (applied or ignored answers); the baseline's is a placeholder.
  { label: 'consultations applied / ignored', get: (r) => (r.consultation ? `${r.consultation.applied} / ${r.consultation.ignored}` : '-') },
  { label: 'requests sent / answered ok', get: (r) => `${r.requests} / ${r.okAnswers}` },
];

function moduleRows(c: SimComparison): Row[] {
  const names = [...new Set([...Object.keys(c.fano.moduleWeights), ...Object.keys(c.fano.moduleShare)])].sort();
  return names.map((m) => ({
    label: `share of requests: ${m}`,
    get: (r: SimReport) => pct(r.moduleShare[m] ?? 0),
    goal: `weight ${pct(c.fano.moduleWeights[m] ?? 0)}`,
  }));
}

function backendRows(c: SimComparison): Row[] {
  return Object.entries(c.fano.backends).flatMap(([name, b]) => [
    {
      label: `${name}: capacity used (hidden ${b.hiddenHourlyCap}/h, config ${b.configuredHourly}/h)`,
      get: (r: SimReport) => pct(r.backends[name]?.capacityUsed ?? 0),
    },
    { label: `${name}: rate-limit hits / day (after day 1)`, get: (r: SimReport) => num(r.backends[name]?.rateLimitHitsPerDayAfterDay1 ?? 0, 2) },
  ]);
}

export function formatComparison(c: SimComparison): string {
  const rows = [...ROWS, ...moduleRows(c), ...backendRows(c)];
  const w0 = Math.max(...rows.map((r) => r.label.length));
  const cells = rows.map((r) => [r.get(c.fano), r.get(c.baseline)] as const);
  const w1 = Math.max(4, ...cells.map(([f]) => f.length));
  const w2 = Math.max(8, ...cells.map(([, b]) => b.length));
  const line = (a: string, b: string, d: string, g: string) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${d.padStart(w2)}  ${g}`.trimEnd();
  const out = [
    `fano simulate: ${c.days} simulated day(s), seed ${c.seed}, ${(c.wallMs / 1000).toFixed(1)} s wall`,
    '',
    line('', 'fano', 'baseline', 'goal'),
    ...rows.map((r, i) => line(r.label, cells[i]![0], cells[i]![1], r.goal ?? '')),
    '',
    `tasks/day fano ÷ baseline: ${num(c.tasksPerDayRatio, 2)}×   (goal ≥ 2.5×)`,
    "baseline = the seed's algorithm as written: one global gateway lock, hourly_limit = used × 0.8 on a",
    'rate limit, a scheduler that only skips completed tasks. Both run on the same world and workload.',
  ];
  const notes = [...new Set([...c.fano.notes, ...c.baseline.notes])];
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
