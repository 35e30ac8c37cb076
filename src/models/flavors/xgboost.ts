import { readFile } from 'node:fs/promises';
import { invalidParam } from '../../core/errors.js';
import { type Column, Frame } from '../../core/frame.js';
import type { Flavor, LoadedModel } from '../flavor.js';
import { resolveModelFile } from '../model-files.js';
import type { ModelManifest } from '../types.js';
import { parseXgbModel, type XgbModel } from '../xgboost/model.js';
import { argmaxRows, sumTrees, transformMargins, treeRange } from '../xgboost/predict.js';

/** MLflow's default when the flavor conf names no class (models saved before MLflow 1.22). */
const BOOSTER_CLASS = 'xgboost.core.Booster';
/** The file MLflow's xgboost flavor writes by default (`model.<model_format>`, format `xgb`). */
const DEFAULT_DATA = 'model.xgb';
const NUMERIC = new Set(['double', 'float', 'long', 'integer', 'boolean']);
/** Scratch buffers up to this many floats are kept for the next call; larger ones are not. */
const KEEP_FLOATS = 1 << 16;
const PARAMS = ['predict_method', 'output_margin', 'iteration_range', 'validate_features'];

/**
 * The `xgboost` flavor: XGBoost's JSON and UBJ model files, and XGBoost 1.x's legacy binary ones
 * (MLflow's `model.xgb` before XGBoost 2), scored in TypeScript.
 *
 * Output columns, following what MLflow's pyfunc returns for the model's class:
 * - classifiers (`model_class` names a `…Classifier`): `prediction` (long), the class label
 *   XGBClassifier.predict gives, and nothing else (as MLflow's /invocations answers).
 *   `params.predict_method: 'predict_proba'` gives XGBClassifier.predict_proba instead:
 *   `probability_<k>` (float) for each class k (binary: `probability_0`, `probability_1`).
 * - everything else (Booster, XGBRegressor, …): `prediction` (float) is Booster.predict's value
 *   (a probability for binary:logistic, the value for regression); multi:softmax gives the class
 *   index as long; multi:softprob gives `probability_<k>` columns and `prediction`, the argmax.
 * - `params.output_margin: true` gives raw margins: `prediction` (float), or `margin_<k>`.
 * `params.iteration_range: [begin, end]` picks boosting rounds; by default sklearn classes use
 * rounds up to `best_iteration` when stored (as their predict does), a Booster every round.
 */
export const xgboostFlavor: Flavor = {
  name: 'xgboost',
  async load(dir: string, manifest: ModelManifest): Promise<LoadedModel> {
    const conf = manifest.flavors['xgboost'] ?? {};
    const file = await resolveModelFile(dir, conf['data'] ?? DEFAULT_DATA, 'XGBoost model file');
    const model = parseXgbModel(await readFile(file));
    const modelClass = typeof conf['model_class'] === 'string' ? conf['model_class'] : BOOSTER_CLASS;
    return new XgbLoadedModel(model, modelClass, featureOrder(model, manifest));
  },
};

/** Column names in the model's feature order: its feature_names, else the signature, else null. */
function featureOrder(model: XgbModel, manifest: ModelManifest): readonly string[] | null {
  if (model.featureNames) return model.featureNames;
  const inputs = manifest.signature?.inputs;
  if (!inputs || inputs.length === 0 || inputs.some((c) => c.type === 'tensor' || !c.name)) return null;
  if (inputs.length !== model.numFeature) {
    throw invalidParam(
      `The signature has ${inputs.length} inputs; the XGBoost model expects ${model.numFeature}`,
    );
  }
  return inputs.map((c) => c.name!);
}

class XgbLoadedModel implements LoadedModel {
  private readonly classifier: boolean;
  private readonly sklearn: boolean;
  /** Input value read as missing besides NaN (the sklearn wrapper's `missing`), or NaN. */
  private readonly missing: number;
  /** Scratch buffers reused across calls (predict runs synchronously once it starts). */
  private readonly buffers = { rows: new Float32Array(0), margins: new Float32Array(0) };

  constructor(
    private readonly model: XgbModel,
    modelClass: string,
    private readonly features: readonly string[] | null,
  ) {
    this.classifier = /Classifier$/.test(modelClass);
    this.sklearn =
      modelClass.startsWith('xgboost.sklearn.') || this.classifier || /Regressor$|Ranker$/.test(modelClass);
    this.missing = this.sklearn ? model.sklearnMissing : Number.NaN;
  }

  async predict(inputs: Frame, params?: Record<string, unknown>): Promise<Frame> {
    const { outputMargin, proba, range } = this.options(params);
    const m = this.model;
    const rows = inputs.length;
    const x = this.gather(inputs);
    const k = m.numGroups;
    const margins = this.scratch('margins', rows * k);
    sumTrees(m, x, rows, margins, range[0], range[1]);
    if (outputMargin) {
      return new Frame(
        k === 1 ? [floatCol('prediction', margins, rows)] : groupCols('margin', margins, rows, k),
      );
    }
    const transform = m.objective.transform;
    if (proba && transform !== 'sigmoid' && transform !== 'softprob') {
      throw invalidParam(
        `predict_method 'predict_proba' needs a probability objective, not ${m.objective.name}`,
      );
    }
    if (transform === 'softmax') {
      const idx = new Float64Array(rows);
      argmaxRows(margins, rows, k, idx);
      return new Frame([{ name: 'prediction', type: 'long', values: idx }]);
    }
    transformMargins(m, margins, rows);
    if (transform === 'softprob') {
      if (proba) return new Frame(groupCols('probability', margins, rows, k));
      const idx = new Float64Array(rows);
      argmaxRows(margins, rows, k, idx);
      const labels: Column = { name: 'prediction', type: 'long', values: idx };
      // XGBClassifier.predict gives labels only; a Booster's predict gives the probabilities.
      return new Frame(this.classifier ? [labels] : [labels, ...groupCols('probability', margins, rows, k)]);
    }
    if (!this.classifier) return new Frame([floatCol('prediction', margins, rows)]);
    if (proba) {
      const p0 = new Float32Array(rows);
      for (let r = 0; r < rows; r++) p0[r] = 1 - margins[r]!;
      return new Frame([
        { name: 'probability_0', type: 'float', values: p0 },
        floatCol('probability_1', margins, rows),
      ]);
    }
    // XGBClassifier.predict: class 1 where the (transformed) output exceeds 0.5.
    const labels = new Float64Array(rows);
    for (let r = 0; r < rows; r++) labels[r] = margins[r]! > 0.5 ? 1 : 0;
    return new Frame([{ name: 'prediction', type: 'long', values: labels }]);
  }

  private options(params: Record<string, unknown> | undefined) {
    let outputMargin = false;
    let proba = false;
    let begin = 0;
    let end = 0;
    for (const [key, v] of Object.entries(params ?? {})) {
      if (key === 'output_margin') {
        if (typeof v !== 'boolean') throw invalidParam('output_margin must be a boolean');
        outputMargin = v;
      } else if (key === 'predict_method') {
        if (v !== 'predict' && v !== 'predict_proba' && v !== null && v !== undefined)
          throw invalidParam(`predict_method must be 'predict' or 'predict_proba', got ${JSON.stringify(v)}`);
        proba = v === 'predict_proba';
        if (proba && !this.classifier)
          throw invalidParam("predict_method 'predict_proba' is for classifiers (an XGBClassifier model)");
      } else if (key === 'iteration_range') {
        if (v === null || v === undefined) continue;
        if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n))) {
          throw invalidParam('iteration_range must be [begin, end], two integers');
        }
        [begin, end] = v as [number, number];
      } else if (key !== 'validate_features') {
        throw invalidParam(
          `Unknown parameter '${key}' for an XGBoost model; supported: ${PARAMS.join(', ')}`,
        );
      }
    }
    // XGBModel._get_iteration_range: no end given → rounds [0, best_iteration + 1), if stored.
    if (end === 0 && this.sklearn && this.model.bestIteration !== null) {
      begin = 0;
      end = this.model.bestIteration + 1;
    }
    return { outputMargin, proba, range: treeRange(this.model, begin, end) };
  }

  private scratch(which: 'rows' | 'margins', n: number): Float32Array {
    const kept = this.buffers[which];
    if (n <= kept.length) return kept;
    const fresh = new Float32Array(n);
    if (n <= KEEP_FLOATS) this.buffers[which] = fresh;
    return fresh;
  }

  /**
   * The frame's feature columns as row-major float32 (NaN = missing), in a reused buffer. For the
   * sklearn classes, values equal (in float32) to the wrapper's `missing` are missing too.
   */
  private gather(frame: Frame): Float32Array {
    const nf = this.model.numFeature;
    const cols = this.columns(frame);
    const rows = frame.length;
    const x = this.scratch('rows', rows * nf);
    const missing = this.missing;
    for (let j = 0; j < nf; j++) {
      const values = cols[j]!.values as ArrayLike<number>;
      for (let r = 0, at = j; r < rows; r++, at += nf) x[at] = values[r]!;
      if (Number.isNaN(missing)) continue;
      for (let r = 0, at = j; r < rows; r++, at += nf) if (x[at] === missing) x[at] = Number.NaN;
    }
    return x;
  }

  private columns(frame: Frame): Column[] {
    const nf = this.model.numFeature;
    let cols: Column[];
    if (this.features) {
      const missing = this.features.filter((n) => frame.get(n) === undefined);
      if (missing.length > 0) {
        throw invalidParam(
          `Missing feature column${missing.length > 1 ? 's' : ''} ${missing.map(quote).join(', ')}`,
        );
      }
      cols = this.features.map((n) => frame.get(n)!);
    } else {
      if (frame.columns.length !== nf) {
        throw invalidParam(
          `The XGBoost model expects ${nf} feature columns; the input has ${frame.columns.length}`,
        );
      }
      cols = [...frame.columns];
    }
    for (const c of cols) {
      if (!NUMERIC.has(c.type))
        throw invalidParam(`Feature column ${quote(c.name)} has type ${c.type}; expected a number`);
    }
    return cols;
  }
}

function quote(name: string): string {
  return `'${name}'`;
}

function floatCol(name: string, m: Float32Array, rows: number): Column {
  return { name, type: 'float', values: m.slice(0, rows) };
}

function groupCols(prefix: string, m: Float32Array, rows: number, k: number): Column[] {
  const cols: Column[] = [];
  for (let g = 0; g < k; g++) {
    const values = new Float32Array(rows);
    for (let r = 0; r < rows; r++) values[r] = m[r * k + g]!;
    cols.push({ name: `${prefix}_${g}`, type: 'float', values });
  }
  return cols;
}
