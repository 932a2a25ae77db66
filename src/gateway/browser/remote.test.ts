import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { browserBackendSchema, configSchema } from '../../config/schema.js';
import { removeTempHomes, tempHome } from '../../../test/support/temp-home.js';
import type { Backend, LlmRequest, LlmResponse } from '../backend.js';
import { lineReader, type FromDriver, type ToDriver } from './driver-protocol.js';
import { createDriverBackend } from './remote.js';
import { writeDriver } from './resident.js';

/**
 * The tick's side of the resident driver against a scripted driver on 127.0.0.1: what reaches the
 * tick for each way the driver can answer or fail.
 */

const cfg = browserBackendSchema.parse({ type: 'browser', url: 'http://127.0.0.1:9/' });
const browser = configSchema.shape.browser.parse({});
const req: LlmRequest = { requestId: 'r1', prompt: 'hello', deep: false, conversation: null, harvestOnly: false };
const ok = (text: string): LlmResponse => ({ outcome: 'ok', text, url: 'http://x/c/1', resetAt: null, sent: true, detail: null, bundle: null, durationMs: 1 });

/** A driver that runs `script` on each request (its messages in, a way to answer out). */
async function scriptedDriver(home: string, script: (m: ToDriver, reply: (x: FromDriver) => void, sock: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((sock) => {
    sock.on(
      'data',
      lineReader((m) => script(m as ToDriver, (x) => sock.write(`${JSON.stringify(x)}\n`), sock)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  writeDriver(home, { version: 1, pid: process.pid, port: (server.address() as net.AddressInfo).port, token: 't0k', startedAt: new Date().toISOString() });
  return server;
}

function localCounting(): { backend: Backend; calls: number } {
  const box = {
    calls: 0,
    backend: {
      name: 'chatgpt',
      type: 'browser',
      send: () => {
        box.calls += 1;
        return Promise.resolve(ok('from the tick itself'));
      },
      close: () => Promise.resolve(),
    } as Backend,
  };
  return box;
}

afterEach(removeTempHomes);

describe('a browser backend through the resident driver', () => {
  it('sends with the token, runs the submitted hook before acking, and returns the driver result', async () => {
    const home = tempHome({}, 'fano-remote-');
    const seen: string[] = [];
    const server = await scriptedDriver(home, (m, reply) => {
      seen.push(m.t);
      if (m.t === 'send') {
        expect(m.token).toBe('t0k');
        reply({ t: 'log', event: 'browser.resident', fields: { endpoint: 'e' } });
        reply({ t: 'submitted', url: 'http://x/c/1' });
      }
      if (m.t === 'ack') reply({ t: 'result', res: ok('answer') });
    });
    const logs: string[] = [];
    const local = localCounting();
    const marks: string[] = [];
    const b = createDriverBackend('chatgpt', cfg, browser, { home, log: (e) => logs.push(e), loadLocal: () => Promise.resolve(local.backend) });
    const res = await b.send({ ...req, onSubmitted: ({ url }) => Promise.resolve(void marks.push(String(url))) }, { now: () => new Date(), bundleDir: null });
    expect(res.text).toBe('answer');
    expect(marks).toEqual(['http://x/c/1']);
    expect(seen).toEqual(['send', 'ack']);
    expect(logs).toEqual(['browser.driver', 'browser.resident']);
    expect(local.calls).toBe(0);
    server.close();
  });

  it('falls back to its own browser when the driver cannot serve or is not there', async () => {
    const home = tempHome({}, 'fano-remote-');
    const server = await scriptedDriver(home, (m, reply) => {
      if (m.t === 'send') reply({ t: 'unavailable', reason: 'its Chromium (pid 1) is not running' });
    });
    const logs: Array<[string, object]> = [];
    const local = localCounting();
    const b = createDriverBackend('chatgpt', cfg, browser, { home, log: (e, f) => logs.push([e, f]), loadLocal: () => Promise.resolve(local.backend) });
    expect((await b.send(req, { now: () => new Date(), bundleDir: null })).text).toBe('from the tick itself');
    expect(logs.map(([e]) => e)).toContain('browser.driver_unavailable');
    await new Promise<void>((r) => server.close(() => r()));
    // Now nothing listens on the recorded port.
    expect((await b.send(req, { now: () => new Date(), bundleDir: null })).text).toBe('from the tick itself');
    expect(local.calls).toBe(2);
  });

  it('a driver lost after the submit is a timeout with the prompt sent (the next tick harvests), never a second send', async () => {
    const home = tempHome({}, 'fano-remote-');
    const server = await scriptedDriver(home, (m, reply, sock) => {
      if (m.t === 'send') reply({ t: 'submitted', url: 'http://x/c/9' });
      if (m.t === 'ack') sock.destroy();
    });
    const local = localCounting();
    const b = createDriverBackend('chatgpt', cfg, browser, { home, log: () => undefined, loadLocal: () => Promise.resolve(local.backend) });
    const res = await b.send({ ...req, onSubmitted: () => Promise.resolve() }, { now: () => new Date(), bundleDir: null });
    expect(res).toMatchObject({ outcome: 'timeout', sent: true, url: 'http://x/c/9' });
    expect(res.detail).toMatch(/went away after the prompt was submitted/);
    expect(local.calls).toBe(0);
    server.close();
  });

  it('passes an abort on, and fails like its own backend when the submitted mark cannot be made', async () => {
    const home = tempHome({}, 'fano-remote-');
    const got: string[] = [];
    const server = await scriptedDriver(home, (m, reply) => {
      got.push(m.t);
      if (m.t === 'send') reply({ t: 'submitted', url: null });
      if (m.t === 'abort') reply({ t: 'result', res: { ...ok(''), outcome: 'timeout', detail: 'aborted by the caller (tick budget)' } });
    });
    const b = createDriverBackend('chatgpt', cfg, browser, { home, log: () => undefined, loadLocal: () => Promise.resolve(localCounting().backend) });
    await expect(
      b.send(
        {
          ...req,
          onSubmitted: () => Promise.reject(new Error('the tick lock was lost')),
        },
        { now: () => new Date(), bundleDir: null },
      ),
    ).rejects.toThrow('the tick lock was lost');
    const ac = new AbortController();
    const second = await scriptedDriver(home, (m, reply) => {
      got.push(m.t);
      if (m.t === 'send') ac.abort();
      if (m.t === 'abort') reply({ t: 'result', res: { ...ok(''), outcome: 'timeout', detail: 'aborted by the caller (tick budget)' } });
    });
    const res = await b.send(req, { now: () => new Date(), bundleDir: null, signal: ac.signal });
    expect(res.outcome).toBe('timeout');
    expect(got).toContain('abort');
    server.close();
    second.close();
  });
});
