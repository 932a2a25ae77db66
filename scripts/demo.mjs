// `npm run demo`: creates a fano home in ./demo-home (mock backend, sample seeds), runs ticks until
// the first results land, and shows them. Safe to run again: init never overwrites, ticks resume.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
const results = () => {
  const cp = JSON.parse(readFileSync(join(home, 'state', 'checkpoint.json'), 'utf8'));
  return Object.values(cp.state.modules?.echo?.results ?? {});
};
for (let i = 1; i <= 30; i++) {
  fano('tick');
  const status = JSON.parse(fano('status', '--json'));
  console.log(`tick ${i}: ${JSON.stringify(status.tasks.byState)}`);
  const got = results();
  if (got.length > 0) {
    console.log(`\nFirst results landed after ${i} tick(s). One of them:\n`);
    const r = got[0];
    console.log(`seed: ${r.text}\n`);
    r.answers.forEach((a, n) => console.log(`turn ${n + 1}: ${a.split('\n')[0]}`));
    console.log(`\n${fano('status')}`);
    console.log(`Everything is in ${home}: state/checkpoint.json (the folded state), runs/ (one log per tick).`);
    process.exit(0);
  }
}
console.error('no results after 30 ticks: see the logs in', join(home, 'runs'));
process.exit(1);
