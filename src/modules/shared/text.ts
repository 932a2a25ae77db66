/** At most `maxChars` characters of `s`, an ellipsis marking a cut. */
export function clip(s: string, maxChars: number): string {
  return s.length <= maxChars ? s : `${s.slice(0, Math.max(0, maxChars - 1)).trimEnd()}…`;
}
