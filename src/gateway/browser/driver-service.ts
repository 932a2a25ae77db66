import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { fileSiteCatalog } from '../../config/site-adapters.js';
import type { Backend, LlmResponse } from '../backend.js';
import { lineReader, type FromDriver, type ToDriver } from './driver-protocol.js';
import { createBrowserBackend } from './index.js';
import { driverFile, findResident, readDriver, readResident, writeDriver } from './resident.js';
import { resolveSite } from './sites.js';

/**
 * The resident driver's server (`fano browser driver`): it holds one browser backend per resident
 * Chromium, attached over CDP once, and runs the requests ticks send it (driver-protocol.ts). One
 * request at a time per backend, as in a tick. It serves only while the resident browser is
 * recorded, and leaves when it is stopped.
 */

const WATCH_MS = 2_000;

interface Held {
  key: string;
  backend: Backend;
  /** Where the backend's log lines go: the connection whose request runs now. */
  sink: { log: ((event: string, fields: object) => void) | null };
  queue: Promise<unknown>;
}

export interface DriverService {
  port: number;
  /** Resolves when the driver stops (asked to, or its resident browser was stopped). */
  done: Promise<void>;
  close(): Promise<void>;
}

export async function serveDriver(home: string, note: (line: string) => void = () => undefined): Promise<DriverService> {
  const token = randomBytes(24).toString('hex');
  const held = new Map<string, Held>();

  async function backendFor(m: Extract<ToDriver, { t: 'send' }>, endpoint: string): Promise<Held> {
    const site = resolveSite(m.backend, m.cfg, fileSiteCatalog(home));
    // A changed config, site adapter or browser (restarted: new endpoint) gets a fresh backend.
    const key = JSON.stringify({ cfg: m.cfg, browser: m.browser, site, endpoint });
    const old = held.get(m.backend);
    if (old?.key === key) return old;
    if (old) await old.backend.close().catch(() => undefined);
    const sink: Held['sink'] = { log: null };
    const h: Held = {
      key,
      sink,
      queue: old?.queue ?? Promise.resolve(),
      backend: createBrowserBackend(m.backend, m.cfg, m.browser, { home, log: (event, fields) => sink.log?.(event, fields) }),
    };
    held.set(m.backend, h);
    return h;
  }

  async function drop(name: string): Promise<void> {
    const h = held.get(name);
    held.delete(name);
    await h?.backend.close().catch(() => undefined);
  }

  function handle(socket: net.Socket): void {
    socket.setNoDelay(true);
    const send = (m: FromDriver) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
    };
    const abort = new AbortController();
    let ack: (() => void) | null = null;
    let started = false;
    socket.on('close', () => {
      abort.abort();
      ack?.();
    });
    socket.on('error', () => undefined);
    socket.on(
      'data',
      lineReader((raw) => {
        const m = raw as ToDriver;
        if (m.t === 'ack') ack?.();
        else if (m.t === 'abort') abort.abort();
        else if (m.t === 'send' && !started) {
          started = true;
          if (!sameToken(m.token, token)) {
            send({ t: 'error', message: 'wrong token' });
            socket.end();
            return;
          }
          void run(m)
            .then((r) => send(r))
            .catch((e: unknown) => send({ t: 'error', message: String(e instanceof Error ? e.message : e) }))
            .finally(() => socket.end());
        }
      }),
    );

    async function run(m: Extract<ToDriver, { t: 'send' }>): Promise<FromDriver> {
      const found = await findResident(home, m.backend);
      if (found === null || 'unavailable' in found) {
        await drop(m.backend);
        return { t: 'unavailable', reason: found === null ? `no resident browser for ${m.backend}` : found.unavailable };
      }
      const h = await backendFor(m, found.endpoint);
      const turn = h.queue.then(async (): Promise<LlmResponse> => {
        h.sink.log = (event, fields) => send({ t: 'log', event, fields });
        try {
          return await h.backend.send(
            {
              ...m.req,
              onSubmitted: async ({ url }) => {
                // The tick makes its submitted mark durable before the answer is awaited.
                const acked = new Promise<void>((r) => (ack = r));
                send({ t: 'submitted', url });
                await acked;
              },
            },
            { now: () => new Date(), bundleDir: m.bundleDir, signal: abort.signal },
          );
        } finally {
          h.sink.log = null;
        }
      });
      h.queue = turn.catch(() => undefined);
      return { t: 'result', res: await turn };
    }
  }

  const server = net.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  writeDriver(home, { version: 1, pid: process.pid, port, token, startedAt: new Date().toISOString() });
  note(`fano browser driver: pid ${process.pid}, 127.0.0.1:${port}`);

  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(watch);
      server.close();
      await Promise.all([...held.keys()].map(drop));
      const rec = readDriver(home);
      if (rec?.pid === process.pid) rmSync(driverFile(home), { force: true });
      finish();
    })());
  // `fano browser stop` removes the records: then there is nothing left to drive.
  const watch = setInterval(() => {
    const mine = readDriver(home)?.pid === process.pid;
    if (!mine || readResident(home) === null) {
      note(mine ? 'the resident browser was stopped: the driver leaves' : 'another driver took over: this one leaves');
      void close();
    }
  }, WATCH_MS);
  return { port, done, close };
}

function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
