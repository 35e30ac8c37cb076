import { z } from 'zod';
import { CairnError } from '../core/errors.js';

/**
 * Parsing request bodies and query strings with zod, reporting problems in MLflow's words:
 * "Missing value for required parameter 'x'" / "Invalid value … for parameter 'x' supplied".
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || 'request';
  const value = getPath(input, issue.path);
  const message =
    value === undefined
      ? `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`
      : `Invalid value ${preview(value)} for parameter '${field}' supplied: ${issue.message}`;
  throw new CairnError('INVALID_PARAMETER_VALUE', message);
}

function getPath(input: unknown, path: PropertyKey[]): unknown {
  let cur = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/** Field types as protobuf JSON allows them (ids and int64 may be numbers or strings). */
export const wire = {
  id: z.union([z.string().min(1), z.number().int().nonnegative().transform(String)]),
  string: z.string(),
  int64: z.union([
    z.number().int().refine(Number.isSafeInteger, 'not a safe integer'),
    z
      .string()
      .regex(/^-?\d{1,16}$/, 'expected an integer')
      .transform(Number)
      .refine(Number.isSafeInteger, 'not a safe integer'),
  ]),
  int32: z.union([
    z.number().int(),
    z
      .string()
      .regex(/^\d{1,9}$/, 'expected an integer')
      .transform(Number),
  ]),
  keyValues: z.array(z.object({ key: z.string(), value: z.string() })),
  /** A list that a GET query string may carry as one value or repeated values. */
  stringList: z.union([z.array(z.string()), z.string().transform((s) => [s])]),
};
