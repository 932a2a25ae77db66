import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { removeTempHomes, tempHome } from '../../test/support/temp-home.js';
import { completion, openaiError, refusedBaseUrl, startFakeOpenai } from '../../test/fixtures/fake-openai.js';
import type { FakeOpenai } from '../../test/fixtures/fake-openai.js';
import { openaiBackendSchema } from '../config/schema.js';
import type { OpenaiBackendConfig } from '../config/schema.js';
import type { LlmRequest, SendContext } from './backend.js';
import { classifyCompletion, createOpenaiBackend, parseRateLimitReset } from './openai-backend.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const ENV = { FAKE_KEY: 'sk-test' };

let server: FakeOpenai;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenai();
  dir = tempHome({}, 'fano-openai-');
});
afterAll(async () => {
  await server.close();
  removeTempHomes();
});
beforeEach(() => {
  server.requests.length = 0;
});

function config(over: Partial<OpenaiBackendConfig> = {}): OpenaiBackendConfig {
  return openaiBackendSchema.parse({ type: 'openai', baseUrl: server.baseUrl, model: 'small', apiKeyEnv: 'FAKE_KEY', timeoutMs: 2000, ...over });
}

function request(over: Partial<LlmRequest> = {}): LlmRequest & { submitted: number } {
  const r = { requestId: 'r1', prompt: 'hello', deep: false, conversation: null, harvestOnly: false, submitted: 0, ...over };
  r.onSubmitted ??= ({ url }) => {
    expect(url).toBeNull();
    r.submitted += 1;
    return Promise.resolve();
  };
  return r;
}

function context(over: Partial<SendContext> = {}): SendContext {
  return { now: () => NOW, bundleDir: null, ...over };
}

async function send(cfg = config(), req = request(), ctx = context(), env: NodeJS.ProcessEnv = ENV) {
  const backend = createOpenaiBackend('local', cfg, { env });
  try {
    return await backend.send(req, ctx);
  } finally {
    await backend.close();
  }
}

describe('createOpenaiBackend against a fake server', () => {
  test('200 with content → ok; the prompt goes as one user message with the key', async () => {
    const req = request({ prompt: 'What is 2+2?' });
    const res = await send(config(), req);
    expect(res).toMatchObject({ outcome: 'ok', text: 'echo: What is 2+2?', url: null, resetAt: null, sent: true, detail: null, bundle: null });
    expect(req.submitted).toBe(1);
    expect(server.requests).toHaveLength(1);
    const [recorded] = server.requests;
    expect(recorded?.url).toBe('/v1/chat/completions');
    expect(recorded?.headers.authorization).toBe('Bearer sk-test');
    expect(recorded?.body).toEqual({ model: 'small', messages: [{ role: 'user', content: 'What is 2+2?' }] });
  });

  test('deep mode uses deepModel and reasoning_effort; without deepModel it uses model', async () => {
    await send(config({ deepModel: 'big', reasoningEffort: 'high' }), request({ deep: true }));
    await send(config({ reasoningEffort: 'low' }), request({ deep: true }));
    await send(config({ deepModel: 'big', reasoningEffort: 'high' }), request({ deep: false }));
    expect(server.requests.map((r) => [r.body.model, r.body.reasoning_effort])).toEqual([
      ['big', 'high'],
      ['small', 'low'],
      ['small', undefined],
    ]);
  });

  test('a trailing slash on baseUrl is tolerated', async () => {
    const res = await send(config({ baseUrl: `${server.baseUrl}/` }));
    expect(res.outcome).toBe('ok');
  });

  test('empty content → empty; finish_reason "length" → truncated with the partial text', async () => {
    server.script({ body: completion('   ') }, { body: completion(null) }, { body: completion('half an ans', 'length') });
    expect(await send()).toMatchObject({ outcome: 'empty', text: '', sent: true });
    expect(await send()).toMatchObject({ outcome: 'empty', text: '', sent: true });
    expect(await send()).toMatchObject({ outcome: 'truncated', text: 'half an ans', sent: true });
  });

  test('429 → rateLimited with resetAt from Retry-After seconds, and the server message', async () => {
    server.script({ status: 429, headers: { 'retry-after': '120' }, body: openaiError('Rate limit reached for requests', 'requests') });
    const res = await send();
    expect(res).toMatchObject({ outcome: 'rateLimited', resetAt: '2030-01-01T12:02:00.000Z', sent: true });
    expect(res.detail).toBe('HTTP 429: Rate limit reached for requests');
  });

  test('429 with an HTTP-date Retry-After, with x-ratelimit headers, and with nothing', async () => {
    server.script(
      { status: 429, headers: { 'retry-after': 'Tue, 01 Jan 2030 13:00:00 GMT' } },
      { status: 429, headers: { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '20ms' } },
      { status: 429 },
    );
    expect((await send()).resetAt).toBe('2030-01-01T13:00:00.000Z');
    expect((await send()).resetAt).toBe('2030-01-01T12:06:00.000Z');
    expect(await send()).toMatchObject({ outcome: 'rateLimited', resetAt: null });
  });

  test('401/403 → loginRequired, not sent', async () => {
    server.script({ status: 401, body: openaiError('Incorrect API key provided') }, { status: 403, body: 'forbidden' });
    expect(await send()).toMatchObject({ outcome: 'loginRequired', sent: false, detail: 'HTTP 401: Incorrect API key provided' });
    expect(await send()).toMatchObject({ outcome: 'loginRequired', sent: false, detail: 'HTTP 403: forbidden' });
  });

  test('missing key → loginRequired naming the env var, nothing sent', async () => {
    const req = request();
    const res = await send(config({ apiKeyEnv: 'NO_SUCH_KEY_VAR' }), req, context(), {});
    expect(res).toMatchObject({ outcome: 'loginRequired', sent: false });
    expect(res.detail).toContain('NO_SUCH_KEY_VAR');
    expect(req.submitted).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  test('5xx and a dropped connection → siteError, sent', async () => {
    server.script({ status: 503, body: openaiError('overloaded') }, { destroy: true });
    expect(await send()).toMatchObject({ outcome: 'siteError', sent: true, detail: 'HTTP 503: overloaded' });
    const dropped = await send();
    expect(dropped).toMatchObject({ outcome: 'siteError', sent: true });
    expect(dropped.detail).toMatch(/^connection failed/);
  });

  test('other 4xx (unknown model) → siteError, not sent', async () => {
    server.script({ status: 404, body: openaiError('The model `nope` does not exist') });
    expect(await send()).toMatchObject({ outcome: 'siteError', sent: false, detail: 'HTTP 404: The model `nope` does not exist' });
  });

  test('connection refused → siteError, not sent', async () => {
    const res = await send(config({ baseUrl: await refusedBaseUrl() }));
    expect(res).toMatchObject({ outcome: 'siteError', sent: false });
    expect(res.detail).toMatch(/^could not connect .*ECONNREFUSED/);
  });

  test('no answer within timeoutMs → timeout', async () => {
    server.script({ delayMs: 1000, body: completion('too late') });
    const res = await send(config({ timeoutMs: 100 }));
    expect(res).toMatchObject({ outcome: 'timeout', sent: true, detail: 'no answer within 100 ms' });
  });

  test('the caller aborting → timeout that says so', async () => {
    server.script({ delayMs: 1000, body: completion('too late') });
    const res = await send(config(), request(), context({ signal: AbortSignal.timeout(50) }));
    expect(res.outcome).toBe('timeout');
    expect(res.detail).toMatch(/^aborted/);
  });

  test('a non-ok outcome leaves a failure bundle without the API key', async () => {
    server.script({ status: 500, body: 'internal boom' });
    const bundleDir = join(dir, 'bundle-500');
    const res = await send(config(), request(), context({ bundleDir }));
    expect(res.bundle).toBe(bundleDir);
    const classification = await readFile(join(bundleDir, 'classification.json'), 'utf8');
    expect(JSON.parse(classification)).toMatchObject({ backend: 'local', status: 500, result: { outcome: 'siteError' } });
    expect(classification).not.toContain('sk-test');
    expect(await readFile(join(bundleDir, 'response.txt'), 'utf8')).toBe('internal boom');
  });

  test('an onSubmitted failure propagates and cancels the request', async () => {
    // The server would answer after a minute: only a cancelled request ends within the test's time.
    server.script({ delayMs: 60_000, body: completion('x') });
    const req = request({ onSubmitted: async () => Promise.reject(new Error('lock lost')) });
    await expect(send(config(), req)).rejects.toThrow('lock lost');
  });

  test('harvestOnly cannot reattach over HTTP: siteError, nothing sent', async () => {
    const res = await send(config(), request({ harvestOnly: true }));
    expect(res).toMatchObject({ outcome: 'siteError', sent: false });
    expect(server.requests).toHaveLength(0);
  });
});

describe('parseRateLimitReset', () => {
  const at = (headers: Record<string, string>) => parseRateLimitReset(new Headers(headers), NOW);
  test('reads Retry-After seconds or HTTP date, retry-after-ms, and the x-ratelimit-reset family', () => {
    expect(at({ 'retry-after': '30' })).toBe('2030-01-01T12:00:30.000Z');
    expect(at({ 'retry-after': 'Tue, 01 Jan 2030 12:10:00 GMT' })).toBe('2030-01-01T12:10:00.000Z');
    expect(at({ 'retry-after': 'Tue, 01 Jan 2030 11:00:00 GMT' })).toBe(NOW.toISOString()); // a past date: now
    expect(at({ 'retry-after-ms': '1500', 'retry-after': '9' })).toBe('2030-01-01T12:00:01.500Z');
    expect(at({ 'x-ratelimit-reset-requests': '1h2m3.5s' })).toBe('2030-01-01T13:02:03.500Z');
    expect(at({ 'x-ratelimit-reset': '90' })).toBe('2030-01-01T12:01:30.000Z');
    expect(at({ 'x-ratelimit-reset': String(Date.parse('2030-01-01T12:05:00Z') / 1000) })).toBe('2030-01-01T12:05:00.000Z');
  });
  test('nothing usable → null', () => {
    expect(at({})).toBeNull();
    expect(at({ 'retry-after': 'soon' })).toBeNull();
    expect(at({ 'x-ratelimit-reset-tokens': '5 minutes' })).toBeNull();
  });
});

describe('classifyCompletion', () => {
  test('content given as text parts is joined; a non-completion is a siteError', () => {
    const parts = JSON.stringify({
      choices: [
        {
          message: {
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          finish_reason: 'stop',
        },
      ],
    });
    expect(classifyCompletion(parts)).toMatchObject({ outcome: 'ok', text: 'ab' });
    expect(classifyCompletion('<html>proxy error</html>')).toMatchObject({ outcome: 'siteError', sent: true });
    expect(classifyCompletion('{"object":"list"}')).toMatchObject({ outcome: 'siteError' });
  });
});
