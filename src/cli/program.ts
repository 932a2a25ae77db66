import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveHome } from './home.js';

type Out = (s: string) => void;
const out: Out = (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/**
 * The command table. Descriptions and options live here (cheap); every action lazy-imports its
 * implementation so `fano tick` never loads Ink or Playwright.
 */
export function buildProgram(): Command {
  const program = new Command();
  const setCode = (code: number) => {
    (program as unknown as { fanoExitCode?: number }).fanoExitCode = code;
  };
  const home = (cmd: Command) => resolveHome(cmd.optsWithGlobals().home as string | undefined);

  program
    .name('fano')
    .description('Keeps a research project moving for days on the LLM chat subscriptions you already pay for.\nRun `fano init` to create a home, then `fano tick` from a timer (see `fano schedule`).')
    .version('0.1.0')
    .addOption(new Option('--home <dir>', 'the fano home (folder with fano.config.yaml)').env('FANO_HOME'))
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 internal error, 64 usage, 65 state corrupt (run `fano repair`),\n69 backend answered not ok, 75 another tick holds the lock, 78 config invalid.',
    );

  program
    .command('init [dir]')
    .description('create a fano home (config using the mock backend, sample seeds, empty state); never overwrites')
    .action(async (dir: string | undefined, _o, cmd: Command) => {
      const { runInit } = await import('./init.js');
      setCode(await runInit({ home: dir ? resolveHome(dir) : home(cmd), out }));
    });

  program
    .command('tick')
    .description('run one bounded slice of work (limits: tick.maxSeconds, tick.maxRequests), then exit')
    .option('--once', 'run exactly one task step (at most one LLM request)')
    .action(async (o: { once?: boolean }, cmd: Command) => {
      const { runTickCommand } = await import('./tick.js');
      setCode(await runTickCommand({ home: home(cmd), once: Boolean(o.once), out }));
    });

  program
    .command('status')
    .description('tasks by state and module, backends with quota use and rate-limit state, last tick')
    .option('--json', 'print one JSON object (CONTRACT "fano status --json")')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runStatus } = await import('./status.js');
      setCode(await runStatus({ home: home(cmd), json: Boolean(o.json), out }));
    });

  program
    .command('verify')
    .description('check checkpoint + redo log without changing anything (exit 0 consistent, 65 corrupt)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runVerify } = await import('./verify.js');
      setCode(await runVerify({ home: home(cmd), json: Boolean(o.json), out }));
    });

  program
    .command('repair')
    .description('recover a home that `verify` calls corrupt, from checkpoint.prev.json and the log; says what was kept and lost')
    .option('--json', 'print the report as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runRepair } = await import('./repair.js');
      setCode(await runRepair({ home: home(cmd), json: Boolean(o.json), out }));
    });

  program
    .command('simulate')
    .description('deterministic simulation of days of operation on fake backends, fano vs the original design')
    .requiredOption('--days <n>', 'simulated days', parsePositiveInt)
    .option('--seed <s>', 'random seed', parseInteger, 1)
    .option('--json', 'print one JSON object (CONTRACT "fano simulate --json")')
    .action(async (o: { days: number; seed: number; json?: boolean }) => {
      const { runSimulateCommand } = await import('./simulate.js');
      setCode(await runSimulateCommand({ days: o.days, seed: o.seed, json: Boolean(o.json), out }));
    });

  program
    .command('ask <backend> <prompt...>')
    .description('send one prompt through the gateway (takes the lock, counts quota) and print the answer; exit 69 when not ok. A prompt of "-" is read from stdin')
    .option('--deep', 'use the deep / thinking mode (verified on the page before sending)')
    .option('--json', 'print {outcome, text, resetAt, bundle}')
    .action(async (backend: string, prompt: string[], o: { deep?: boolean; json?: boolean }, cmd: Command) => {
      const { runAsk } = await import('./ask.js');
      setCode(await runAsk({ home: home(cmd), backend, prompt, deep: Boolean(o.deep), json: Boolean(o.json), out }));
    });

  program
    .command('login <backend>')
    .description("open a visible browser on the backend's profile so you can sign in (needs a display)")
    .action(async (backend: string, _o, cmd: Command) => {
      const [{ runLogin }, { loadConfig }] = await Promise.all([import('./login.js'), import('../config/load.js')]);
      const h = home(cmd);
      setCode(await runLogin({ home: h, backend, config: (await loadConfig(h)).config, out }));
    });

  program
    .command('doctor [backend]')
    .description('check config, browser, sign-in and every selector of the browser backends; says exactly what is wrong')
    .option('--json', 'print the checks as JSON')
    .action(async (backend: string | undefined, o: { json?: boolean }, cmd: Command) => {
      const [{ runDoctor }, { loadConfig }] = await Promise.all([import('./doctor.js'), import('../config/load.js')]);
      const h = home(cmd);
      setCode(await runDoctor({ home: h, backend, config: (await loadConfig(h)).config, json: Boolean(o.json), out }));
    });

  const configCmd = program.command('config').description('check or explain fano.config.yaml');
  configCmd
    .command('check')
    .description('validate fano.config.yaml and print the effective config (with defaults)')
    .option('--json', 'print the effective config as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runConfigCheck } = await import('./config-cmd.js');
      setCode(await runConfigCheck({ home: home(cmd), json: Boolean(o.json), out }));
    });
  configCmd
    .command('schema')
    .description('print the JSON schema of fano.config.yaml (for editor completion)')
    .action(async () => {
      const { runConfigSchema } = await import('./config-cmd.js');
      setCode(await runConfigSchema({ out }));
    });

  return program;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function parseInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}
