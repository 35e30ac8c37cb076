import { isPermission, type Permission } from '../auth/types.js';

/** A comma-separated flag value as a list: entries trimmed, empty ones dropped. */
export function commaList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `--auth-default-permission`: one of MLflow's permission names. */
export function parsePermission(v: string): Permission {
  if (!isPermission(v))
    throw new Error(`Invalid permission '${v}': expected NO_PERMISSIONS, READ, EDIT or MANAGE`);
  return v;
}
