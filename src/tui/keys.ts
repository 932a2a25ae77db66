/**
 * Every key `fano top` knows, in one table: the in-app help (`?`) and `fano top --help` print it,
 * so neither can forget one. Pure data (no Ink), cheap for the CLI to import.
 */
export const TOP_KEYS: ReadonlyArray<readonly [key: string, what: string]> = [
  ['↑ ↓  j k', 'move the selection (or scroll the events pane when it has the focus)'],
  ['PgUp PgDn', 'a page up or down'],
  ['home end  g G', 'first or last row'],
  ['tab', 'move the focus between the task list and the events pane'],
  ['enter', "the selected task's details: priority and its parts, last failure and its bundle"],
  ['esc', 'back to the list; in the list, clear the filters'],
  ['s', 'cycle the order within each state: priority, age, key'],
  ['f', 'cycle the state filter: all, pending, running, paused, completed, failed'],
  ['/', 'type a filter (key, module, type or state); enter keeps it, esc clears it'],
  ['p', 'pause or resume scheduling (durable: the next tick honours it; off with --read-only)'],
  ['?', 'this help (any key returns)'],
  ['q  ctrl-c', 'quit; the screen you had before comes back'],
];

/** The key table as plain text, for `fano top --help`. */
export function keysHelpText(): string {
  const width = Math.max(...TOP_KEYS.map(([k]) => k.length));
  return ['Keys:', ...TOP_KEYS.map(([k, d]) => `  ${k.padEnd(width)}  ${d}`)].join('\n');
}
