// `npm run demo`: creates a fano home in ./demo-home (mock backend, sample seeds), runs ticks until
// the Explorer has judged its first insights, and shows them. Safe to run again: init never
// overwrites, ticks resume.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const home = resolve(process.argv[2] ?? 'demo-home');
const fano = (...args) => {
  const r = spawnSync(process.execPath, [resolve('bin/fano.js'), '--home', home, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
};

process.stdout.write(fano('init', home));
// The README walkthrough's second seed: added when the sample seeds' work is done and no insight
// was blessed (the mock's verdicts are draws; with its default seed the first ones are not).
const SECOND_SEED = 'Every line of the Fano plane meets every other line in exactly one point.';
let added = false;
const judged = () => JSON.parse(fano('insight', 'list', '--json')).filter((i) => i.status === 'blessed' || i.status === 'rejected');
for (let i = 1; i <= 40; i++) {
  fano('tick');
  const status = JSON.parse(fano('status', '--json'));
  console.log(`tick ${i}: ${JSON.stringify(status.tasks.byState)}`);
  const got = judged();
  const active = (status.tasks.byState.pending ?? 0) + (status.tasks.byState.running ?? 0) + (status.tasks.byState.paused ?? 0);
  if (!added && active === 0 && !got.some((x) => x.status === 'blessed')) {
    added = true;
    console.log("no insight blessed yet and nothing left to do: adding the walkthrough's second seed");
    fano('seed', 'add', SECOND_SEED, '--type', 'conjecture', '--priority', 'high');
  }
  if (got.some((x) => x.status === 'blessed') && got.some((x) => x.status === 'rejected')) {
    console.log(`\nThe review panels reached verdicts after ${i} tick(s):\n`);
    console.log(fano('insight', 'list'));
    console.log(fano('status'));
    console.log(`Everything is in ${home}: state/explorer/ (seeds, threads/, insights/*.md), state/checkpoint.json, runs/.`);
    console.log(`Try: fano --home ${home} insight show ${got[0].id}`);
    process.exit(0);
  }
}
console.error('no blessed and rejected insights after 40 ticks: see the logs in', join(home, 'runs'));
process.exit(1);
