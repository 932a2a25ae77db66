import type { FanoConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Backend } from './backend.js';
import { createMockBackend, type MockResponder } from './mock-backend.js';

export type { Backend, LlmRequest, LlmResponse, SendContext } from './backend.js';
export type { MockResponder } from './mock-backend.js';

/**
 * A backend whose implementation is loaded on first use: Playwright (~600 ms to import) is only
 * paid for by a tick that actually sends to a browser backend.
 */
function lazyBackend(name: string, type: string, load: () => Promise<Backend>): Backend {
  let inner: Promise<Backend> | null = null;
  return {
    name,
    type,
    send: async (req, ctx) => (await (inner ??= load())).send(req, ctx),
    close: async () => {
      if (inner) await (await inner).close();
    },
  };
}

/**
 * One Backend per enabled configured backend, none of them started yet. `mockResponders` answer
 * the modules' strict formats on mock backends (the modules' own, handed in by the caller).
 */
export function createBackends(config: FanoConfig, deps: { home: string; log: Logger; mockResponders: readonly MockResponder[] }): Map<string, Backend> {
  const out = new Map<string, Backend>();
  for (const [name, cfg] of Object.entries(config.backends).sort(([a], [b]) => a.localeCompare(b))) {
    if (!cfg.enabled) continue;
    switch (cfg.type) {
      case 'mock':
        out.set(name, createMockBackend(name, cfg, { home: deps.home, responders: deps.mockResponders }));
        break;
      case 'browser':
        out.set(
          name,
          lazyBackend(name, cfg.type, async () => {
            const log = (event: string, fields: object) => deps.log.info(event, { backend: name, ...fields });
            // Through the resident driver when it runs; Playwright is imported only without it.
            const { createDriverBackend } = await import('./browser/remote.js');
            return createDriverBackend(name, cfg, config.browser, {
              home: deps.home,
              log,
              loadLocal: async () => (await import('./browser/index.js')).createBrowserBackend(name, cfg, config.browser, { home: deps.home, log }),
            });
          }),
        );
        break;
      case 'openai':
        out.set(
          name,
          lazyBackend(name, cfg.type, async () => {
            const { createOpenaiBackend } = await import('./openai-backend.js');
            return createOpenaiBackend(name, cfg, { env: process.env });
          }),
        );
        break;
    }
  }
  return out;
}
