import net from 'node:net';
import type { BrowserBackendConfig, FanoConfig } from '../../config/schema.js';
import type { Backend, LlmRequest, LlmResponse, SendContext } from '../backend.js';
import { lineReader, type FromDriver, type ToDriver } from './driver-protocol.js';
import { pidAlive, readDriver, type DriverRecord } from './resident.js';

/**
 * A browser backend that sends through the resident driver when one runs (no Playwright in the
 * tick: the driver already holds the attached page), and through a backend of the tick's own
 * (`loadLocal`, which attaches or launches as before) when it does not or cannot serve. This file
 * imports no Playwright.
 */

const CONNECT_TIMEOUT_MS = 1_000;

type Outcome =
  | { kind: 'result'; res: LlmResponse }
  /** The driver could not serve, or went away before the prompt was submitted: nothing was sent. */
  | { kind: 'fallback'; reason: string }
  /** The driver went away after the prompt was submitted. */
  | { kind: 'lost'; url: string | null; reason: string }
  /** The tick's own submitted hook failed: its error is the request's, as in a backend of its own. */
  | { kind: 'throw'; error: unknown };

export interface RemoteDeps {
  home: string;
  log: (event: string, fields: object) => void;
  /** The tick's own browser backend, for when the driver cannot serve. */
  loadLocal: () => Promise<Backend>;
}

export function createDriverBackend(name: string, cfg: BrowserBackendConfig, browser: FanoConfig['browser'], deps: RemoteDeps): Backend {
  let local: Promise<Backend> | null = null;
  const viaLocal = (req: LlmRequest, ctx: SendContext) => (local ??= deps.loadLocal()).then((b) => b.send(req, ctx));

  async function send(req: LlmRequest, ctx: SendContext): Promise<LlmResponse> {
    const rec = browser.cdpEndpoint ? null : readDriver(deps.home);
    if (!rec) return viaLocal(req, ctx);
    const started = Date.now();
    const out = pidAlive(rec.pid)
      ? await overDriver(rec, name, cfg, browser, req, ctx, deps.log)
      : { kind: 'fallback' as const, reason: `its process (pid ${rec.pid}) is not running` };
    if (out.kind === 'result') return out.res;
    if (out.kind === 'throw') throw out.error;
    if (out.kind === 'fallback') {
      deps.log('browser.driver_unavailable', { backend: name, reason: out.reason, then: 'this tick drives the browser itself' });
      return viaLocal(req, ctx);
    }
    deps.log('browser.driver_lost', { backend: name, reason: out.reason });
    return {
      outcome: 'timeout',
      text: '',
      url: out.url ?? req.conversation?.url ?? null,
      resetAt: null,
      sent: true,
      detail: `the resident driver went away after the prompt was submitted (${out.reason}): the next tick reads the answer`,
      bundle: null,
      durationMs: Date.now() - started,
    };
  }

  return {
    name,
    type: 'browser',
    send,
    async close() {
      if (local) await (await local).close();
    },
  };
}

function overDriver(
  rec: DriverRecord,
  name: string,
  cfg: BrowserBackendConfig,
  browser: FanoConfig['browser'],
  req: LlmRequest,
  ctx: SendContext,
  log: RemoteDeps['log'],
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: rec.port });
    socket.setNoDelay(true);
    let submitted: { url: string | null } | null = null;
    let settled = false;
    const end = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      ctx.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const gone = (why: string): Outcome => (submitted ? { kind: 'lost', url: submitted.url, reason: why } : { kind: 'fallback', reason: why });
    const write = (m: ToDriver) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
    };
    const onAbort = () => write({ t: 'abort' });
    const connectTimer = setTimeout(
      () => end({ kind: 'fallback', reason: `no answer on 127.0.0.1:${rec.port} within ${CONNECT_TIMEOUT_MS} ms` }),
      CONNECT_TIMEOUT_MS,
    );
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      log('browser.driver', { backend: name, port: rec.port, pid: rec.pid });
      const { onSubmitted: _hook, ...wire } = req;
      write({ t: 'send', token: rec.token, backend: name, cfg, browser, req: wire, bundleDir: ctx.bundleDir });
      if (ctx.signal?.aborted) onAbort();
      ctx.signal?.addEventListener('abort', onAbort);
    });
    socket.on('error', (e) => end(gone(e.message)));
    socket.on('close', () => end(gone('the connection closed')));
    socket.on(
      'data',
      lineReader((raw) => {
        const m = raw as FromDriver;
        switch (m.t) {
          case 'log':
            log(m.event, m.fields);
            break;
          case 'submitted':
            submitted = { url: m.url };
            void Promise.resolve(req.onSubmitted?.({ url: m.url })).then(
              () => write({ t: 'ack' }),
              // The mark could not be made durable: stop the request and fail as a backend of the
              // tick's own would (its driver awaits the same hook).
              (error: unknown) => {
                write({ t: 'abort' });
                end({ kind: 'throw', error });
              },
            );
            break;
          case 'unavailable':
            end({ kind: 'fallback', reason: m.reason });
            break;
          case 'result':
            end({ kind: 'result', res: m.res });
            break;
          case 'error':
            end(gone(`the driver failed: ${m.message}`));
            break;
        }
      }),
    );
  });
}
