import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FanoState } from '../../src/core/types.js';
import { insightViews, type InsightView } from '../../src/modules/explorer/queries.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The review of an insight end to end (real `fano tick` processes, four mock backends so every
 * panel has three seats besides the author): a claim refuted in verification rejects the insight
 * with the counterexample in its file; a 2–1 split that persists goes through the argument round
 * to a decision, every stance recorded.
 */

const CONFIG = `backends:
  mock-a: {type: mock, latencyMs: 20, seed: 3}
  mock-b: {type: mock, latencyMs: 20, seed: 4}
  mock-c: {type: mock, latencyMs: 20, seed: 5}
  mock-d: {type: mock, latencyMs: 20, seed: 6}
tick:
  maxRequests: 24
retries:
  baseDelaySeconds: 0
  transientDelaySeconds: 0
modules:
  explorer:
    exchangesBeforeSynthesis: 2
`;
const SEEDS = `seeds:
  - id: ax
    type: axiom
    text: Any two distinct points lie on exactly one line, and any two distinct lines meet in exactly one point.
  - id: seven
    type: question
    text: Why does the Fano plane have exactly seven points and seven lines?
  - id: groups
    type: conjecture
    text: The automorphism group of the Fano plane is simple of order 168.
  - id: octonions
    type: conjecture
    text: The lines of the Fano plane encode the multiplication of the octonions.
  - id: designs
    type: question
    text: Is every Steiner triple system on seven points a copy of the Fano plane?
  - id: ovals
    type: question
    text: Which sets of points of the Fano plane meet every line?
`;

const load = async (home: string): Promise<FanoState> => (await readState(home)).state;

async function tickUntil(home: string, done: (views: InsightView[]) => boolean, max = 40): Promise<InsightView[]> {
  for (let i = 0; i < max; i++) {
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0);
    const views = insightViews(await load(home));
    if (done(views)) return views;
  }
  throw new Error(`not done after ${max} ticks`);
}

const refuted = (v: InsightView) => v.status === 'rejected' && v.decidedBy === 'verification';
const argued = (v: InsightView) => v.status !== 'in_review' && v.rounds.some((r) => r.round === 4 && r.reviews.length > 0);

describe('the review of an insight on four mock backends', () => {
  it('a refuted claim rejects the insight with its counterexample on file; a persisting 2–1 split is argued, then decided, every stance recorded', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-review-');
    const views = await tickUntil(home, (vs) => vs.some(refuted) && vs.some(argued));
    const dir = join(home, 'state/explorer/insights');

    // Verification: the claim's counterexample is in the insight's file and in `insight show --json`.
    const r = views.find(refuted)!;
    const claim = r.verification.find((c) => c.verification?.verdict === 'refuted')!;
    const counterexample = claim.verification!.counterexample!;
    expect(counterexample.length).toBeGreaterThan(10);
    const md = readFileSync(join(dir, `${r.id}.md`), 'utf8');
    expect(md).toMatch(/status: rejected\n/);
    expect(md).toContain(`- claim ${claim.claim + 1}: **refuted**`);
    expect(md).toContain(`counterexample: ${counterexample.replace(/\s+/g, ' ')}`);
    expect(md).toContain(`Decided by the verification: rejected (claim ${claim.claim + 1} refuted in verification).`);
    const shown = JSON.parse((await runFano(['insight', 'show', r.id, '--json'], { home })).stdout) as {
      statement: string;
      kind: string;
      argument: string;
      dependsOn: string[];
      verification: Array<{ verdict: string; counterexample: string | null }>;
    };
    expect(shown.statement).toBe(r.text);
    expect(shown.kind).toMatch(/^(proved|computed|conjectured)$/);
    expect(shown.argument.length).toBeGreaterThan(10);
    expect(shown.verification[claim.claim]).toMatchObject({ verdict: 'refuted', counterexample });
    // No review round 2 was held: the refutation ended the review before it.
    expect(r.rounds.filter((x) => x.round >= 2 && x.reviews.length > 0)).toEqual([]);

    // Deliberation: round 2 split 2–1, the minority's case (round 3), the majority's answer (round 4).
    const a = views.find(argued)!;
    const r2 = a.rounds.find((x) => x.round === 2)!.reviews;
    expect(r2).toHaveLength(3);
    const counts = new Map<string, number>();
    for (const x of r2) counts.set(x.rating, (counts.get(x.rating) ?? 0) + 1);
    const [majority] = [...counts.entries()].find(([, n]) => n === 2)!;
    const minority = r2.filter((x) => x.rating !== majority).map((x) => x.slot);
    expect(a.rounds.find((x) => x.round === 3)!.reviews.map((x) => x.slot)).toEqual(minority);
    expect(
      a.rounds
        .find((x) => x.round === 4)!
        .reviews.map((x) => x.slot)
        .sort(),
    ).toEqual(
      r2
        .filter((x) => x.rating === majority)
        .map((x) => x.slot)
        .sort(),
    );
    // The decision is the majority of each reviewer's last rating.
    const last = r2.map(
      (x) =>
        a.rounds.find((y) => y.round === 4)!.reviews.find((y) => y.slot === x.slot) ??
        a.rounds.find((y) => y.round === 3)!.reviews.find((y) => y.slot === x.slot)!,
    );
    const lastCounts = new Map<string, number>();
    for (const x of last) lastCounts.set(x.rating, (lastCounts.get(x.rating) ?? 0) + 1);
    const decided = [...lastCounts.entries()].find(([, n]) => n >= 2)?.[0];
    expect(a.status).toBe(decided ? { bless: 'blessed', reject: 'rejected', uncertain: 'needs_development' }[decided] : 'needs_development');
    expect(a).toMatchObject({ disputed: true, decidedBy: 'panel' });
    // Every stance of every round is in the insight's file, with its verdict per claim.
    const amd = readFileSync(join(dir, `${a.id}.md`), 'utf8');
    for (const round of a.rounds) {
      expect(amd).toContain(`## Review round ${round.round}`);
      for (const x of round.reviews) {
        expect(amd).toContain(`reviewer ${x.slot + 1} on ${x.backend} (${x.mode}): ${x.reasoning.replace(/\s+/g, ' ')}`);
        expect(x.claims!.length).toBeGreaterThan(0);
      }
    }
    expect(amd).toContain("## Review round 3 (the minority's strongest case)");
    expect(amd).toContain("## Review round 4 (the majority's answer)");
    const listed = JSON.parse((await runFano(['insight', 'list', '--json'], { home })).stdout) as Array<{
      id: string;
      reviews: Array<{ round: number; claims: unknown[]; structuralDepth: unknown; naturalness: unknown }>;
    }>;
    const entry = listed.find((x) => x.id === a.id)!;
    expect(entry.reviews.map((x) => x.round).sort()).toEqual(a.rounds.flatMap((x) => x.reviews.map(() => x.round)).sort());
    for (const x of entry.reviews) expect(x).toMatchObject({ claims: expect.any(Array), structuralDepth: expect.any(Object), naturalness: expect.any(Object) });
    expect((await runFano(['verify'], { home })).code).toBe(0);
  }, 300_000);
});
