import { repairStore } from '../store/store.js';

export async function runRepair(opts: { home: string; json: boolean; out: (s: string) => void }): Promise<number> {
  const r = await repairStore(opts.home);
  opts.out(opts.json ? JSON.stringify(r, null, 2) : formatRepair(r));
  return 0;
}

function formatRepair(r: object): string {
  // The store's report is self-describing; print it as indented key: value lines.
  return Object.entries(r)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}
