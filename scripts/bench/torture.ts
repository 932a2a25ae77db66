import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../../src/core/rng.js';
import type { FanoState } from '../../src/core/types.js';
import { readArchive, readState, verifyStore } from '../../src/store/store.js';
import { echoHomeConfig } from '../../test/support/echo-home.js';
import type { BenchRow } from './types.js';

/**
 * `npm run bench -- torture [--kills N] [--workers W]`: random SIGKILLs during real `fano tick`
 * processes on the mock, as weeks of unattended running deliver them. Each worker keeps one home
 * busy (seeds arrive in batches), starts a tick, waits until the tick holds the lock (so every kill
 * lands mid-tick: load, recovery, discovery, requests, checkpoint, projections, unlock), kills it
 * after a random 0-400 ms, and checks the home: `fano verify` must pass, no task once completed
 * may be anything else later (state or archive), and no answer may be applied twice. One tick in
 * five runs to its end so the work finishes and the log is checkpointed.
 */

const TURNS = 3;
const BATCH = 12;
const FANO = resolve('bin/fano.js');

const config = echoHomeConfig({
  mock: { hourlyLimit: 1_000_000, latencyMs: 15, failureRate: 0.15, seed: 11 },
  turns: TURNS,
  tick: { maxRequests: 6, lockStaleSeconds: 2 },
  state: { archiveAfterDays: 0 },
  immediateRetries: true,
});
const seedsYaml = (n: number) =>
  'seeds:\n' +
  Array.from(
    { length: n },
    (_, i) => `  - id: s${i}\n    type: question\n    priority: ${1 + (i % 10)}\n    text: Seed number ${i} about lines and points.\n`,
  ).join('');

export interface TortureResult {
  kills: number;
  breaks: string[];
  ticks: number;
  minutes: number;
}

class Worker {
  readonly home = mkdtempSync(join(tmpdir(), 'fano-torture-bench-'));
  private completed = new Set<string>();
  private seeds = BATCH;
  kills = 0;
  ticks = 0;
  breaks: string[] = [];

  constructor(private readonly rng: () => number) {
    mkdirSync(join(this.home, 'state', 'explorer'), { recursive: true });
    writeFileSync(join(this.home, 'fano.config.yaml'), config);
    writeFileSync(join(this.home, 'state', 'explorer', 'seeds.yaml'), seedsYaml(this.seeds));
  }

  private ownerPid(): number | null {
    try {
      return (JSON.parse(readFileSync(join(this.home, 'state', 'tick.lock', 'owner.json'), 'utf8')) as { pid: number }).pid;
    } catch {
      return null;
    }
  }

  /** One tick: killed mid-tick (4 in 5) or run to its end. Returns whether a kill landed. */
  async round(): Promise<boolean> {
    const child = spawn(process.execPath, [FANO, '--home', this.home, 'tick'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FANO_CRASH_AT: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    this.ticks += 1;
    let landed = false;
    if (this.rng() < 0.8) {
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited && this.ownerPid() !== child.pid) await sleep(5);
      if (!exited) {
        await sleep(Math.floor(this.rng() * 400));
        landed = !exited && child.kill('SIGKILL');
      }
    }
    const r = await done;
    if (r.signal === 'SIGKILL' && landed) this.kills += 1;
    else if (r.code !== 0 && r.code !== 75) this.breaks.push(`${this.home}: tick exited ${r.code ?? r.signal}: ${stderr.trim().split('\n')[0]}`);
    await this.check();
    return landed && r.signal === 'SIGKILL';
  }

  private async check(): Promise<void> {
    const v = await verifyStore(this.home);
    if (!v.ok) this.breaks.push(`${this.home}: verify: ${v.problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`).join('; ')}`);
    const { state } = await readState(this.home);
    const archived = new Map((await readArchive(this.home)).tasks.map((t) => [t.key, t]));
    for (const key of this.completed) {
      const t = state.tasks[key] ?? archived.get(key);
      if (t?.state !== 'completed') this.breaks.push(`${this.home}: completed task ${key} is now ${t?.state ?? 'gone'}`);
    }
    for (const t of [...Object.values(state.tasks), ...archived.values()]) {
      if (t.state === 'completed') this.completed.add(t.key);
      const answers = ((t.data as { answers?: unknown[] }).answers ?? []).length;
      if (answers > TURNS || answers !== t.llmRequests) this.breaks.push(`${this.home}: task ${t.key} has ${answers} answers for ${t.llmRequests} requests`);
    }
    if (this.done(state)) {
      this.seeds += BATCH;
      writeFileSync(join(this.home, 'state', 'explorer', 'seeds.yaml'), seedsYaml(this.seeds));
    }
  }

  private done(s: FanoState): boolean {
    return (
      !Object.values(s.tasks).some((t) => t.state === 'pending' || t.state === 'running' || t.state === 'paused') &&
      Object.keys(s.modules.echo?.results ?? {}).length >= this.seeds
    );
  }
}

export async function runTorture(kills: number, workers: number, progress: (line: string) => void = () => {}): Promise<TortureResult> {
  const rng = mulberry32(20261202);
  const pool = Array.from({ length: workers }, () => new Worker(rng));
  const t0 = Date.now();
  const total = () => pool.reduce((n, w) => n + w.kills, 0);
  let next = 50;
  await Promise.all(
    pool.map(async (w) => {
      while (total() < kills) {
        await w.round();
        if (total() >= next) {
          next += 50;
          const min = (Date.now() - t0) / 60_000;
          progress(`torture: ${total()} kills landed, ${pool.reduce((n, x) => n + x.breaks.length, 0)} breaks, ${(total() / min).toFixed(1)} kills/min`);
        }
      }
    }),
  );
  const result = { kills: total(), breaks: pool.flatMap((w) => w.breaks), ticks: pool.reduce((n, w) => n + w.ticks, 0), minutes: (Date.now() - t0) / 60_000 };
  for (const w of pool) if (w.breaks.length === 0) rmSync(w.home, { recursive: true, force: true });
  return result;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** The bench suite: 30 kills unless `--kills N` asks for more. */
export async function benchTorture(): Promise<BenchRow[]> {
  const r = await runTorture(flag('--kills', 30), flag('--workers', 2), (l) => console.log(l));
  for (const b of r.breaks.slice(0, 20)) console.log(`BREAK ${b}`);
  return [
    { name: 'torture: kills landed mid-tick (SIGKILL holding the lock)', value: r.kills, unit: 'kills' },
    { name: 'torture: ticks run', value: r.ticks, unit: 'ticks' },
    { name: 'torture: breaks (verify, completed lost, answer twice)', value: r.breaks.length, unit: 'breaks', target: '0', ok: r.breaks.length === 0 },
    { name: 'torture: kills per minute', value: r.kills / r.minutes, unit: 'kills/min' },
  ];
}
