import { copyFileSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempHomes } from '../support/temp-home.js';
import { runFano, startFano, tempHome } from '../support/cli.js';

/**
 * Honest CLI answers: a folder that is not a home is an error (78) for every command; repair names
 * what it could not keep; messages name a path once; Ctrl-C / SIGTERM stop a tick at its next safe
 * point with a documented code, and the next tick resumes.
 */

afterAll(() => removeTempHomes());

describe('honest CLI answers', () => {
  it('every command on a folder that is not a home exits 78 and says so', async () => {
    const empty = tempHome({}, 'fano-nohome-');
    for (const args of [
      ['verify'],
      ['repair'],
      ['status'],
      ['seed', 'list'],
      ['tick'],
      ['tasks'],
      ['comment', 'list'],
      ['insight', 'list'],
      ['source', 'list'],
      ['schedule', '--cron'],
      ['config', 'check'],
    ]) {
      const r = await runFano(args, { home: empty });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(78);
      expect(r.stderr).toContain(`${empty} is not a fano home`);
      expect(r.stderr.split(empty).length - 1, r.stderr).toBe(1); // the path once
      expect(r.stdout).not.toMatch(/^ok/m);
    }
  });

  it('a map-key typo exits 78 with did-you-mean; an alias bomb or deep nesting is a file:line error for tick, status and seed list, never a stack trace', async () => {
    const home = tempHome({}, 'fano-cfg-');
    expect((await runFano(['init', home])).code).toBe(0);
    const cfg = join(home, 'fano.config.yaml');
    const good = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, 'backends:\n  mock: {type: mock}\nscheduler:\n  weights:\n    reseacher: 10\n');
    for (const cmd of [['tick'], ['status'], ['config', 'check']]) {
      const r = await runFano(cmd, { home });
      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toMatch(/fano\.config\.yaml:5:5: scheduler\.weights\.reseacher: no module "reseacher" \(did you mean "researcher"\?\)/);
    }
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    for (const text of [bomb, `tick: ${'['.repeat(20000)}${']'.repeat(20000)}\n`]) {
      writeFileSync(cfg, text);
      for (const cmd of [['tick'], ['status']]) {
        const r = await runFano(cmd, { home });
        expect(r.code, r.stderr).toBe(78);
        expect(r.stderr).toMatch(/fano\.config\.yaml:\d+:\d+: .*(aliases expand too far|nested too deeply)/);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      }
    }
    writeFileSync(cfg, good);
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), `seeds:\n  ${'- '.repeat(5000)}x\n`);
    const list = await runFano(['seed', 'list'], { home });
    expect(list.code).toBe(78);
    expect(list.stderr).toMatch(/seeds\.yaml:\d+: YAML nested too deeply/);
    expect(list.stderr).not.toMatch(/internal error|\n\s+at /);
    const st = JSON.parse((await runFano(['status', '--json'], { home })).stdout) as { problems: Array<{ file: string; message: string }> };
    expect(st.problems).toEqual([expect.objectContaining({ file: 'state/explorer/seeds.yaml', message: expect.stringMatching(/nested too deeply/) })]);
  });

  it('the mock fits the walkthrough (500 requests an hour by default); a backend whose hourly quota is used up says until when', async () => {
    const home = tempHome({}, 'fano-quota-');
    expect((await runFano(['init', home])).code).toBe(0);
    const cfg = join(home, 'fano.config.yaml');
    expect(readFileSync(cfg, 'utf8')).toMatch(/hourlyLimit: 500 /);
    writeFileSync(
      cfg,
      readFileSync(cfg, 'utf8')
        .replace(/hourlyLimit: 500 /, 'hourlyLimit: 2 ')
        .replace(/latencyMs: 50/, 'latencyMs: 5'),
    );
    expect((await runFano(['tick'], { home })).code).toBe(0);
    const st = JSON.parse((await runFano(['status', '--json'], { home })).stdout) as {
      backends: Array<{ name: string; requestsThisHour: number; usedUpUntil: string | null }>;
    };
    const mock = st.backends.find((b) => b.name === 'mock')!;
    expect(mock.requestsThisHour).toBe(2);
    expect(Date.parse(mock.usedUpUntil!)).toBeGreaterThan(Date.now() + 55 * 60_000);
    const text = (await runFano(['status'], { home })).stdout;
    expect(text).toContain(`used up until ${mock.usedUpUntil!.slice(11, 16)} UTC (2 of 2 requests in the last hour): work resumes then`);
  });

  it('repair after a truncated checkpoint names the records it could not keep and what they did; no "run fano repair" after it', async () => {
    const home = tempHome({}, 'fano-repair-');
    expect((await runFano(['init', home])).code).toBe(0);
    const cfg = join(home, 'fano.config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/latencyMs: 50/, 'latencyMs: 5'));
    // Two ticks of one step each: two checkpoints, so checkpoint.prev.json holds the first.
    for (let i = 0; i < 2; i++) expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    const cp = join(home, 'state/checkpoint.json');
    const prevSeq = JSON.parse(readFileSync(join(home, 'state/checkpoint.prev.json'), 'utf8')).lastSeq as number;
    const seq = JSON.parse(readFileSync(cp, 'utf8')).lastSeq as number;
    expect(seq).toBeGreaterThan(prevSeq);
    copyFileSync(cp, join(home, 'cp.bak'));
    truncateSync(cp, statSync(cp).size - 120);
    const verify = await runFano(['verify'], { home });
    expect(verify.code).toBe(65);
    expect(verify.stdout.split(cp).length - 1, verify.stdout).toBe(1);
    const r = await runFano(['repair'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`lost:  records seq ${prevSeq + 1}..${seq}, which only the unreadable checkpoint held: `);
    expect(r.stdout).toMatch(/task\(s\) completed \(explorer:/);
    expect(r.stdout).toMatch(/the damaged file ends early/);
    expect(r.stdout).not.toMatch(/run `fano repair`/);
    const json = JSON.parse((await runFano(['repair', '--json'], { home })).stdout);
    expect(json.changed).toBe(false);
    expect((await runFano(['verify'], { home })).code).toBe(0);
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} stops a tick at its next safe point: exit ${code}, "interrupted: the next tick resumes", and it does`, async () => {
      const home = tempHome({}, 'fano-int-');
      expect((await runFano(['init', home])).code).toBe(0);
      const cfg = join(home, 'fano.config.yaml');
      writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/latencyMs: 50/, 'latencyMs: 1500'));
      const t = startFano(['tick'], { home });
      // Wait until a request is in flight (the tick's log says so), then signal.
      let stderr = '';
      t.child.stderr!.on('data', (d) => (stderr += d));
      const { readdirSync } = await import('node:fs');
      const picked = () => {
        try {
          return readdirSync(join(home, 'runs')).some((f) => f.endsWith('.jsonl') && readFileSync(join(home, 'runs', f), 'utf8').includes('task.picked'));
        } catch {
          return false;
        }
      };
      await expect.poll(picked, { timeout: 60_000, interval: 50 }).toBe(true);
      t.child.kill(sig);
      const r = await t.done;
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(/fano: interrupted: the next tick resumes/);
      expect((await runFano(['verify'], { home })).code).toBe(0);
      // The slow mock only had to keep a request in flight for the signal; the next tick need not wait.
      writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/latencyMs: 1500/, 'latencyMs: 50'));
      const next = await runFano(['tick'], { home });
      expect(next.code, next.stderr).toBe(0);
      expect((await runFano(['verify'], { home })).code).toBe(0);
    });
  }
});
