import { loadConfig } from '../config/load.js';
import { formatMetrics, type Metrics } from '../core/metrics.js';
import { formatProblem } from '../core/problems.js';
import { backlogOptions, moduleBacklogs } from '../modules/backlogs.js';
import { buildStatus, type StatusReport } from '../status/status-report.js';
import { readState } from '../store/store.js';
import { readLastTick } from '../tick/runs.js';

export async function runStatus(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const { config } = await loadConfig(opts.home);
  // Lock-free: status must answer while a tick runs, and never repairs or writes.
  const { state, checkpointSeq, pendingRecords } = await readState(opts.home);
  const r = buildStatus(
    opts.home,
    state,
    config,
    { checkpointSeq, pendingRecords },
    readLastTick(opts.home),
    new Date(),
    moduleBacklogs(opts.home, state, backlogOptions(config)),
  );
  opts.out(opts.json ? JSON.stringify(r, null, 2) : formatStatus(r));
  return 0;
}

export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  lines.push(`fano home ${r.home}${r.paused ? '   [PAUSED: ticks do no LLM work]' : ''}`);
  const t = r.lastTick;
  lines.push(
    t
      ? `last tick  ${t.id}  ${t.outcome}  started ${t.startedAt}  ${t.steps} step(s)${t.error ? `  error: ${t.error}` : ''}`
      : 'last tick  never (run `fano tick`)',
  );
  lines.push('');
  lines.push(
    `tasks      ${r.tasks.total} total: ` +
      Object.entries(r.tasks.byState)
        .map(([s, n]) => `${n} ${s}`)
        .join(', '),
  );
  for (const [m, n] of Object.entries(r.tasks.byModule).sort()) lines.push(`           ${m.padEnd(12)} ${n}`);
  lines.push('');
  lines.push('backend      type     status       hour used/limit (learned)  deep today  limited until');
  for (const b of r.backends) {
    const learned = b.effectiveHourly !== b.hourlyLimit ? ` (${b.effectiveHourly})` : '';
    lines.push(
      `${b.name.padEnd(12)} ${b.type.padEnd(8)} ${b.status.padEnd(12)} ${`${b.requestsThisHour}/${b.hourlyLimit}${learned}`.padEnd(26)} ${`${b.deepUsedToday}/${b.deepDailyLimit}`.padEnd(11)} ${b.rateLimitedUntil ?? (b.usedUpUntil ? `${b.usedUpUntil} (quota used up)` : '-')}`,
    );
    if (b.usedUpUntil)
      lines.push(
        `             used up until ${b.usedUpUntil.slice(11, 16)} UTC (${b.requestsThisHour} of ${b.effectiveHourly} requests in the last hour): work resumes then`,
      );
    if (b.needsHuman) lines.push(`             needs a person: ${b.needsHuman.reason} (since ${b.needsHuman.since}); fix it with \`fano login ${b.name}\``);
  }
  lines.push('');
  lines.push(
    `weights    ${Object.entries(r.weights)
      .map(([m, w]) => `${m} ${Math.round(w * 10) / 10}`)
      .join(', ')} (from ${r.weightsSource})`,
  );
  if (r.weightsReasoning) lines.push(`           consulted ${r.weightsAt ?? ''}: ${r.weightsReasoning}`);
  if ('backlogs' in r.metrics) {
    lines.push('');
    lines.push(...formatMetrics(r.metrics as Metrics));
  }
  lines.push(`log        checkpoint seq ${r.log.checkpointSeq}, ${r.log.pendingRecords} record(s) pending`);
  lines.push('');
  if (r.problems.length === 0) lines.push('problems   none');
  else {
    lines.push(`problems   ${r.problems.length} to fix (fano leaves this text alone until then):`);
    for (const p of r.problems) lines.push(`  ${formatProblem(p)}`);
  }
  return lines.join('\n');
}
