import { repairStore, type RepairReport } from '../store/store.js';

export async function runRepair(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const r = await repairStore(opts.home);
  opts.out(opts.json ? JSON.stringify(r, null, 2) : formatRepair(r));
  return 0;
}

/** What a person needs after a repair: what the state was rebuilt from, what was kept, what was lost. */
export function formatRepair(r: RepairReport): string {
  if (!r.changed) return ['nothing to repair: the state is consistent.', ...r.notes.map((n) => `  ${n}`)].join('\n');
  const lines = [
    `repaired: rebuilt from ${r.base === 'empty' ? 'an empty state' : `${r.base}.json`} (seq ${r.baseSeq}), new checkpoint at seq ${r.newCheckpointSeq}`,
  ];
  lines.push(r.kept.records > 0 ? `  kept:  ${r.kept.records} log record(s), seq ${r.kept.fromSeq}..${r.kept.toSeq}` : '  kept:  no log records');
  if (r.lost.lines > 0) lines.push(`  lost:  ${r.lost.lines} log line(s) from line ${r.lost.fromLine}, moved to ${r.lost.movedTo}`);
  for (const g of r.lost.gaps) lines.push(`  lost:  records seq ${g.from}..${g.to} (no longer in the log)`);
  const cr = r.lost.checkpointRecords;
  if (cr) lines.push(`  lost:  records seq ${cr.from}..${cr.to}, which only the unreadable checkpoint held: ${cr.summary}`);
  if (r.lost.checkpointMovedTo) lines.push(`  moved: the unreadable checkpoint to ${r.lost.checkpointMovedTo}`);
  for (const n of r.notes) lines.push(`  note:  ${n}`);
  lines.push('Work those records described is redone by the next ticks where the modules still want it.');
  return lines.join('\n');
}
