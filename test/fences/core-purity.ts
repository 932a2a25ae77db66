import ts from 'typescript';
import { importsOf, isTestCode, resolveSpecifier, type SourceTree } from './source-tree.js';

/**
 * src/core is pure: the same arguments give the same result, in a test or in a tick. So no file
 * system, no clock, no randomness, no process and no timers: time and randomness are arguments.
 * The only package it may use is node:crypto, for hashing (its random functions are refused).
 */
const PACKAGES = new Set(['node:crypto']);

/** Globals that reach outside the computation: the process, timers, the clock, the network. */
const GLOBALS = new Set([
  'process',
  'require',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'performance',
  'fetch',
]);
const RANDOM = new Set(['randomUUID', 'randomBytes', 'randomInt', 'randomFill', 'randomFillSync', 'getRandomValues']);

const isIdent = (n: ts.Node, text: string): boolean => ts.isIdentifier(n) && n.text === text;

/** The impure uses in the text of `fileName` (a path under src/core), as `line: what`. */
export function impureUses(source: string, fileName: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const hit = (n: ts.Node, what: string) => out.push(`${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what}`);
  for (const { spec, line } of importsOf(source)) {
    const target = resolveSpecifier(fileName, spec);
    if (target === null ? !PACKAGES.has(spec) : !target.startsWith('src/core/')) out.push(`${line}: imports ${spec}`);
  }
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && isIdent(n.expression, 'Date') && n.name.text === 'now') hit(n, 'Date.now (the time is an argument)');
    else if (ts.isPropertyAccessExpression(n) && isIdent(n.expression, 'Math') && n.name.text === 'random') hit(n, 'Math.random (randomness is an argument)');
    else if (ts.isNewExpression(n) && isIdent(n.expression, 'Date') && (n.arguments?.length ?? 0) === 0) hit(n, 'new Date() (the time is an argument)');
    else if (ts.isCallExpression(n) && isIdent(n.expression, 'Date')) hit(n, 'Date() (the time is an argument)');
    else if (ts.isIdentifier(n) && RANDOM.has(n.text)) hit(n, `${n.text} (randomness is an argument)`);
    else if (ts.isIdentifier(n) && GLOBALS.has(n.text) && isReference(n)) hit(n, n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Not a property name (`x.process`, `{ setTimeout: 1 }`) nor a declared name. */
function isReference(n: ts.Identifier): boolean {
  const p = n.parent;
  if (ts.isPropertyAccessExpression(p)) return p.name !== n;
  if (ts.isQualifiedName(p)) return p.right !== n;
  if (ts.isShorthandPropertyAssignment(p)) return true;
  return (p as { name?: ts.Node }).name !== n;
}

/** Every impure use in the production files of src/core, as `file:line: what`. */
export function coreViolations(tree: SourceTree): string[] {
  const out: string[] = [];
  for (const [file, source] of tree) {
    if (!file.startsWith('src/core/') || isTestCode(file)) continue;
    for (const use of impureUses(source, file)) out.push(`${file}:${use}`);
  }
  return out.sort();
}
