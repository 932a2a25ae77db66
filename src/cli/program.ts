import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { keysHelpText } from '../tui/keys.js';
import { requireHome, resolveHome } from './home.js';

type Out = (s: string) => void;
const out: Out = (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** The root command, carrying the exit code its action decided (main returns it). */
export class FanoProgram extends Command {
  fanoExitCode: number | undefined;
}

/**
 * The command table. Descriptions and options live here (cheap); every action lazy-imports its
 * implementation so `fano tick` never loads Ink or Playwright.
 */
export function buildProgram(): FanoProgram {
  const program = new FanoProgram();
  const setCode = (code: number) => {
    program.fanoExitCode = code;
  };
  const anyHome = (cmd: Command) => resolveHome(cmd.optsWithGlobals().home as string | undefined);
  // Every command but init: a folder that is not a home exits 78 and says so.
  const home = (cmd: Command) => requireHome(anyHome(cmd));

  program
    .name('fano')
    .description(
      'Keeps a research project moving for days on the LLM chat subscriptions you already pay for.\nRun `fano init` to create a home, then `fano tick` from a timer (see `fano schedule`).',
    )
    .version('0.1.0')
    .addOption(new Option('--home <dir>', 'the fano home (folder with fano.config.yaml)').env('FANO_HOME'))
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 internal error, 64 usage, 65 state corrupt (run `fano repair`),\n69 backend answered not ok, 75 another tick holds the lock, 78 config invalid or not a home,\n130/143 a tick stopped by Ctrl-C/SIGTERM (the next tick resumes).',
    );

  program
    .command('init [dir]')
    .description('create a fano home (config using the mock backend, sample seeds, empty state); never overwrites')
    .action(async (dir: string | undefined, _o, cmd: Command) => {
      const { runInit } = await import('./init.js');
      setCode(await runInit({ home: dir ? resolveHome(dir) : anyHome(cmd), out }));
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
    .option('--json', 'print one JSON object (for scripts; its keys are kept stable)')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runStatus } = await import('./status.js');
      setCode(await runStatus({ home: home(cmd), json: Boolean(o.json), out }));
    });

  program
    .command('top')
    .description('live full-screen dashboard (htop-like): backends and quotas, last/next tick, running and pending work, events; reads without the lock')
    .option('--read-only', 'never write (disables p, pause/resume)')
    .option('--once', 'print one frame and exit (for scripts and tests)')
    .addHelpText('after', `\n${keysHelpText()}`)
    .action(async (o: { readOnly?: boolean; once?: boolean }, cmd: Command) => {
      // Ink draws nothing live when it believes it runs in CI (it reads $CI once, at import); a
      // person at a terminal wants the dashboard wherever the shell came from. Before the import.
      if (!o.once && process.stdout.isTTY) {
        delete process.env.CI;
        delete process.env.CONTINUOUS_INTEGRATION;
      }
      const { runTop } = await import('./top.js');
      setCode(await runTop({ home: home(cmd), readOnly: Boolean(o.readOnly), once: Boolean(o.once), out }));
    });

  program
    .command('tasks')
    .description('list tasks grouped by module, highest priority first')
    .option('--state <state>', 'only tasks in this state (pending, running, paused, completed, failed)')
    .option('--module <module>', 'only tasks of this module')
    .option('--json', 'print a JSON array')
    .action(async (o: { state?: string; module?: string; json?: boolean }, cmd: Command) => {
      const { runTasks } = await import('./tasks.js');
      setCode(await runTasks({ home: home(cmd), state: o.state, module: o.module, json: Boolean(o.json), out }));
    });

  program
    .command('schedule')
    .description('print (or --install) a systemd user timer or a crontab line that runs `fano tick` every tick.intervalSeconds (default 60)')
    .option('--systemd', 'a systemd user service + timer')
    .option('--cron', 'a crontab line')
    .option('--install', 'write it for the current user and print the command that enables it')
    .action(async (o: { systemd?: boolean; cron?: boolean; install?: boolean }, cmd: Command) => {
      if (Boolean(o.systemd) === Boolean(o.cron)) throw new UsageError('choose one of --systemd or --cron');
      const { runSchedule } = await import('./schedule.js');
      setCode(await runSchedule({ home: home(cmd), kind: o.systemd ? 'systemd' : 'cron', install: Boolean(o.install), out }));
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
    .description('deterministic simulation of days of real ticks and modules on simulated backends, fano vs the original design')
    .requiredOption('--days <n>', 'simulated days', parsePositiveInt)
    .option('--seed <s>', 'random seed', parseInteger, 1)
    .option('--scenario <name>', 'the simulated world: steady, logout, ratelimit-storm, comment-burst or seed-flood', 'steady')
    .option('--json', 'print one JSON object (for scripts; its keys are kept stable)')
    .action(async (o: { days: number; seed: number; scenario: string; json?: boolean }) => {
      const { runSimulateCommand } = await import('./simulate.js');
      setCode(await runSimulateCommand({ days: o.days, seed: o.seed, scenario: o.scenario, json: Boolean(o.json), out }));
    });

  program
    .command('ask <backend> <prompt...>')
    .description(
      'send one prompt through the gateway (takes the lock, counts quota) and print the answer; exit 69 when not ok. A prompt of "-" is read from stdin',
    )
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
    .option('--send', "also send a one-word smoke prompt through the whole path and print each stage's time (takes the lock, counts quota)")
    .option('--deep', 'with --send: in deep mode (runs the deep-mode recipe)')
    .action(async (backend: string | undefined, o: { json?: boolean; send?: boolean; deep?: boolean }, cmd: Command) => {
      if (o.deep && !o.send) throw new UsageError('--deep goes with --send');
      const [{ runDoctor }, { loadConfig }] = await Promise.all([import('./doctor.js'), import('../config/load.js')]);
      const h = home(cmd);
      setCode(
        await runDoctor({ home: h, backend, config: (await loadConfig(h)).config, json: Boolean(o.json), send: Boolean(o.send), deep: Boolean(o.deep), out }),
      );
    });

  const browserCmd = program
    .command('browser')
    .description('the resident browser: one Chromium per browser backend that outlives the ticks, which attach to it over CDP on 127.0.0.1');
  browserCmd
    .command('start')
    .description('start it (headful on $DISPLAY or a virtual display when there is one, else headless); returns once it answers')
    .option('--headless', 'headless even when a display is available')
    .option('--foreground', 'stay and watch it; stop it on SIGTERM, exit 69 when a browser dies (for a systemd service)')
    .action(async (o: { headless?: boolean; foreground?: boolean }, cmd: Command) => {
      const { runBrowserStart } = await import('./browser.js');
      setCode(await runBrowserStart({ home: home(cmd), headless: Boolean(o.headless), foreground: Boolean(o.foreground), out }));
    });
  browserCmd
    .command('driver', { hidden: true })
    .description('the resident driver that ticks send through (started by `fano browser start`)')
    .action(async (_o, cmd: Command) => {
      const { runBrowserDriver } = await import('./browser.js');
      setCode(await runBrowserDriver({ home: home(cmd), out }));
    });
  browserCmd
    .command('stop')
    .description('close it cleanly (profiles saved); ticks launch their own browser again')
    .action(async (_o, cmd: Command) => {
      const { runBrowserStop } = await import('./browser.js');
      setCode(await runBrowserStop({ home: home(cmd), out }));
    });
  browserCmd
    .command('status')
    .description('pid, uptime, memory, open pages and sign-in per backend; exit 69 when a started browser is down')
    .option('--json', 'print one JSON object')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runBrowserStatus } = await import('./browser.js');
      setCode(await runBrowserStatus({ home: home(cmd), json: Boolean(o.json), out }));
    });

  const sourceCmd = program.command('source').description("the Researcher's sources (state/researcher/sources.yaml)");
  sourceCmd
    .command('add <url>')
    .description('add a source; the next tick fetches it (timeouts, size cap, cached under state/researcher/)')
    .option('--note <text>', 'free-form note kept with the source')
    .action(async (url: string, o: { note?: string }, cmd: Command) => {
      const { runSourceAdd } = await import('./source.js');
      setCode(await runSourceAdd({ home: home(cmd), url, note: o.note, out }));
    });
  sourceCmd
    .command('list')
    .description('sources with fetch state, evaluation and findings')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runSourceList } = await import('./source.js');
      setCode(await runSourceList({ home: home(cmd), json: Boolean(o.json), out }));
    });

  const seedCmd = program.command('seed').description("the Explorer's seeds (state/explorer/seeds.yaml)");
  seedCmd
    .command('add <text>')
    .description('add a seed (comments and order of the seeds file are kept)')
    .option('--type <type>', 'axiom (context only) | conjecture | question', 'question')
    .option('--priority <p>', '1-10 or high|medium|low', 'medium')
    .option('--tags <tags>', 'comma-separated tags', '')
    .option('--id <id>', 'the seed id (default: made from the text)')
    .option('--notes <text>', 'free-form notes kept with the seed')
    .option('--proposed', 'add it as proposed: explored only after `fano seed approve <id>`')
    .action(async (text: string, o: { type: string; priority: string; tags: string; id?: string; notes?: string; proposed?: boolean }, cmd: Command) => {
      const { runSeedAdd } = await import('./seed.js');
      const tags = o.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      setCode(
        await runSeedAdd({ home: home(cmd), text, type: o.type, priority: o.priority, tags, id: o.id, notes: o.notes, proposed: Boolean(o.proposed), out }),
      );
    });
  seedCmd
    .command('list')
    .description('seeds with the state of their exploration thread')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runSeedList } = await import('./seed.js');
      setCode(await runSeedList({ home: home(cmd), json: Boolean(o.json), out }));
    });
  seedCmd
    .command('approve <id>')
    .description('activate a proposed seed')
    .action(async (id: string, _o, cmd: Command) => {
      const { runSeedApprove } = await import('./seed.js');
      setCode(await runSeedApprove({ home: home(cmd), id, out }));
    });

  const insightCmd = program.command('insight').description("the Explorer's insights (state/explorer/insights/)");
  insightCmd
    .command('list')
    .description('insights with status and reviews')
    .option('--status <s>', 'only this status: in_review | blessed | rejected | needs_development | duplicate')
    .option('--json', 'print a JSON array')
    .action(async (o: { status?: string; json?: boolean }, cmd: Command) => {
      const { runInsightList } = await import('./insight.js');
      setCode(await runInsightList({ home: home(cmd), status: o.status, json: Boolean(o.json), out }));
    });
  insightCmd
    .command('show <id>')
    .description('one insight with its reviews, decision and comments (an id prefix is enough)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const { runInsightShow } = await import('./insight.js');
      setCode(await runInsightShow({ home: home(cmd), id, json: Boolean(o.json), out }));
    });
  for (const [verb, status] of [
    ['bless', 'blessed'],
    ['reject', 'rejected'],
  ] as const) {
    insightCmd
      .command(`${verb} <id>`)
      .description(`mark an insight ${status} by hand (overrides the panel; pending reviews are cancelled)`)
      .option('--note <text>', 'why, kept with the decision')
      .action(async (id: string, o: { note?: string }, cmd: Command) => {
        const { runInsightDecide } = await import('./insight.js');
        setCode(await runInsightDecide({ home: home(cmd), id, status, note: o.note, out }));
      });
  }
  insightCmd
    .command('comment <id> <text...>')
    .description('comment on an insight; a tick answers it at comment priority and may revise the insight')
    .action(async (id: string, text: string[], _o, cmd: Command) => {
      const { runInsightComment } = await import('./insight.js');
      setCode(await runInsightComment({ home: home(cmd), id, text: text.join(' '), out }));
    });

  const commentCmd = program.command('comment').description('human comments typed into state/documenter/document.md');
  commentCmd
    .command('list')
    .description('open, attempted and needs-human comments with their sections (and malformed markers)')
    .option('--json', 'print a JSON object')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { runCommentList } = await import('./comment.js');
      setCode(await runCommentList({ home: home(cmd), json: Boolean(o.json), out }));
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
