/**
 * Which resources of one kind a caller may see in a list: only the ones named, or every one except
 * the ones named (ids for experiments, names for registered models). Absent means every one.
 * Set by the server's permission layer; applied by the stores in SQL so pages stay full.
 */
export type Visibility = { readonly only: readonly string[] } | { readonly except: readonly string[] };

/** Whether one id passes a visibility. */
export function isVisible(v: Visibility | undefined, id: string): boolean {
  if (!v) return true;
  return 'only' in v ? v.only.includes(id) : !v.except.includes(id);
}
