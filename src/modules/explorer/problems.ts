import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToBinary, unterminatedComments } from '../../core/document-sections.js';
import { ProblemError, type Problem } from '../../core/problems.js';
import type { FanoState } from '../../core/types.js';
import { readSeeds, type Seed } from '../seeds-file.js';
import { PROMPT_DIR, promptProblems } from './prompts.js';
import { INSIGHTS_DIR } from './render.js';
import { MODULE } from './types.js';

/**
 * What a person must fix in the Explorer's files (core/problems.ts): the seeds file, a prompt
 * override, a comment left open in an insight file.
 */

/** The seeds, or the seeds file's problem (the Explorer then starts and continues no thread). */
export function seedsOrProblem(home: string): { seeds: Seed[]; problem: Problem | null } {
  try {
    return { seeds: readSeeds(home), problem: null };
  } catch (err) {
    if (err instanceof ProblemError) return { seeds: [], problem: err.problem };
    throw err;
  }
}

const rel = (...parts: string[]) => join(...parts);

function readBytes(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

function listMd(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort();
  } catch {
    return [];
  }
}

/** Every problem of the Explorer's files. */
export function explorerProblems(home: string, state: Readonly<FanoState>): Problem[] {
  const out: Problem[] = [];
  const seeds = seedsOrProblem(home).problem;
  if (seeds) out.push(seeds);
  for (const f of listMd(join(home, PROMPT_DIR))) {
    const bytes = readBytes(join(home, PROMPT_DIR, f));
    if (bytes) out.push(...promptProblems(f.slice(0, -3), bytes));
  }
  for (const id of Object.keys(state.modules[MODULE]?.insights ?? {}).sort()) {
    const file = rel(INSIGHTS_DIR, `${id}.md`);
    const bytes = readBytes(join(home, file));
    if (!bytes) continue;
    for (const p of unterminatedComments(bytesToBinary(bytes)))
      out.push({ file, line: p.line, message: p.message, fix: `${p.fix} (fano reads the comment, and updates this file, once it is closed)` });
  }
  return out;
}
