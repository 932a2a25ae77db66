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
const judged = () => JSON.parse(fano('insight', 'list', '--json')).filter((i) => i.status === 'blessed' || i.status === 'rejected');
for (let i = 1; i <= 40; i++) {
  fano('tick');
  const status = JSON.parse(fano('status', '--json'));
  console.log(`tick ${i}: ${JSON.stringify(status.tasks.byState)}`);
  const got = judged();
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
