import { test } from 'vitest';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, context, request, tempHome } from '../fixtures/fake-sites/harness.js';
import { startFakeSites } from '../fixtures/fake-sites/server.js';

test('scratch', async () => {
  const fake = await startFakeSites();
  const home = await tempHome();
  const events: Array<[string, object]> = [];
  const b = createBrowserBackend('chatgpt', backendConfig({ url: fake.url('chatgpt') }), browserConfig(), { home: home.home, log: (e, f) => events.push([e, f]) });
  for (const p of ['hello', '[[drop]] hi', 'Spare one', 'Spare two']) {
    const r = await b.send(request(p), context());
    console.log(p, JSON.stringify({ ...r, text: r.text.slice(0, 60) }));
  }
  for (const e of events) console.log(JSON.stringify(e));
  await b.close(); await fake.close(); await home.cleanup();
}, 120_000);
