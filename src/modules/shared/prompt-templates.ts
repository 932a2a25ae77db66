import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToBinary, invalidUtf8Lines, unterminatedComments } from '../../core/document-sections.js';
import type { Problem } from '../../core/problems.js';

/**
 * Prompt templates a home can override: a module's defaults, each replaceable by a file
 * `<dir>/<name>.md` under the home (read at every use, so an edit applies at the next tick). An
 * override with a problem (an unknown name or `{{placeholder}}`, invalid UTF-8, an unclosed `<!--`)
 * is reported as a problem and not used: the default stands in meanwhile. Code fills the
 * placeholders and appends the strict format block after the template, so no edit can break a parser.
 */
export interface PromptTemplates<N extends string> {
  /** Relative to the home, e.g. `state/documenter/prompts`. */
  readonly dir: string;
  readonly defaults: Readonly<Record<N, string>>;
  /** The override when there is a usable one, else the default. */
  load(home: string, name: N): string;
  /** The problems of one override file (`name` without `.md`). */
  problems(name: string, bytes: Uint8Array): Problem[];
  /** The problems of every override file in the home's folder. */
  homeProblems(home: string): Problem[];
}

/** The distance of two short names (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export function promptTemplates<N extends string>(dir: string, defaults: Readonly<Record<N, string>>): PromptTemplates<N> {
  const names = Object.keys(defaults) as N[];
  const isName = (n: string): n is N => (names as string[]).includes(n);

  function problems(name: string, bytes: Uint8Array): Problem[] {
    const file = join(dir, `${name}.md`);
    if (!isName(name)) {
      const near = names.filter((n) => distance(n, name) <= 2);
      return [
        {
          file,
          line: null,
          message: `"${name}.md" is not a prompt fano uses${near.length > 0 ? ` (did you mean ${near.map((n) => `${n}.md`).join(' or ')}?)` : ''}`,
          fix: `rename it to one of ${names.map((n) => `${n}.md`).join(', ')}`,
        },
      ];
    }
    const bad = invalidUtf8Lines(bytes);
    if (bad.length > 0) return [{ file, line: bad[0]!, message: 'not valid UTF-8 text', fix: 'save the file as UTF-8' }];
    const out: Problem[] = unterminatedComments(bytesToBinary(bytes)).map((p) => ({ file, ...p }));
    const known = new Set([...defaults[name].matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!));
    new TextDecoder()
      .decode(bytes)
      .split('\n')
      .forEach((l, i) => {
        for (const m of l.matchAll(/\{\{(\w+)\}\}/g)) {
          if (!known.has(m[1]!))
            out.push({ file, line: i + 1, message: `unknown placeholder {{${m[1]}}}`, fix: `use only ${[...known].map((k) => `{{${k}}}`).join(', ')}` });
        }
      });
    return out;
  }

  function load(home: string, name: N): string {
    try {
      const bytes = readFileSync(join(home, dir, `${name}.md`));
      const t = bytes.toString('utf8');
      if (t.trim() !== '' && problems(name, bytes).length === 0) return t.trim();
    } catch {
      // no override: the default
    }
    return defaults[name];
  }

  function homeProblems(home: string): Problem[] {
    let files: string[];
    try {
      files = readdirSync(join(home, dir))
        .filter((f) => f.endsWith('.md'))
        .sort();
    } catch {
      return [];
    }
    return files.flatMap((f) => {
      try {
        return problems(f.slice(0, -3), readFileSync(join(home, dir, f)));
      } catch {
        return [];
      }
    });
  }

  return { dir, defaults, load, problems, homeProblems };
}
