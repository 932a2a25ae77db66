import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, CHROMIUM, context, LOOPBACK_ONLY_ARGS, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
import { startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * Submit-at-most-once across a crash: a child process submits a prompt and is SIGKILLed right
 * after onSubmitted; a second call with harvestOnly on the same profile reattaches to the
 * conversation URL and reads the answer. The fake site counts exactly one submission.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

describe.skipIf(SKIP_BROWSER)('browser gateway: crash after submit', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let childJs: string;
  let buildDir: string;

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    // Inside node_modules so the bundle resolves playwright-core (kept external) from the project.
    await mkdir(path.join(ROOT, 'node_modules', '.cache'), { recursive: true });
    buildDir = await mkdtemp(path.join(ROOT, 'node_modules', '.cache', 'fano-crash-'));
    childJs = path.join(buildDir, 'crash-child.mjs');
    await build({
      entryPoints: [path.join(ROOT, 'test/fixtures/fake-sites/crash-child.ts')],
      outfile: childJs,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['playwright-core'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await fake?.close();
    await home?.cleanup();
    if (buildDir) await rm(buildDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  function runChild(prompt: string): Promise<{ lines: Array<Record<string, unknown>>; signal: NodeJS.Signals | null }> {
    const args = JSON.stringify({ home: home.home, siteUrl: fake.url('chatgpt'), prompt, executablePath: CHROMIUM, args: LOOPBACK_ONLY_ARGS });
    const child = spawn(process.execPath, [childJs, args], { env: { ...process.env, FANO_CRASH_AT: 'llm.submitted' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (_code, signal) => {
        const lines = out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        if (lines.length === 0) reject(new Error(`child printed nothing; stderr: ${err}`));
        else resolve({ lines, signal });
      });
    });
  }

  test('SIGKILL right after onSubmitted, then harvestOnly reads the answer without resubmitting', async () => {
    const child = await runChild('Survive a crash [[slow]]');
    expect(child.signal).toBe('SIGKILL');
    expect(child.lines).toHaveLength(1);
    const url = child.lines[0]?.submitted as string;
    expect(url).toMatch(/\/chatgpt\/c\/[0-9a-f]+$/);
    expect(fake.stats().total).toBe(1);
    // The answer may still be streaming: the harvest must wait for it, on the same (crashed) profile.
    const backend = createBrowserBackend('chatgpt', backendConfig({ url: fake.url('chatgpt') }), browserConfig(), { home: home.home });
    try {
      const conversation = {
        backend: 'chatgpt',
        url,
        turn: 0,
        submitted: { requestId: 'crash-1', at: new Date().toISOString(), deep: false, promptHash: 'x' },
      };
      const res = await backend.send(request('Survive a crash [[slow]]', { conversation, harvestOnly: true }), context());
      expect(res).toMatchObject({ outcome: 'ok', sent: true, url });
      expect(res.text).toMatch(/^Answer 1 to: Survive a crash\..*It ends here\.$/s);
      // Harvesting again (a second crash before the answer was applied) is still no resubmit.
      const again = await backend.send(request('Survive a crash [[slow]]', { conversation, harvestOnly: true }), context());
      expect(again.text).toBe(res.text);
      expect(fake.stats().total).toBe(1);
      expect(fake.stats().prompts[0]?.status).toBe('done');
    } finally {
      await backend.close();
    }
    // The crashed Chromium's lock files are gone or were taken over (the harvest could open the profile).
    const files = await readdir(path.join(home.home, 'state', 'profiles', 'chatgpt'));
    expect(files.length).toBeGreaterThan(0);
  });
});
