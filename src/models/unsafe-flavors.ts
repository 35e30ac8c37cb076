import { CairnError } from '../core/errors.js';
import type { ModelManifest } from './types.js';

/** MLflow flavors whose files are Python pickles (or cloudpickle): loading them runs code. */
const PICKLE_FLAVORS: ReadonlySet<string> = new Set([
  'sklearn',
  'pytorch',
  'keras',
  'lightgbm',
  'catboost',
  'statsmodels',
  'h2o',
  'spacy',
  'fastai',
  'prophet',
  'pmdarima',
  'diviner',
  'paddle',
  'gluon',
  'sentence_transformers',
  'transformers',
  'langchain',
  'llama_index',
  'dspy',
]);

const PICKLE_FILE = /\.(pkl|pickle|joblib|pt|pth)$/i;
const PICKLE_FORMATS: ReadonlySet<string> = new Set(['pickle', 'cloudpickle', 'joblib']);

/** Whether a flavor entry says its model is a pickle. Only the MLmodel text is looked at. */
function isPickleFlavor(name: string, conf: Record<string, unknown>): boolean {
  if (PICKLE_FLAVORS.has(name)) return true;
  if (typeof conf.serialization_format === 'string' && PICKLE_FORMATS.has(conf.serialization_format))
    return true;
  if (name !== 'python_function') return false;
  if ('python_model' in conf || 'cloudpickle_version' in conf) return true;
  const loader = conf.loader_module;
  if (typeof loader === 'string' && PICKLE_FLAVORS.has(loader.replace(/^mlflow\./, ''))) return true;
  if (loader === 'mlflow.pyfunc.model') return true;
  return [conf.model_path, conf.data].some((p) => typeof p === 'string' && PICKLE_FILE.test(p));
}

const SAFE_FORMATS =
  'ONNX (the onnx flavor, e.g. mlflow.onnx.log_model) or XGBoost JSON/UBJ ' +
  "(the xgboost flavor with model_format 'json' or 'ubj')";

/**
 * The error for a model none of Cairn's flavors can load. It names the model's flavors, says
 * which of them deserialise pickles, and names the safe formats to log instead. Built from the
 * manifest alone: no file of the model is read.
 */
export function unloadableModelError(
  dir: string,
  manifest: ModelManifest,
  known: readonly string[],
): CairnError {
  const names = Object.keys(manifest.flavors);
  const pickles = names.filter((n) => isPickleFlavor(n, manifest.flavors[n] ?? {}));
  const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
  const loads = `Cairn loads the flavors ${list([...known])}.`;
  if (names.length === 0) {
    return new CairnError('INVALID_PARAMETER_VALUE', `The model in '${dir}' declares no flavors. ${loads}`);
  }
  const why =
    pickles.length > 0
      ? `its flavors (${list(names)}) store the model as a Python pickle, which runs code when it is ` +
        `loaded (${list(pickles)}), so Cairn refuses it.`
      : `Cairn has no loader for its flavors (${list(names)}).`;
  return new CairnError(
    'INVALID_PARAMETER_VALUE',
    `Cannot load the model in '${dir}': ${why} Log the model in a safe format instead: ${SAFE_FORMATS}. ${loads}`,
  );
}
