/**
 * MLflow's search DSL for `search_runs` and `search_experiments`: a tokenizer and a recursive-descent
 * parser that turn a filter string (`metrics.acc > 0.9 AND tags.team = 'nlp'`) and order_by terms
 * (`metrics.acc DESC`) into the typed tree of search-types.ts. Pure: no SQL, no database.
 *
 * Every error is an INVALID_PARAMETER_VALUE naming the character offset where parsing failed and
 * what was expected there.
 */
import { CairnError } from '../core/errors.js';
import { type Fail, failer, type Token, tokenize } from '../core/filter-tokens.js';
import type { Comparator, Comparison, FilterTree, OrderTerm, SearchEntity } from './search-types.js';

/** Bounds on what we parse; they also keep the compiled SQL well under the engines' parameter limits. */
export const SEARCH_LIMITS = {
  filterChars: 10_000,
  clauses: 100,
  listValues: 1_000,
  orderTerms: 20,
  orderTermChars: 1_000,
} as const;

// ---------------------------------------------------------------------------------------------
// What each search accepts

interface Grammar {
  /** Entity prefixes (`metrics`, `metric`, …) and the entity each names. */
  entities: Record<string, SearchEntity>;
  /** Accepted attribute keys and their canonical names. */
  attributes: Record<string, string>;
  /** Canonical attribute names that hold numbers (times). */
  numeric: ReadonlySet<string>;
  /** Entities allowed in order_by. */
  orderable: ReadonlySet<SearchEntity>;
  /** What an identifier looks like, for error messages. */
  identifiers: string;
}

const RUN_ATTRIBUTES: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'run_name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
};

const RUN_ENTITIES: Record<string, SearchEntity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

const RUNS: Grammar = {
  entities: RUN_ENTITIES,
  attributes: RUN_ATTRIBUTES,
  numeric: new Set(['start_time', 'end_time']),
  orderable: new Set<SearchEntity>(['metric', 'param', 'tag', 'attribute']),
  identifiers: 'metrics.<key>, params.<key>, tags.<key>, attributes.<key> or datasets.<key>',
};

const EXPERIMENT_ENTITIES: Record<string, SearchEntity> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  tag: 'tag',
  tags: 'tag',
};

const EXPERIMENTS_FILTER: Grammar = {
  entities: EXPERIMENT_ENTITIES,
  attributes: { name: 'name', creation_time: 'creation_time', last_update_time: 'last_update_time' },
  numeric: new Set(['creation_time', 'last_update_time']),
  orderable: new Set<SearchEntity>(['attribute']),
  identifiers: 'name, creation_time, last_update_time or tags.<key>',
};

const EXPERIMENTS_ORDER: Grammar = {
  ...EXPERIMENTS_FILTER,
  attributes: { ...EXPERIMENTS_FILTER.attributes, experiment_id: 'experiment_id' },
  numeric: new Set(['creation_time', 'last_update_time', 'experiment_id']),
  identifiers: 'name, experiment_id, creation_time or last_update_time',
};

const DATASET_KEYS = ['name', 'digest', 'context'];
const NUMERIC_OPS: Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const STRING_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const KEYED_OPS: Comparator[] = [...STRING_OPS, 'IS NULL', 'IS NOT NULL'];
const ALL_OPS = '=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL';

// ---------------------------------------------------------------------------------------------
// Parser

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
    private readonly grammar: Grammar,
    private readonly fail: Fail,
  ) {}

  peek(): Token {
    return this.tokens[this.pos]!;
  }

  next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toUpperCase());
  }

  /** `prefix.key`, `prefix."quoted key"`, `` `prefix`.key ``, or a bare (possibly quoted) attribute. */
  identifier(): Identifier {
    const t = this.next();
    if (t.kind === 'word') {
      const dot = t.text.indexOf('.');
      if (dot < 0) return this.resolve('attribute', t.text, t.start, t.start, t.end);
      const key = t.text.slice(dot + 1);
      if (key !== '') return this.resolve(t.text.slice(0, dot), key, t.start, t.start + dot + 1, t.end);
      return this.quotedKey(t.text.slice(0, dot), t.start, t.end);
    }
    if (t.kind === 'string' && t.quote !== "'") {
      const d = this.peek();
      if (d.kind === '.' && d.start === t.end) {
        this.next();
        const k = this.peek();
        if (k.kind === 'word' && k.start === d.end) {
          this.next();
          return this.resolve(t.value!, k.text, t.start, k.start, k.end);
        }
        return this.quotedKey(t.value!, t.start, d.end);
      }
      return this.resolve('attribute', t.value!, t.start, t.start, t.end);
    }
    return this.fail(t.start, `an identifier such as ${this.grammar.identifiers}`);
  }

  private quotedKey(prefix: string, start: number, dotEnd: number): Identifier {
    const k = this.peek();
    if (k.kind !== 'string' || k.start !== dotEnd) {
      return this.fail(dotEnd, 'a key after the entity prefix, e.g. metrics.acc or metrics.`my key`');
    }
    this.next();
    return this.resolve(prefix, k.value!, start, k.start, k.end);
  }

  private resolve(prefix: string, key: string, start: number, keyStart: number, end: number): Identifier {
    const { entities } = this.grammar;
    const entity =
      prefix === 'attribute' ? 'attribute' : Object.hasOwn(entities, prefix) ? entities[prefix] : undefined;
    if (!entity) {
      const valid = [...new Set(Object.keys(this.grammar.entities))].join(', ');
      return this.fail(start, `an entity prefix, one of: ${valid} (got '${prefix}')`);
    }
    if (key === '') return this.fail(keyStart, 'a non-empty key');
    if (entity === 'attribute') {
      const canonical = Object.hasOwn(this.grammar.attributes, key)
        ? this.grammar.attributes[key]
        : undefined;
      if (!canonical) {
        const valid = Object.keys(this.grammar.attributes).join(', ');
        return this.fail(keyStart, `an attribute, one of: ${valid} (got '${key}')`);
      }
      return { entity, key: canonical, start, end };
    }
    if (entity === 'dataset' && !DATASET_KEYS.includes(key)) {
      return this.fail(keyStart, `a dataset field, one of: ${DATASET_KEYS.join(', ')} (got '${key}')`);
    }
    return { entity, key, start, end };
  }

  comparator(after: Identifier): { op: Comparator; start: number } {
    const t = this.next();
    if (t.kind === 'op' && ['=', '!=', '>', '>=', '<', '<='].includes(t.text)) {
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
    const hint =
      t.start === after.end && t.kind !== 'end'
        ? '; keys with special characters must be quoted, e.g. metrics.`val-loss`'
        : '';
    return this.fail(t.start, `a comparator (${ALL_OPS})${hint}`);
  }

  comparison(): Comparison {
    const id = this.identifier();
    const { op, start: opStart } = this.comparator(id);
    const kind = this.valueKind(id);
    const allowed =
      kind === 'number' ? NUMERIC_OPS : id.entity === 'param' || id.entity === 'tag' ? KEYED_OPS : STRING_OPS;
    if (!allowed.includes(op)) {
      this.fail(opStart, `a comparator valid for ${describe(id)}: ${allowed.join(', ')} (got ${op})`);
    }
    if (op === 'IS NULL' || op === 'IS NOT NULL') return { entity: id.entity, key: id.key, op, value: null };
    if (op === 'IN' || op === 'NOT IN') return { entity: id.entity, key: id.key, op, value: this.list() };
    const v = this.next();
    if (kind === 'number') {
      if (v.kind !== 'number') return this.fail(v.start, `a number for ${describe(id)}`);
      const n = Number(v.text);
      if (!Number.isFinite(n)) return this.fail(v.start, 'a finite number');
      return { entity: id.entity, key: id.key, op, value: n };
    }
    if (v.kind !== 'string' || v.quote === '`') {
      return this.fail(v.start, `a quoted string for ${describe(id)}, e.g. 'value'`);
    }
    return { entity: id.entity, key: id.key, op, value: v.value! };
  }

  private valueKind(id: Identifier): 'number' | 'string' {
    if (id.entity === 'metric') return 'number';
    return id.entity === 'attribute' && this.grammar.numeric.has(id.key) ? 'number' : 'string';
  }

  /** `('a', "b", …)`: a non-empty list of quoted strings. */
  private list(): string[] {
    const open = this.next();
    if (open.kind !== '(')
      return this.fail(open.start, "a parenthesised list of quoted strings, e.g. ('a', 'b')");
    const values: string[] = [];
    for (;;) {
      const v = this.next();
      if (v.kind !== 'string' || v.quote === '`') return this.fail(v.start, 'a quoted string in the list');
      values.push(v.value!);
      if (values.length > SEARCH_LIMITS.listValues) {
        return this.fail(v.start, `at most ${SEARCH_LIMITS.listValues} values in a list`);
      }
      const sep = this.next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') return this.fail(sep.start, "',' or ')' in the list");
    }
  }

  /** comparison (AND comparison)* end */
  filter(): FilterTree {
    const clauses: Comparison[] = [];
    if (this.peek().kind === 'end') return { clauses };
    for (;;) {
      if (clauses.length === SEARCH_LIMITS.clauses) {
        this.fail(this.peek().start, `at most ${SEARCH_LIMITS.clauses} clauses`);
      }
      clauses.push(this.comparison());
      const t = this.next();
      if (t.kind === 'end') return { clauses };
      if (this.isWord(t, 'OR'))
        this.fail(t.start, 'AND (OR is not supported: filters are conjunctions of AND)');
      if (!this.isWord(t, 'AND')) this.fail(t.start, 'AND or the end of the filter');
    }
  }

  /** identifier [ASC | DESC] end */
  orderTerm(): OrderTerm {
    const id = this.identifier();
    if (!this.grammar.orderable.has(id.entity)) {
      const valid = [...this.grammar.orderable].join(', ');
      this.fail(id.start, `an orderable field (${valid}); ${id.entity} fields cannot be used in order_by`);
    }
    let ascending = true;
    const t = this.next();
    if (this.isWord(t, 'ASC', 'DESC')) {
      ascending = t.text.toUpperCase() === 'ASC';
      const e = this.next();
      if (e.kind !== 'end') this.fail(e.start, 'the end of the order_by clause');
    } else if (t.kind !== 'end') {
      this.fail(t.start, 'ASC, DESC or the end of the order_by clause');
    }
    return { entity: id.entity, key: id.key, ascending };
  }
}

function describe(id: Identifier): string {
  return `${id.entity} '${id.key}'`;
}

function parseFilter(text: string, grammar: Grammar): FilterTree {
  const fail = failer('filter', text);
  if (text.length > SEARCH_LIMITS.filterChars)
    fail(SEARCH_LIMITS.filterChars, `at most ${SEARCH_LIMITS.filterChars} characters`);
  return new Parser(tokenize(text, fail), grammar, fail).filter();
}

function parseOrderBy(list: readonly string[], grammar: Grammar, unique: boolean): OrderTerm[] {
  if (list.length > SEARCH_LIMITS.orderTerms) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid order_by: expected at most ${SEARCH_LIMITS.orderTerms} terms, got ${list.length}`,
    );
  }
  const seen = new Set<string>();
  return list.map((text) => {
    const fail = failer('order_by clause', text);
    if (text.length > SEARCH_LIMITS.orderTermChars) {
      fail(SEARCH_LIMITS.orderTermChars, `at most ${SEARCH_LIMITS.orderTermChars} characters`);
    }
    const term = new Parser(tokenize(text, fail), grammar, fail).orderTerm();
    const id = `${term.entity}\u0000${term.key}`;
    if (unique && seen.has(id))
      fail(0, `a field not already ordered on (${term.entity} '${term.key}' appears twice)`);
    seen.add(id);
    return term;
  });
}

/** Parses a `search_runs` filter. Empty or blank text is the empty conjunction (matches every run). */
export function parseRunFilter(text: string): FilterTree {
  return parseFilter(text, RUNS);
}

/** Parses a `search_experiments` filter: `name`, `creation_time`, `last_update_time` and `tags.<key>`. */
export function parseExperimentFilter(text: string): FilterTree {
  return parseFilter(text, EXPERIMENTS_FILTER);
}

/** Parses `search_runs` order_by terms (`metrics.acc DESC`); a field ordered twice is an error, as in MLflow. */
export function parseRunOrderBy(list: readonly string[]): OrderTerm[] {
  return parseOrderBy(list, RUNS, true);
}

/** Parses `search_experiments` order_by terms: `name`, `experiment_id`, `creation_time`, `last_update_time`. */
export function parseExperimentOrderBy(list: readonly string[]): OrderTerm[] {
  return parseOrderBy(list, EXPERIMENTS_ORDER, false);
}
