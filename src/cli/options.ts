/** A comma-separated flag value as a list: entries trimmed, empty ones dropped. */
export function commaList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
