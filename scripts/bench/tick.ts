import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTask } from '../../src/core/lifecycle.js';
import { stableStringify } from '../../src/core/stable-json.js';
import { emptyState } from '../../src/core/types.js';
import type { BenchRow } from './types.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A home whose checkpoint holds `n` finished (not yet archived) tasks and nothing to do. */
export function idleHome(n: number): string {
  const home = mkdtempSync(join(tmpdir(), 'fano-bench-'));
  mkdirSync(join(home, 'state'), { recursive: true });
  writeFileSync(join(home, 'fano.config.yaml'), 'backends:\n  mock:\n    type: mock\n');
  const state = emptyState();
  const now = new Date();
  for (let i = 0; i < n; i++) {
    const t = createTask(
      {
        module: 'echo',
        type: 'exploration',
        context: { seedId: `s${i}`, text: `Seed ${i}: a question about lines and points of the plane.` },
        priority: i % 10,
      },
      now,
    );
    state.tasks[t.key] = {
      ...t,
      state: 'completed',
      llmRequests: 2,
      finishedAt: now.toISOString(),
      result: { seedId: `s${i}`, turns: 2 },
      data: { answers: ['first answer text '.repeat(4), 'second answer text '.repeat(4)] },
    };
  }
  writeFileSync(join(home, 'state', 'checkpoint.json'), stableStringify({ lastSeq: n, state }));
  return home;
}

function timeMs(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Idle `fano tick` on a 10,000-task home vs bare `node -e ''`, interleaved so noise hits both alike. */
export function benchTick(runs = 15): BenchRow[] {
  const home = idleHome(10_000);
  const fano = resolve('bin/fano.js');
  timeMs(process.execPath, [fano, '--home', home, 'tick']); // warm the page cache
  const bare: number[] = [];
  const tick: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timeMs(process.execPath, ['-e', '']));
    tick.push(timeMs(process.execPath, [fano, '--home', home, 'tick']));
  }
  const ratio = median(tick) / median(bare);
  return [
    { name: 'bare node -e "" (median)', value: median(bare), unit: 'ms' },
    { name: 'idle fano tick, 10,000 tasks (median)', value: median(tick), unit: 'ms' },
    { name: 'idle tick / bare node', value: ratio, unit: '×', target: '≤ 2×', ok: ratio <= 2 },
  ];
}
