import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ExitCode, FanoError, UsageError } from '../errors.js';
import { docList, docsById } from '../modules/shared/collections.js';
import { FINDINGS, SOURCES } from '../modules/researcher/types.js';
import { knownSources, normalizeUrl, readCacheEntry, readSources, sourceIdFor, SOURCES_PATH, SourcesFileError } from '../modules/researcher/sources-file.js';
import { editYamlList, YamlListFileError } from '../store/state-files.js';
import { openStore, readState } from '../store/store.js';

/**
 * `fano source add|list`: the Researcher's sources. `add` edits state/researcher/sources.yaml
 * (comments and order kept) under the tick lock, with an atomic replace; the next tick fetches it.
 */

type Out = (s: string) => void;

class SourcesError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.config);
  }
}

export async function runSourceAdd(o: { home: string; url: string; note?: string | undefined; out: Out }): Promise<number> {
  const url = normalizeUrl(o.url);
  if (url === null) throw new UsageError(`not an http(s) URL: ${o.url}`);
  const { config } = await loadConfig(o.home);
  const store = await openStore(o.home, { lockStaleMs: config.tick.lockStaleSeconds * 1000 });
  try {
    let existing;
    try {
      existing = readSources(o.home);
    } catch (err) {
      if (err instanceof SourcesFileError) throw new SourcesError(`${err.message}\nFix the sources file, then run the command again.`);
      throw err;
    }
    if (existing.some((s) => s.url === url)) {
      o.out(`source already listed: ${url}`);
      return 0;
    }
    const file = join(o.home, SOURCES_PATH);
    try {
      editYamlList(
        () => store.fence(),
        file,
        'sources',
        '# Sources for the Researcher: fetched by the next tick.\nsources: []\n',
        (list, doc) => {
          list.add(doc.createNode({ url, addedAt: new Date().toISOString(), ...(o.note ? { note: o.note } : {}) }));
        },
      );
    } catch (err) {
      if (err instanceof YamlListFileError) throw new SourcesError(err.message);
      throw err;
    }
    o.out(`added source ${sourceIdFor(url)} ${url} (fetched by the next tick)`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function runSourceList(o: { home: string; json: boolean; out: Out }): Promise<number> {
  await loadConfig(o.home);
  const { state } = await readState(o.home);
  const docs = docsById(state, SOURCES);
  const findings = docList(state, FINDINGS);
  const rows = knownSources(o.home, state).map((s) => {
    const id = sourceIdFor(s.url);
    const cache = readCacheEntry(o.home, id);
    const ev = docs[id]?.evaluation ?? null;
    return {
      id,
      url: s.url,
      addedBy: s.addedBy,
      fetch: cache === null ? 'pending' : cache.ok ? 'ok' : `failed (${cache.error?.kind}: ${cache.error?.message})`,
      fetchedAt: cache?.fetchedAt ?? null,
      evaluation: ev,
      findingsVerified: findings.filter((f) => f.sourceId === id && f.verified).length,
      findingsUnverified: findings.filter((f) => f.sourceId === id && !f.verified).length,
    };
  });
  if (o.json) o.out(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) o.out('no sources (add one with `fano source add <url>`)');
  else {
    for (const r of rows) {
      const ev = r.evaluation
        ? `${r.evaluation.trusted ? 'trusted' : 'not trusted'} (trust ${r.evaluation.trust}, relevance ${r.evaluation.relevance})`
        : 'not evaluated';
      o.out(`${r.id}  ${r.url}  [${r.addedBy}]  fetch ${r.fetch}  ${ev}  findings ${r.findingsVerified} verified / ${r.findingsUnverified} unverified`);
    }
  }
  return 0;
}
