import { ExitCode } from '../errors.js';
import { verifyStore } from '../store/store.js';

export async function runVerify(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const r = await verifyStore(opts.home);
  if (opts.json) opts.out(JSON.stringify(r, null, 2));
  else {
    opts.out(`${r.ok ? 'ok' : 'CORRUPT'}: checkpoint seq ${r.checkpointSeq}, ${r.pendingRecords} record(s) in the log after it`);
    if (r.tornTail) opts.out(`torn last record at log line ${r.tornTail.line} (${r.tornTail.reason}): the trace of a crash; the next tick repairs it`);
    for (const p of r.problems) opts.out(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    if (!r.ok) opts.out('Nothing was changed. Run `fano repair` to recover from checkpoint.prev.json and the log.');
  }
  return r.ok ? ExitCode.ok : ExitCode.corrupt;
}
