import type { Problem } from '../core/problems.js';
import { ExitCode } from '../errors.js';
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
  // Ctrl-C / SIGTERM: stop at the next safe point (no new request, submitted ones left for the next
  // tick to harvest), close the tick normally, say so. A second signal ends the process at once:
  // the state is crash-safe anyway.
  const stop = new AbortController();
  let caught: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (caught) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, sig);
      return;
    }
    caught = sig;
    process.stderr.write(`fano: ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping at the next safe point (again to stop at once)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let s;
  try {
    s = await runTick({ home: opts.home, once: opts.once, progress: interactive ? (l) => opts.out(l) : undefined, onProblem, stop: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (caught) {
    process.stderr.write(`fano: interrupted: the next tick resumes (${s.steps} step(s) done in this one)\n`);
    return caught === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
  }
  if (interactive) {
    opts.out(
      `tick ${s.id}: ${s.outcome}, ${s.steps} step(s), ${s.requests} request(s), ${s.discovered} new task(s)${s.recovered ? `, ${s.recovered} recovered` : ''}${s.problems ? `, ${s.problems} problem(s) to fix (fano status)` : ''}; log ${s.logFile}`,
    );
  }
  return 0;
}
