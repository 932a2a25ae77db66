import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { removeTempHomes, tempHome } from '../../test/support/temp-home.js';
import { ConfigError, ExitCode } from '../errors.js';
import { CONFIG_HINT } from './issue-messages.js';
import { INIT_CONFIG_TEXT } from './init-template.js';
import { loadConfig } from './load.js';
import { configSchema } from './schema.js';

let home: string;
beforeEach(() => {
  home = tempHome({}, 'fano-config-');
});
afterEach(() => removeTempHomes());

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  test('a home without fano.config.yaml is a ConfigError (exit 78) that says to run fano init', async () => {
    const error = await rejection(loadConfig(home));
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.exitCode).toBe(78);
    expect(error.message).toBe(`no fano.config.yaml in ${home}: run \`fano init ${home}\` to create one (or pass --home)`);
  });

  test('a home that does not exist at all is the same ConfigError', async () => {
    const error = await rejection(loadConfig(join(home, 'nope')));
    expect(error.message).toMatch(/^no fano\.config\.yaml in .*nope: run `fano init/);
  });

  test('returns the file path and the validated config', async () => {
    await writeFile(join(home, 'fano.config.yaml'), 'tick:\n  maxRequests: 3\n');
    const { file, config } = await loadConfig(home);
    expect(file).toBe(join(home, 'fano.config.yaml'));
    expect(config).toEqual(configSchema.parse({ tick: { maxRequests: 3 } }));
  });

  test('the init template loads', async () => {
    await writeFile(join(home, 'fano.config.yaml'), INIT_CONFIG_TEXT);
    await expect(loadConfig(home)).resolves.toMatchObject({ config: configSchema.parse({}) });
  });

  test('an invalid file: one `file:line:col: key: message` line per issue, then the hint', async () => {
    const file = join(home, 'fano.config.yaml');
    await writeFile(file, 'tick:\n  maxSecond: 10\nlogging:\n  level: loud\n');
    const error = await rejection(loadConfig(home));
    expect(error.exitCode).toBe(78);
    expect(error.message.split('\n')).toEqual([
      `${file}:2:3: tick.maxSecond: unknown key (did you mean "maxSeconds"?)`,
      `${file}:4:10: logging.level: expected one of "debug", "info", "warn", "error", got the string "loud"`,
      CONFIG_HINT,
    ]);
    expect(error.issues).toHaveLength(2);
    expect(error.issues[0]).toEqual({ file, line: 2, column: 3, key: 'tick.maxSecond', message: 'unknown key (did you mean "maxSeconds"?)' });
  });

  test('never touches state/', async () => {
    await writeFile(join(home, 'fano.config.yaml'), '');
    await loadConfig(home);
    expect(await readdir(home)).toEqual(['fano.config.yaml']);
  });

  test('a config path that is a directory is a ConfigError, not a crash', async () => {
    await mkdir(join(home, 'fano.config.yaml'));
    const error = await rejection(loadConfig(home));
    expect(error.message).toMatch(/^cannot read .*fano\.config\.yaml: /);
  });
});
