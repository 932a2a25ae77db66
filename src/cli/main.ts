import { CommanderError } from 'commander';
import { environmentError, ExitCode, FanoError } from '../errors.js';
import { buildProgram } from './program.js';

/**
 * Runs the CLI and returns the exit code. Typed FanoErrors were already phrased for the user;
 * anything else is a bug and says how to report it.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return program.fanoExitCode ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help/version it was asked for).
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof FanoError) {
      process.stderr.write(`fano: ${err.message}\n`);
      return err.exitCode;
    }
    const env = environmentError(err);
    if (env) {
      process.stderr.write(`fano: ${env.message}\n`);
      return env.exitCode;
    }
    const e = err as Error;
    process.stderr.write(
      `fano: internal error: ${e?.stack ?? String(err)}\n` + 'This is a bug in fano. Please report it with the command you ran and the newest file in runs/.\n',
    );
    return ExitCode.internal;
  }
}
