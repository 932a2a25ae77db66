/**
 * A problem: something in a file a person edits (seeds, sources, guidance, prompts, the document,
 * an insight file) that fano cannot use until the person fixes it. It names the file (relative to
 * the home), the line when there is one, what is wrong and how to fix it. Text with a problem is
 * never answered, patched or quoted; the rest of fano keeps working (docs/architecture.md,
 * Problems).
 */
export interface Problem {
  file: string;
  line: number | null;
  message: string;
  fix: string;
}

/**
 * What identifies a problem across ticks: its file and message, not its line, so a person's edit
 * above it (shifting the line) does not make it "new" and print it again.
 */
export function problemKey(p: Problem): string {
  return `${p.file}\n${p.message}`;
}

/** One line: `file:line: message; fix: …`. */
export function formatProblem(p: Problem): string {
  return `${p.file}${p.line !== null ? `:${p.line}` : ''}: ${p.message}; fix: ${p.fix}`;
}

/** Stable order: by file, then line, then message. */
export function sortProblems(ps: Problem[]): Problem[] {
  return [...ps].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** A file a person edits cannot be used: thrown by its reader, listed as a problem by its module. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(formatProblem(problem));
    this.name = new.target.name;
  }
}
