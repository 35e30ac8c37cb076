/**
 * MLflow's registry search DSL (`SearchModelUtils`, `SearchModelVersionUtils`): filters such as
 * `name LIKE 'fraud%' AND tags.team = 'risk'` or `run_id IN ('a', 'b') AND version_number > 2`,
 * and order_by terms such as `last_updated_timestamp DESC`. Pure: parses into the typed tree of
 * tracking's search-types.ts; the SQL lives in sql-search.ts.
 *
 * Registered models: `name` (=, !=, LIKE, ILIKE) and `tags.<key>` (=, !=, LIKE, ILIKE); order by
 * `name`, `timestamp` / `last_updated_timestamp`, `creation_timestamp`. Model versions: `name`,
 * `source_path` (=, !=, LIKE, ILIKE), `run_id` (also IN), `version_number` (=, !=, <, <=, >, >=)
 * and `tags.<key>`; order by `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`.
 * Errors are INVALID_PARAMETER_VALUE naming the character offset and what was expected there.
 */
import { CairnError } from '../core/errors.js';
import { type Fail, failer, type Token, tokenize } from '../core/filter-tokens.js';
import { SEARCH_LIMITS } from '../tracking/search-parse.js';
import type { Comparator, Comparison, FilterTree, OrderTerm } from '../tracking/search-types.js';

interface Attribute {
  numeric: boolean;
  ops: readonly Comparator[];
}

interface Grammar {
  attributes: Record<string, Attribute>;
  /** Accepted order_by keys and their canonical names. */
  order: Record<string, string>;
}

const TEXT_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMBER_OPS: Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const TAG_PREFIXES = ['tag', 'tags'];
const ATTRIBUTE_PREFIXES = ['attribute', 'attributes', 'attr'];

const MODELS: Grammar = {
  attributes: { name: { numeric: false, ops: TEXT_OPS } },
  order: {
    name: 'name',
    timestamp: 'last_updated_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
    creation_timestamp: 'creation_timestamp',
  },
};

const VERSIONS: Grammar = {
  attributes: {
    name: { numeric: false, ops: TEXT_OPS },
    source_path: { numeric: false, ops: TEXT_OPS },
    run_id: { numeric: false, ops: [...TEXT_OPS, 'IN'] },
    version_number: { numeric: true, ops: NUMBER_OPS },
  },
  order: {
    name: 'name',
    version_number: 'version_number',
    creation_timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
};

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly grammar: Grammar,
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

  /** `name`, `attribute.name`, `tags.key`, ``tags.`my key` ``, `tags."my key"`. */
  private identifier(): { entity: 'attribute' | 'tag'; key: string; start: number } {
    const t = this.next();
    const valid = `${Object.keys(this.grammar.attributes).join(', ')} or tags.<key>`;
    if (t.kind !== 'word') return this.fail(t.start, `an identifier: ${valid}`);
    const dot = t.text.indexOf('.');
    let prefix = dot < 0 ? '' : t.text.slice(0, dot);
    let key = dot < 0 ? t.text : t.text.slice(dot + 1);
    if (dot >= 0 && key === '') {
      const q = this.peek();
      if (q.kind !== 'string' || q.quote === "'" || q.start !== t.end)
        return this.fail(t.end, 'a key after the prefix, e.g. tags.team or tags.`my key`');
      this.next();
      key = q.value!;
    }
    if (prefix !== '' && ATTRIBUTE_PREFIXES.includes(prefix.toLowerCase())) prefix = '';
    if (prefix !== '' && !TAG_PREFIXES.includes(prefix.toLowerCase()))
      return this.fail(t.start, `an identifier: ${valid} (got '${t.text}')`);
    if (prefix !== '') {
      if (key === '') return this.fail(t.end, 'a non-empty tag key');
      return { entity: 'tag', key, start: t.start };
    }
    if (!Object.hasOwn(this.grammar.attributes, key))
      return this.fail(t.start, `an attribute, one of: ${valid} (got '${key}')`);
    return { entity: 'attribute', key, start: t.start };
  }

  private comparator(): { op: Comparator; start: number } {
    const t = this.next();
    if (t.kind === 'op' && ['=', '!=', '<>', '>', '>=', '<', '<='].includes(t.text))
      return { op: (t.text === '<>' ? '!=' : t.text) as Comparator, start: t.start };
    if (this.isWord(t, 'LIKE', 'ILIKE', 'IN'))
      return { op: t.text.toUpperCase() as Comparator, start: t.start };
    return this.fail(t.start, 'a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN)');
  }

  private comparison(): Comparison {
    const id = this.identifier();
    const attr = id.entity === 'attribute' ? this.grammar.attributes[id.key]! : undefined;
    const ops = attr ? attr.ops : TEXT_OPS;
    const { op, start } = this.comparator();
    const what = attr ? `attribute '${id.key}'` : `tag '${id.key}'`;
    if (!ops.includes(op)) this.fail(start, `a comparator valid for ${what}: ${ops.join(', ')} (got ${op})`);
    if (op === 'IN') return { entity: id.entity, key: id.key, op, value: this.list() };
    const v = this.next();
    if (attr?.numeric) {
      if (v.kind !== 'number' || !/^\d+$/.test(v.text)) return this.fail(v.start, `an integer for ${what}`);
      return { entity: id.entity, key: id.key, op, value: Number(v.text) };
    }
    if (v.kind !== 'string' || v.quote === '`') return this.fail(v.start, `a quoted string for ${what}`);
    return { entity: id.entity, key: id.key, op, value: v.value! };
  }

  private list(): string[] {
    if (this.next().kind !== '(')
      return this.fail(this.tokens[this.pos - 1]!.start, "a list such as ('a', 'b')");
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
      if (!this.isWord(t, 'AND')) this.fail(t.start, 'AND or the end of the filter (OR is not supported)');
    }
  }
}

function parseFilter(text: string, grammar: Grammar): FilterTree {
  const fail = failer('filter', text);
  if (text.length > SEARCH_LIMITS.filterChars)
    fail(SEARCH_LIMITS.filterChars, `at most ${SEARCH_LIMITS.filterChars} characters`);
  return new Parser(tokenize(text, fail), grammar, fail).filter();
}

/** `key [ASC|DESC]`; a field ordered twice is an error, as in MLflow. */
function parseOrderBy(list: readonly string[], grammar: Grammar): OrderTerm[] {
  if (list.length > SEARCH_LIMITS.orderTerms) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid order_by: expected at most ${SEARCH_LIMITS.orderTerms} terms, got ${list.length}`,
    );
  }
  const seen = new Set<string>();
  return list.map((text) => {
    const m = /^\s*(?:attr(?:ibutes?)?\.)?`?(\w+)`?(?:\s+(asc|desc))?\s*$/i.exec(text);
    const key = m && Object.hasOwn(grammar.order, m[1]!) ? grammar.order[m[1]!]! : undefined;
    if (!key) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Invalid order_by clause '${text.slice(0, 200)}': expected one of ${Object.keys(grammar.order).join(', ')}, optionally followed by ASC or DESC`,
      );
    }
    if (seen.has(key))
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `\`order_by\` contains duplicate fields: ${list.join(', ')}`,
      );
    seen.add(key);
    return { entity: 'attribute', key, ascending: (m![2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}

export function parseRegisteredModelFilter(text: string): FilterTree {
  return parseFilter(text, MODELS);
}

export function parseRegisteredModelOrderBy(list: readonly string[]): OrderTerm[] {
  return parseOrderBy(list, MODELS);
}

export function parseModelVersionFilter(text: string): FilterTree {
  return parseFilter(text, VERSIONS);
}

export function parseModelVersionOrderBy(list: readonly string[]): OrderTerm[] {
  return parseOrderBy(list, VERSIONS);
}
