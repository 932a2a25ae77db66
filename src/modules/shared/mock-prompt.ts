/** The text after `<label>:` on its line of a prompt (how the mock responders read a prompt), or null. */
export function lineValue(prompt: string, label: string): string | null {
  return new RegExp(`^${label}:\\s*(.*)$`, 'm').exec(prompt)?.[1]?.trim() ?? null;
}
