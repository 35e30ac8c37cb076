import { Option } from 'commander';
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

/**
 * The flags every Cairn server takes for its hardening and auth: `--allowed-hosts`,
 * `--cors-allowed-origins`, `--auth-default-permission` (each command adds its own `--auth`).
 */
export function serverSecurityOptions(): Option[] {
  return [
    new Option(
      '--allowed-hosts <hosts>',
      'Host headers accepted, comma-separated (host, host:port, *.domain, *); default localhost, 127.0.0.1, [::1] when bound to loopback',
    ).argParser(commaList),
    new Option(
      '--cors-allowed-origins <origins>',
      'origins allowed cross-origin access, comma-separated (https://app.example.com, *); default none',
    ).argParser(commaList),
    new Option(
      '--auth-default-permission <level>',
      'with --auth: what users hold where nothing was granted (NO_PERMISSIONS, READ, EDIT, MANAGE)',
    )
      .argParser(parsePermission)
      .default('NO_PERMISSIONS'),
  ];
}
