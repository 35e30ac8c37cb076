import { invalidParam } from '../../core/errors.js';

/** How an objective turns a margin (the sum of trees) into a prediction. */
export type Transform = 'identity' | 'sigmoid' | 'exp' | 'hinge' | 'softprob' | 'softmax';

export interface Objective {
  readonly name: string;
  readonly transform: Transform;
  readonly multiclass: boolean;
  /** base_score (stored on the output scale) to the margin it starts from, in float32. */
  link(baseScore: number): number;
}

const f = Math.fround;

const identity = (p: number) => f(p);

function logit(p: number): number {
  // 0 and 1 (every label alike) are accepted since XGBoost 3.1; they give ∓Infinity.
  if (!(p >= 0 && p <= 1)) {
    throw invalidParam(`base_score must lie in [0, 1] for a logistic objective, got ${p}`);
  }
  return f(-Math.log(f(f(1 / p) - 1)));
}

function log(p: number): number {
  if (!(p > 0)) throw invalidParam(`base_score must be positive for a log-link objective, got ${p}`);
  return f(Math.log(p));
}

const TABLE: Record<string, [Transform, (p: number) => number]> = {
  'reg:squarederror': ['identity', identity],
  'reg:linear': ['identity', identity],
  'reg:squaredlogerror': ['identity', identity],
  'reg:pseudohubererror': ['identity', identity],
  'reg:absoluteerror': ['identity', identity],
  'reg:logistic': ['sigmoid', logit],
  'binary:logistic': ['sigmoid', logit],
  // Its base_score is a margin already (XGBoost's LogisticRaw::ProbToMargin is the identity).
  'binary:logitraw': ['identity', identity],
  'binary:hinge': ['hinge', identity],
  'count:poisson': ['exp', log],
  'reg:gamma': ['exp', log],
  'reg:tweedie': ['exp', log],
  'survival:cox': ['exp', log],
  'multi:softprob': ['softprob', identity],
  'multi:softmax': ['softmax', identity],
};

const SUPPORTED_OBJECTIVES: readonly string[] = Object.keys(TABLE);

export function objectiveOf(name: string): Objective {
  const entry = Object.hasOwn(TABLE, name) ? TABLE[name] : undefined;
  if (!entry) {
    throw invalidParam(
      `XGBoost objective '${name}' is not supported; supported: ${SUPPORTED_OBJECTIVES.join(', ')}`,
    );
  }
  const [transform, link] = entry;
  return { name, transform, link, multiclass: transform === 'softprob' || transform === 'softmax' };
}
