import { importsOf, isTestCode, resolveSpecifier, type SourceTree } from './source-tree.js';

/**
 * The rooms of src/ and which other rooms each may import (docs/architecture.md explains why).
 * A room is a folder directly under src/; `root` is the few files directly in src/ (errors, log,
 * crash points), which every room but core and modules may use. Importing inside one's own room
 * is always allowed (modules have one more rule, below). Test code is exempt: a test may assemble
 * several rooms, but production code never imports test code.
 */
export const ROOMS: Readonly<Record<string, readonly string[] | 'any'>> = {
  core: [],
  config: ['core', 'root'],
  store: ['core', 'root'],
  gateway: ['core', 'config', 'root'],
  modules: ['core', 'config'],
  status: ['core', 'config', 'modules', 'root'],
  tick: ['core', 'config', 'store', 'gateway', 'modules', 'root'],
  sim: ['core', 'config', 'store', 'gateway', 'modules', 'tick', 'root'],
  tui: ['core', 'config', 'store', 'modules', 'status', 'tick', 'root'],
  cli: 'any',
  root: [],
};

/** The room of a path under src/, or null outside src/. */
export function roomOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] !== 'src') return null;
  return parts.length > 2 ? parts[1]! : 'root';
}

/** For a path under src/modules/<name>/ (not shared/), the module's name. */
function moduleOf(file: string): string | null {
  const m = /^src\/modules\/([^/]+)\//.exec(file);
  return m && m[1] !== 'shared' ? m[1]! : null;
}

/**
 * Every import in `tree` that breaks a rule, as `file:line: reason (specifier)`:
 *  - a room imports only the rooms ROOMS allows it;
 *  - inside src/modules, a module is reached from outside its folder only through its index.ts
 *    (its public face), and modules/shared/ is beneath every module (it imports none of them);
 *  - production code never imports test code.
 */
export function importViolations(tree: SourceTree): string[] {
  const out: string[] = [];
  for (const [file, source] of tree) {
    const room = roomOf(file);
    if (room === null || isTestCode(file)) continue;
    const allowed = ROOMS[room];
    if (allowed === undefined) {
      out.push(`${file}: src/${room} has no import rule (add it to ROOMS and to docs/architecture.md)`);
      continue;
    }
    for (const { spec, line } of importsOf(source)) {
      const target = resolveSpecifier(file, spec);
      if (target === null) continue;
      const why = (reason: string) => out.push(`${file}:${line}: ${reason} (${spec})`);
      if (isTestCode(target)) why('production code imports test code');
      const to = roomOf(target);
      if (to === null) {
        why('imports from outside src/');
        continue;
      }
      if (to !== room && allowed !== 'any' && !allowed.includes(to)) why(`${room} may not import ${to}`);
      if (room !== 'modules' || to !== 'modules') continue;
      const fromModule = moduleOf(file);
      const toModule = moduleOf(target);
      if (file.startsWith('src/modules/shared/') && toModule !== null) why('modules/shared may not import a module');
      else if (toModule !== null && toModule !== fromModule && target !== `src/modules/${toModule}/index`) {
        why(`reaches into the ${toModule} module; import its public face src/modules/${toModule}/index.ts`);
      }
    }
  }
  return out.sort();
}
