/**
 * The search DSL of `logged-models/search`: a filter over the model's attributes (`name`,
 * `model_id`, `model_type`, `status`, `source_run_id`, `creation_timestamp`,
 * `last_updated_timestamp`), `params.<key>` and `tags.<key>`, ANDed; and `order_by` entries
 * `{field_name, ascending}` over the attributes. Parses into the typed tree of search-types.ts.
 * Pure: no SQL, no database.
 *
 * `metrics.<key>` clauses and orderings are refused: Cairn does not link metrics to logged models
 * yet. search-parse.ts keeps its tokenizer private, so this file carries its own small one with the
 * same rules (quotes, backslash escapes, `prefix.key` words) and the same error wording.
 */
import { CairnError } from '../core/errors.js';
import { type Fail, failer, type Token, tokenize } from '../core/filter-tokens.js';
import type { LoggedModelOrderBy } from './logged-models-types.js';
import { SEARCH_LIMITS } from './search-parse.js';
import type { Comparator, Comparison, FilterTree, OrderTerm, SearchEntity } from './search-types.js';

/** Accepted attribute names and their canonical names. */
export const LOGGED_MODEL_ATTRIBUTES: Readonly<Record<string, string>> = {
  name: 'name',
  model_id: 'model_id',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
  creation_timestamp: 'creation_timestamp',
  creation_time: 'creation_timestamp',
  creation_timestamp_ms: 'creation_timestamp',
  last_updated_timestamp: 'last_updated_timestamp',
  last_updated_timestamp_ms: 'last_updated_timestamp',
};
const NUMERIC_ATTRIBUTES = new Set(['creation_timestamp', 'last_updated_timestamp']);

const ENTITIES: Record<string, SearchEntity> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  metric: 'metric',
  metrics: 'metric',
};

const NUMERIC_OPS: Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const STRING_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const KEYED_OPS: Comparator[] = [...STRING_OPS, 'IS NULL', 'IS NOT NULL'];

interface Identifier {
  entity: SearchEntity;
  key: string;
  start: number;
  end: number;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly fail: Fail,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toUpperCase());
  }

  /** `name`, `attributes.name`, `params.lr`, `tags.mlflow.user`, ``tags.`my key` ``. */
  identifier(): Identifier {
    const t = this.next();
    if (t.kind !== 'word') {
      return this.fail(t.start, 'an identifier such as name, model_type, status, params.<key> or tags.<key>');
    }
    const dot = t.text.indexOf('.');
    if (dot < 0) return this.resolve('attribute', t.text, t.start, t.start, t.end);
    const prefix = t.text.slice(0, dot);
    const key = t.text.slice(dot + 1);
    if (key !== '') return this.resolve(prefix, key, t.start, t.start + dot + 1, t.end);
    const k = this.peek();
    if (k.kind !== 'string' || k.start !== t.end) {
      return this.fail(t.end, 'a key after the entity prefix, e.g. params.lr or tags.`my key`');
    }
    this.next();
    return this.resolve(prefix, k.value!, t.start, k.start, k.end);
  }

  private resolve(prefix: string, key: string, start: number, keyStart: number, end: number): Identifier {
    const entity = Object.hasOwn(ENTITIES, prefix) ? ENTITIES[prefix] : undefined;
    if (!entity) {
      return this.fail(
        start,
        `an entity prefix, one of: ${Object.keys(ENTITIES).join(', ')} (got '${prefix}')`,
      );
    }
    if (entity === 'metric') {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Searching or ordering logged models by metrics ('${prefix}.${key}') is not supported: Cairn does not link metrics to logged models yet.`,
      );
    }
    if (key === '') return this.fail(keyStart, 'a non-empty key');
    if (entity !== 'attribute') return { entity, key, start, end };
    const canonical = Object.hasOwn(LOGGED_MODEL_ATTRIBUTES, key) ? LOGGED_MODEL_ATTRIBUTES[key] : undefined;
    if (!canonical) {
      const valid = Object.keys(LOGGED_MODEL_ATTRIBUTES).join(', ');
      return this.fail(keyStart, `an attribute, one of: ${valid} (got '${key}')`);
    }
    return { entity, key: canonical, start, end };
  }

  private comparator(): { op: Comparator; start: number } {
    const t = this.next();
    if (t.kind === 'op' && NUMERIC_OPS.includes(t.text as Comparator)) {
      return { op: t.text as Comparator, start: t.start };
    }
    if (this.isWord(t, 'LIKE', 'ILIKE', 'IN'))
      return { op: t.text.toUpperCase() as Comparator, start: t.start };
    if (this.isWord(t, 'NOT')) {
      const n = this.next();
      if (!this.isWord(n, 'IN')) this.fail(n.start, 'IN after NOT');
      return { op: 'NOT IN', start: t.start };
    }
    if (this.isWord(t, 'IS')) {
      const negated = this.isWord(this.peek(), 'NOT');
      if (negated) this.next();
      const n = this.next();
      if (!this.isWord(n, 'NULL'))
        this.fail(n.start, negated ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      return { op: negated ? 'IS NOT NULL' : 'IS NULL', start: t.start };
    }
    return this.fail(t.start, `a comparator (${KEYED_OPS.join(', ')})`);
  }

  private comparison(): Comparison {
    const id = this.identifier();
    const { op, start } = this.comparator();
    const numeric = id.entity === 'attribute' && NUMERIC_ATTRIBUTES.has(id.key);
    const allowed = numeric ? NUMERIC_OPS : id.entity === 'attribute' ? STRING_OPS : KEYED_OPS;
    if (!allowed.includes(op)) {
      this.fail(start, `a comparator valid for ${id.entity} '${id.key}': ${allowed.join(', ')} (got ${op})`);
    }
    const base = { entity: id.entity, key: id.key, op };
    if (op === 'IS NULL' || op === 'IS NOT NULL') return { ...base, value: null };
    if (op === 'IN' || op === 'NOT IN') return { ...base, value: this.list() };
    const v = this.next();
    if (numeric) {
      const n = Number(v.text);
      if (v.kind !== 'number' || !Number.isFinite(n))
        return this.fail(v.start, `a finite number for '${id.key}'`);
      return { ...base, value: n };
    }
    if (v.kind !== 'string' || v.quote === '`') {
      return this.fail(v.start, `a quoted string for ${id.entity} '${id.key}', e.g. 'value'`);
    }
    return { ...base, value: v.value! };
  }

  private list(): string[] {
    const open = this.next();
    if (open.kind !== '(')
      return this.fail(open.start, "a parenthesised list of quoted strings, e.g. ('a', 'b')");
    const values: string[] = [];
    for (;;) {
      const v = this.next();
      if (v.kind !== 'string' || v.quote === '`') return this.fail(v.start, 'a quoted string in the list');
      values.push(v.value!);
      if (values.length > SEARCH_LIMITS.listValues)
        return this.fail(v.start, `at most ${SEARCH_LIMITS.listValues} values in a list`);
      const sep = this.next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') return this.fail(sep.start, "',' or ')' in the list");
    }
  }

  filter(): FilterTree {
    const clauses: Comparison[] = [];
    if (this.peek().kind === 'end') return { clauses };
    for (;;) {
      if (clauses.length === SEARCH_LIMITS.clauses)
        this.fail(this.peek().start, `at most ${SEARCH_LIMITS.clauses} clauses`);
      clauses.push(this.comparison());
      const t = this.next();
      if (t.kind === 'end') return { clauses };
      if (this.isWord(t, 'OR'))
        this.fail(t.start, 'AND (OR is not supported: filters are conjunctions of AND)');
      if (!this.isWord(t, 'AND')) this.fail(t.start, 'AND or the end of the filter');
    }
  }

  /** A whole field_name: one identifier and nothing after it. */
  fieldName(): Identifier {
    const id = this.identifier();
    const t = this.next();
    if (t.kind !== 'end') this.fail(t.start, 'the end of the field name');
    return id;
  }
}

/** Parses a logged-model search filter. Empty or blank text matches every model. */
export function parseLoggedModelFilter(text: string): FilterTree {
  const fail = failer('filter', text);
  if (text.length > SEARCH_LIMITS.filterChars)
    fail(SEARCH_LIMITS.filterChars, `at most ${SEARCH_LIMITS.filterChars} characters`);
  return new Parser(tokenize(text, fail), fail).filter();
}

/**
 * Parses `order_by` entries. Attributes only, as MLflow: `params.*`/`tags.*` are not orderable,
 * and `metrics.*` (with its dataset scoping) is refused until logged models carry metrics.
 */
export function parseLoggedModelOrderBy(list: readonly LoggedModelOrderBy[]): OrderTerm[] {
  if (list.length > SEARCH_LIMITS.orderTerms) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid order_by: expected at most ${SEARCH_LIMITS.orderTerms} terms, got ${list.length}`,
    );
  }
  return list.map((o) => {
    const name = o.field_name;
    if (typeof name !== 'string' || name === '') {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        '`field_name` in the `order_by` clause must be specified.',
      );
    }
    const fail = failer('order_by field name', name);
    if (name.length > SEARCH_LIMITS.orderTermChars)
      fail(SEARCH_LIMITS.orderTermChars, `at most ${SEARCH_LIMITS.orderTermChars} characters`);
    const id = new Parser(tokenize(name, fail), fail).fieldName();
    if (id.entity !== 'attribute') {
      throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid order by field name: ${name.split('.')[0]}`);
    }
    if (o.dataset_name || o.dataset_digest) {
      fail(0, 'dataset_name and dataset_digest only with a metrics.<key> field');
    }
    return { entity: 'attribute', key: id.key, ascending: o.ascending ?? true };
  });
}
