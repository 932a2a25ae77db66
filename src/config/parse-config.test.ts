import { describe, expect, test } from 'vitest';
import { formatIssue } from './issue-messages.js';
import { parseConfig } from './parse-config.js';
import { configSchema } from './schema.js';

const FILE = 'fano.config.yaml';

/** Builds YAML from lines, so line numbers in assertions are easy to count. */
function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function issuesOf(text: string): string[] {
  const { config, issues } = parseConfig(text, FILE);
  expect(config, 'an invalid config must not be returned').toBeNull();
  return issues.map(formatIssue);
}

describe('parseConfig: valid files', () => {
  test('an empty file is the all-defaults config', () => {
    for (const text of ['', '\n', '# only a comment\n', '---\n']) {
      const { config, issues } = parseConfig(text, FILE);
      expect(issues).toEqual([]);
      expect(config).toEqual(configSchema.parse({}));
    }
  });

  test('defaults fill what the file leaves out', () => {
    const { config, issues } = parseConfig(yaml('tick:', '  maxRequests: 2'), FILE);
    expect(issues).toEqual([]);
    expect(config?.tick).toEqual({ maxSeconds: 240, maxRequests: 2, intervalSeconds: 60, lockStaleSeconds: 30, rediscoverSeconds: 60 });
    expect(config?.backends.mock?.type).toBe('mock');
  });

  test('an empty section is the same as an absent one (its children were commented out)', () => {
    const { config, issues } = parseConfig(yaml('tick:', '  # maxSeconds: 10', 'scheduler:', '  starvation:'), FILE);
    expect(issues).toEqual([]);
    expect(config?.tick.maxSeconds).toBe(240);
    expect(config?.scheduler.starvation.maxWaitHours).toBe(4);
  });

  test('built-in browser sites need no url or selectors', () => {
    const { issues } = parseConfig(yaml('backends:', '  chatgpt:', '    type: browser', '  other:', '    type: browser', '    site: gemini'), FILE);
    expect(issues).toEqual([]);
  });
});

describe('parseConfig: issues name file, line, column and key', () => {
  test('YAML syntax error at its line and column', () => {
    const issues = parseConfig(yaml('tick:', '  maxSeconds: 5', '  maxSeconds: 6'), FILE).issues;
    expect(issues).toEqual([{ file: FILE, line: 3, column: 3, key: 'tick.maxSeconds', message: 'YAML syntax: Map keys must be unique' }]);
    // A repeated top-level section is named as itself, not as the last key of the section before it.
    const top = parseConfig(yaml('tick:', '  maxSeconds: 5', 'logging:', '  level: info', 'tick:', '  maxRequests: 3'), FILE).issues;
    expect(top).toEqual([{ file: FILE, line: 5, column: 1, key: 'tick', message: 'YAML syntax: Map keys must be unique' }]);

    const tabs = parseConfig(yaml('tick:', '\tmaxSeconds: 5'), FILE).issues;
    expect(tabs[0]).toMatchObject({ line: 2, column: 1 });
    expect(tabs[0]?.message).toMatch(/^YAML syntax: .*tab/i);
  });

  test('wrong type: a human sentence at the value', () => {
    expect(issuesOf(yaml('backends:', '  mock:', '    type: mock', '    latencyMs: abc'))).toEqual([
      'fano.config.yaml:4:16: backends.mock.latencyMs: expected a number, got the string "abc"',
    ]);
    expect(issuesOf(yaml('tick:', '  maxRequests: 1.5', '  maxSeconds: "240"'))).toEqual([
      'fano.config.yaml:2:16: tick.maxRequests: expected a whole number, got the number 1.5',
      'fano.config.yaml:3:15: tick.maxSeconds: expected a number, got the string "240" (remove the quotes)',
    ]);
    expect(issuesOf(yaml('browser:', '  headless: yes'))).toEqual([
      'fano.config.yaml:2:13: browser.headless: expected true or false, got the string "yes" (write true or false, unquoted)',
    ]);
  });

  test('an empty value where a number belongs points at its key', () => {
    expect(issuesOf(yaml('tick:', '  maxSeconds:'))).toEqual(['fano.config.yaml:2:3: tick.maxSeconds: expected a number, got an empty value']);
  });

  test('unknown key: did-you-mean, at the unknown key itself', () => {
    const text = yaml('# comment', '', 'backends:', '  mock: {type: mock}', '', 'tick:', '  maxSecond: 10');
    expect(issuesOf(text)).toEqual(['fano.config.yaml:7:3: tick.maxSecond: unknown key (did you mean "maxSeconds"?)']);
    // snake_case from the original design is recognized too
    expect(issuesOf(yaml('retries:', '  max_retries: 2'))).toEqual(['fano.config.yaml:2:3: retries.max_retries: unknown key (did you mean "maxRetries"?)']);
    // nothing close: the known keys are listed instead
    expect(issuesOf(yaml('logging:', '  colour: red'))).toEqual(['fano.config.yaml:2:3: logging.colour: unknown key (known keys: level)']);
  });

  test('nested unknown key inside backends.<name>.selectors', () => {
    const text = yaml(
      'backends:',
      '  site:',
      '    type: browser',
      '    url: https://example.com/',
      '    selectors:',
      '      input: textarea',
      '      respones: .answer',
    );
    const { issues } = parseConfig(text, FILE);
    expect(issues.map(formatIssue)).toContain('fano.config.yaml:7:7: backends.site.selectors.respones: unknown key (did you mean "response"?)');
  });

  test('a key of another backend type says which type it belongs to', () => {
    expect(issuesOf(yaml('backends:', '  m:', '    type: mock', '    baseUrl: http://127.0.0.1/'))).toEqual([
      'fano.config.yaml:4:5: backends.m.baseUrl: unknown key for type "mock" ("baseUrl" is a key of type openai)',
    ]);
  });

  test('unknown or missing backend type lists the types', () => {
    expect(issuesOf(yaml('backends:', '  x:', '    type: mokc', '  y:', '    latencyMs: 5'))).toEqual([
      'fano.config.yaml:3:11: backends.x.type: unknown type "mokc": the types are mock, browser, openai (did you mean "mock"?)',
      'fano.config.yaml:5:5: backends.y.type: missing "type": one of mock, browser, openai',
    ]);
  });

  test('missing required key points at the parent map', () => {
    expect(issuesOf(yaml('backends:', '  local:', '    type: openai', '    baseUrl: http://127.0.0.1:8080/v1'))).toEqual([
      'fano.config.yaml:3:5: backends.local.model: required key is missing (a string)',
    ]);
  });

  test('enums, bounds, URLs, lists and backend names', () => {
    expect(issuesOf(yaml('logging:', '  level: warning'))).toEqual([
      'fano.config.yaml:2:10: logging.level: expected one of "debug", "info", "warn", "error", got the string "warning" (did you mean "warn"?)',
    ]);
    expect(issuesOf(yaml('quotas:', '  decreaseFactor: 1', '  dayResetHour: 24'))).toEqual([
      'fano.config.yaml:2:19: quotas.decreaseFactor: must be less than 1, got the number 1',
      'fano.config.yaml:3:17: quotas.dayResetHour: must be at most 23, got the number 24',
    ]);
    expect(issuesOf(yaml('backends:', '  local: {type: openai, model: m, baseUrl: nope}'))).toEqual([
      'fano.config.yaml:2:44: backends.local.baseUrl: expected a URL such as https://example.com/, got the string "nope"',
    ]);
    expect(issuesOf(yaml('backends:', '  s:', '    type: browser', '    url: https://x.example/', '    selectors: {input: [], response: 5}'))).toEqual([
      'fano.config.yaml:5:24: backends.s.selectors.input: must list at least one item',
      'fano.config.yaml:5:38: backends.s.selectors.response: expected a string or a list, got the number 5',
    ]);
    expect(issuesOf(yaml('backends:', '  My-Site: {type: mock}'))).toEqual([
      'fano.config.yaml:2:3: backends.My-Site: invalid name "My-Site": backend names are lower-case letters, digits, - and _',
    ]);
    expect(issuesOf(yaml('browser:', '  args: [--a, 5]'))).toEqual(['fano.config.yaml:2:15: browser.args[1]: expected a string, got the number 5']);
  });

  test('the document root must be a map', () => {
    expect(issuesOf(yaml('- tick', '- backends'))).toEqual([
      'fano.config.yaml:1:1: the file must be a map of keys (like `tick:` and `backends:`), not a list or a single value',
    ]);
    expect(issuesOf('just text\n')).toHaveLength(1);
  });

  test('every issue is reported, in file order', () => {
    const lines = issuesOf(yaml('tick:', '  maxSeconds: x', 'logging:', '  level: 3', 'zzz: 1'));
    expect(lines.map((l) => l.split(':').slice(1, 3).join(':'))).toEqual(['2:15', '4:10', '5:1']);
  });
});

describe('parseConfig: semantic checks', () => {
  test('tick.maxSeconds must be below an hour', () => {
    const [line] = issuesOf(yaml('tick:', '  maxSeconds: 3600'));
    expect(line).toMatch(/^fano\.config\.yaml:2:15: tick\.maxSeconds: must be less than 3600/);
    expect(parseConfig(yaml('tick:', '  maxSeconds: 3599'), FILE).issues).toEqual([]);
  });

  test('a custom browser site needs url and the input and response selectors', () => {
    const text = yaml('backends:', '  intranet:', '    type: browser', '    site: custom', '    selectors:', '      send: button');
    expect(issuesOf(text)).toEqual([
      'fano.config.yaml:3:5: backends.intranet.url: required for a custom site: the start page of a new conversation',
      'fano.config.yaml:6:7: backends.intranet.selectors.input: required for a custom site: the CSS selector of the prompt box',
      'fano.config.yaml:6:7: backends.intranet.selectors.response: required for a custom site: the CSS selector of the answers (the last match is read)',
    ]);
  });

  test('a browser backend with an unknown name and no site is custom, and the message says why', () => {
    const lines = issuesOf(yaml('backends:', '  chatgtp:', '    type: browser'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('"chatgtp" is no site adapter — did you mean "chatgpt"?: set site: to one of chatgpt, gemini, claude to use one');
    const ok = parseConfig(
      yaml('backends:', '  intranet:', '    type: browser', '    url: https://x.example/', '    selectors: {input: textarea, response: [.a, .b]}'),
      FILE,
    );
    expect(ok.issues).toEqual([]);
  });

  test('site: must name an adapter, with did-you-mean', () => {
    expect(issuesOf(yaml('backends:', '  work:', '    type: browser', '    site: gemnii'))).toEqual([
      'fano.config.yaml:4:11: backends.work.site: no site adapter "gemnii" (did you mean "gemini"?): the adapters are chatgpt, gemini, claude, custom; add one as sites/gemnii.yaml in the home',
    ]);
  });

  test('module weights cannot all be zero', () => {
    expect(issuesOf(yaml('scheduler:', '  weights: {explorer: 0, documenter: 0}'))).toEqual([
      'fano.config.yaml:2:12: scheduler.weights: at least one module weight must be above 0, or no module ever gets a turn',
    ]);
  });
});
