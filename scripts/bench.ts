// `npm run bench`: every speed and memory target, measured side by side in one run and printed as
// a table of figures and ratios (targets are checked here, never by timed assertions in tests).
import type { BenchRow } from './bench/types.js';

type Suite = { name: string; run: () => Promise<BenchRow[]> | BenchRow[] };

const suites: Suite[] = [
  { name: 'tick start-up', run: async () => (await import('./bench/tick.js')).benchTick() },
  { name: 'runs/ growth', run: async () => (await import('./bench/disk.js')).benchDisk() },
  { name: 'store', run: async () => (await import('./bench/store.js')).benchStore() },
  { name: 'scheduler simulation', run: async () => (await import('./bench/sim.js')).benchSim() },
  { name: 'simulated day', run: async () => (await import('./bench/sim.js')).benchSimDay() },
  { name: 'browser gateway', run: async () => (await import('./bench/gateway.js')).benchGateway() },
  { name: 'resident browser', run: async () => (await import('./bench/resident.js')).benchResident() },
  { name: 'torture', run: async () => (await import('./bench/torture.js')).benchTorture() },
];

// Suite names to run (flags such as `--kills 1000` and their values belong to a suite).
const args = process.argv.slice(2);
const only = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'));
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
let failed = 0;
for (const s of suites) {
  if (only.length > 0 && !only.some((o) => s.name.includes(o))) continue;
  console.log(`\n## ${s.name}`);
  try {
    for (const r of await s.run()) {
      const verdict = r.ok === undefined ? '' : r.ok ? '  ok' : '  MISSED';
      if (r.ok === false) failed++;
      console.log(`${r.name.padEnd(58)} ${`${fmt(r.value)} ${r.unit}`.padStart(14)}${r.target ? `   target ${r.target}` : ''}${verdict}`);
    }
  } catch (err) {
    failed++;
    console.log(`(suite failed: ${(err as Error).message})`);
  }
}
console.log(`\n${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}`);
