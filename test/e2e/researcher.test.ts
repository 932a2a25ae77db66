import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrl } from '../../src/gateway/fetch/fetch-url.js';
import type { FindingDoc, ProposedSeedDoc, SourceDoc } from '../../src/modules/researcher/researcher-module.js';
import { readSeeds } from '../../src/modules/seeds-file.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The Researcher end to end: pages served on 127.0.0.1 (no other network), real `fano tick`
 * processes on the mock backend. The mock's extraction always adds one invented quote.
 */

const PAGE = `<!doctype html><html><head><title>Fano plane</title><script>var x = "not text";</script></head><body>
<h1>The Fano plane</h1>
<p>The Fano plane is the finite projective plane of order two. It has seven points and seven lines, with three points on every line and three lines through every point.</p>
<p>Its automorphism group is the simple group of order 168, which acts transitively on the flags of the plane.</p>
</body></html>`;

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/fano') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    // The mock answers prompts carrying MOCK-MALFORMED badly at first (see its mock-responder).
    if (req.url === '/odd')
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE.replace('</body>', '<p>MOCK-MALFORMED.</p></body>'));
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<p>' + 'x'.repeat(50_000) + '</p>');
      return;
    }
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>late</p>'), 3_000);
    if (req.url === '/pdf') return void res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF');
    if (req.url?.startsWith('/loop')) return void res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/redirect') return void res.writeHead(301, { location: '/fano' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const OPTS = { timeoutMs: 1_000, maxBytes: 20_000, maxRedirects: 3, allowPrivate: true };

describe('source fetching', () => {
  it('fetches a page as readable text, following a redirect', async () => {
    const r = await fetchUrl(`${base}/redirect`, OPTS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.finalUrl).toBe(`${base}/fano`);
    expect(r.text).toMatch(/seven points and seven lines/);
    expect(r.text).not.toMatch(/not text/);
  });
  it('handles an oversize page, a timeout, a wrong content type and a redirect loop', async () => {
    expect(await fetchUrl(`${base}/big`, OPTS)).toMatchObject({ ok: false, kind: 'tooLarge' });
    expect(await fetchUrl(`${base}/slow`, OPTS)).toMatchObject({ ok: false, kind: 'timeout' });
    expect(await fetchUrl(`${base}/pdf`, OPTS)).toMatchObject({ ok: false, kind: 'contentType' });
    expect(await fetchUrl(`${base}/loop`, OPTS)).toMatchObject({ ok: false, kind: 'tooManyRedirects' });
  });
  it('refuses loopback unless allowed', async () => {
    expect(await fetchUrl(`${base}/fano`, { ...OPTS, allowPrivate: false })).toMatchObject({ ok: false, kind: 'blocked' });
    expect(await fetchUrl(`http://localhost:${new URL(base).port}/fano`, { ...OPTS, allowPrivate: false })).toMatchObject({ ok: false, kind: 'blocked' });
  });
});

const CONFIG = `backends:
  mock: {type: mock, latencyMs: 5, seed: 1}
tick:
  maxRequests: 10
modules:
  explorer:
    enabled: false
  researcher:
    fetch:
      timeoutSeconds: 2
`;

describe('the Researcher in real ticks', () => {
  it('evaluates, extracts with verified quotes, rejects a fabricated one, and proposes seeds for approval', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': 'seeds:\n  - id: s1\n    text: Why seven points?\n' }, 'fano-researcher-');
    expect((await runFano(['source', 'add', `${base}/fano`], { home })).code).toBe(0);
    expect((await runFano(['source', 'add', `${base}/slow`], { home })).code).toBe(0);
    for (let i = 0; i < 4; i++) expect((await runFano(['tick'], { home })).code).toBe(0);

    const { state } = await readState(home);
    const r = state.modules.researcher!;
    const src = Object.values(r.sources!) as unknown as SourceDoc[];
    expect(src).toHaveLength(1); // the slow page timed out: not evaluated
    expect(src[0]!.evaluation).toMatchObject({ trusted: true });
    const findings = Object.values(r.findings!) as unknown as FindingDoc[];
    expect(findings.filter((f) => f.verified).length).toBeGreaterThanOrEqual(1);
    const fake = findings.filter((f) => !f.verified);
    expect(fake).toHaveLength(1);
    expect(fake[0]!.reason).toMatch(/not found/);
    const proposed = Object.values(r.proposedSeeds!) as unknown as ProposedSeedDoc[];
    expect(proposed.length).toBeGreaterThan(0);
    for (const p of proposed) expect(p.findingIds.every((id) => (r.findings![id] as unknown as FindingDoc).verified)).toBe(true);

    const seeds = readSeeds(home);
    const mine = seeds.filter((s) => s.id.startsWith('r-'));
    expect(mine.length).toBe(proposed.length);
    expect(mine.every((s) => s.status === 'proposed')).toBe(true);
    expect(readFileSync(join(home, 'state/explorer/seeds.yaml'), 'utf8')).toMatch(/id: s1/);
    const cache = readFileSync(join(home, 'state/researcher/cache', `${src[0]!.id}.json`), 'utf8');
    expect(JSON.parse(cache)).toMatchObject({ ok: true });

    expect((await runFano(['seed', 'approve', mine[0]!.id], { home })).code).toBe(0);
    expect(readSeeds(home).find((s) => s.id === mine[0]!.id)!.status).toBe('active');

    const list = await runFano(['source', 'list', '--json'], { home });
    const rows = JSON.parse(list.stdout) as Array<{ url: string; fetch: string }>;
    expect(rows.find((x) => x.url.endsWith('/slow'))!.fetch).toMatch(/timeout/);

    const status = JSON.parse((await runFano(['status', '--json'], { home })).stdout);
    expect(status.metrics.researchItems.findingsUnverified).toBe(1);
    expect(status.metrics.tasksCompleted24h['researcher:evaluate_source']).toBe(1);
    expect((await runFano(['verify'], { home })).code).toBe(0);
  });

  it('a malformed answer gets one repair prompt, and the repaired answer is applied with its quotes checked', async () => {
    const home = tempHome(
      { 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': 'seeds:\n  - id: s1\n    text: Why seven points?\n' },
      'fano-researcher-repair-',
    );
    expect((await runFano(['source', 'add', `${base}/odd`], { home })).code).toBe(0);
    for (let i = 0; i < 3; i++) expect((await runFano(['tick'], { home })).code).toBe(0);

    const { state } = await readState(home);
    const tasks = Object.values(state.tasks).filter((t) => t.type === 'evaluate_source' || t.type === 'extract_content');
    expect(tasks.map((t) => [t.type, t.state, t.llmRequests, t.attempts]).sort()).toEqual([
      ['evaluate_source', 'completed', 2, 0],
      ['extract_content', 'completed', 2, 0],
    ]);
    const r = state.modules.researcher!;
    expect((Object.values(r.sources!)[0] as unknown as SourceDoc).evaluation).toMatchObject({ trusted: true });
    const findings = Object.values(r.findings!) as unknown as FindingDoc[];
    expect(findings.filter((f) => f.verified).length).toBeGreaterThanOrEqual(1);
    expect(findings.filter((f) => !f.verified)).toHaveLength(1);
    expect(r.rawAnswers).toBeUndefined();
  });
});
