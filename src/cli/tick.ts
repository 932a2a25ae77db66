import type { Problem } from '../core/problems.js';
import { tryIdleTick } from '../tick/idle-hint.js';

export async function runTickCommand(opts: { home: string; once: boolean; out: (s: string) => void }): Promise<number> {
  // Under cron stdout is not a terminal: stay quiet unless something is wrong (errors go to stderr).
  const interactive = Boolean(process.stdout.isTTY);
  // Most timer ticks have nothing to do: prove that from file stamps before loading anything heavy.
  const idle = tryIdleTick(opts.home, new Date());
  if (idle) {
    if (interactive) opts.out(`tick ${idle.id}: idle (nothing changed since the last tick)`);
    return 0;
  }
  const { runTick } = await import('../tick/run-tick.js');
  const { formatProblem } = await import('../core/problems.js');
  // Each problem once, on stderr, even under cron (which mails it): the tick goes on with the rest.
  const onProblem = (p: Problem) => process.stderr.write(`fano: problem: ${formatProblem(p)}\n`);
  const s = await runTick({ home: opts.home, once: opts.once, progress: interactive ? (l) => opts.out(l) : undefined, onProblem });
  if (interactive) {
    opts.out(`tick ${s.id}: ${s.outcome}, ${s.steps} step(s), ${s.requests} request(s), ${s.discovered} new task(s)${s.recovered ? `, ${s.recovered} recovered` : ''}${s.problems ? `, ${s.problems} problem(s) to fix (fano status)` : ''}; log ${s.logFile}`);
  }
  return 0;
}
