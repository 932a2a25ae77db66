/**
 * The home stays the home: with state/explorer/threads, state/explorer/insights or runs/ replaced by
 * a symlink to a folder outside the home, fano writes nothing there. A projection folder that leads
 * out is a problem (printed once by the tick, the rest of the work goes on); a runs/ that leads out
 * stops the tick before it writes anything (exit 73, one line naming the folder).
 */
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

const CONFIG = `backends:
  mock: {type: mock, latencyMs: 0, seed: 1}
tick:
  maxRequests: 8
retries:
  baseDelaySeconds: 0
  transientDelaySeconds: 0
modules:
  explorer:
    exchangesBeforeSynthesis: 1
  documenter:
    enabled: false
  researcher:
    enabled: false
scheduler:
  consultation:
    enabled: false
`;
const SEEDS = `seeds:
  - id: seven
    type: question
    priority: high
    text: Why does the Fano plane have exactly seven points and seven lines?
  - id: groups
    type: conjecture
    text: The automorphism group of the Fano plane is simple of order 168.
`;

const outside = () => tempHome({}, 'fano-outside-');

describe('a folder fano writes into that leads out of the home is refused', () => {
  it.each([['state/explorer/threads'], ['state/explorer/insights']])(
    '%s as a symlink out: nothing written there, one problem, the work goes on',
    async (rel) => {
      const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-home-');
      const target = outside();
      symlinkSync(target, join(home, rel));
      const stderrs: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await runFano(['tick'], { home });
        expect(r.code, r.stderr).toBe(0);
        stderrs.push(r.stderr);
      }
      expect(readdirSync(target)).toEqual([]);
      const mentions = stderrs
        .join('')
        .split('\n')
        .filter((l) => l.includes(rel) && l.includes('leads out of the home'));
      expect(mentions, stderrs.join('')).toHaveLength(1);
      const { state } = await readState(home);
      expect(Object.keys(state.modules.explorer?.threads ?? {}).length).toBeGreaterThan(0);
      const v = await runFano(['verify'], { home });
      expect(v.code).toBe(0);
    },
    120_000,
  );

  it('runs/ as a symlink out: the tick exits 73 naming it, before writing anything', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-home-');
    const target = outside();
    symlinkSync(target, join(home, 'runs'));
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/runs leads out of the home \(a symlink to .*fano-outside-/);
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(join(home, 'state')).sort()).toEqual(['explorer']);
  });

  it('a symlink that stays inside the home is fine', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-home-');
    mkdirSync(join(home, 'elsewhere-inside'));
    symlinkSync(join(home, 'elsewhere-inside'), join(home, 'runs'));
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(home, 'elsewhere-inside')).length).toBeGreaterThan(0);
  });
});
