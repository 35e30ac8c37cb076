import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { CairnError } from '../core/errors.js';
import type { Dialect } from '../store/db.js';
import type { Comparison } from './search-types.js';

/**
 * String comparisons of MLflow's search grammars, compiled for SQLite and PostgreSQL alike and
 * shared by every search compiler (runs, experiments, logged models): LIKE is case-sensitive and
 * ILIKE is not on both engines; `%` and `_` are the wildcards and `\` escapes them. Values are bound.
 */
type Expr = RawBuilder<unknown>;
type Cond = RawBuilder<SqlBool>;
type Piece = { lit: string } | { wild: '%' | '_' };

const invalid = (message: string): CairnError => new CairnError('INVALID_PARAMETER_VALUE', message);

export function asString(v: Comparison['value']): string {
  if (typeof v !== 'string') throw invalid(`Expected a string in search, got ${String(v)}`);
  return v;
}

export function asList(v: Comparison['value']): string[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid('Expected a non-empty list of strings in search');
  return v;
}

function likePieces(pattern: string): Piece[] {
  const chars = [...pattern];
  const pieces: Piece[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) pieces.push({ lit: chars[++i]! });
    else pieces.push(c === '%' || c === '_' ? { wild: c } : { lit: c });
  }
  return pieces;
}

/** The pattern with every literal `%`, `_` and `\` escaped by a backslash (PostgreSQL's default escape). */
function likeText(pattern: string): string {
  return likePieces(pattern)
    .map((p) => ('wild' in p ? p.wild : '%_\\'.includes(p.lit) ? `\\${p.lit}` : p.lit))
    .join('');
}

/** The same pattern for SQLite's GLOB, the only case-sensitive wildcard match SQLite has built in. */
function globText(pattern: string): string {
  return likePieces(pattern)
    .map((p) => ('wild' in p ? (p.wild === '%' ? '*' : '?') : '*?['.includes(p.lit) ? `[${p.lit}]` : p.lit))
    .join('');
}

/** `col <op> value` for a string comparison; `map` rewrites exact values (e.g. status aliases). */
export function stringMatch(col: Expr, c: Comparison, dialect: Dialect, map = (s: string) => s): Cond {
  switch (c.op) {
    case '=':
      return sql`${col} = ${map(asString(c.value))}`;
    case '!=':
      return sql`${col} <> ${map(asString(c.value))}`;
    case 'IN':
      return sql`${col} IN (${sql.join(asList(c.value).map(map))})`;
    case 'NOT IN':
      return sql`${col} NOT IN (${sql.join(asList(c.value).map(map))})`;
    case 'LIKE':
      return dialect === 'postgres'
        ? sql`${col} LIKE ${likeText(asString(c.value))}`
        : sql`${col} GLOB ${globText(asString(c.value))}`;
    case 'ILIKE':
      return dialect === 'postgres'
        ? sql`${col} ILIKE ${likeText(asString(c.value))}`
        : sql`${col} LIKE ${likeText(asString(c.value))} ESCAPE '\\'`;
    default:
      throw invalid(`Comparator ${c.op} cannot compare strings`);
  }
}
