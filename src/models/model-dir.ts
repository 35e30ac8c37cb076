import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CairnError } from '../core/errors.js';
import type { Frame } from '../core/frame.js';
import { safeArtifactPath } from '../core/safe-path.js';
import { FLAVORS, loadableFlavors } from './flavors/index.js';
import { type InputExample, loadInputExample, saveInputExample } from './input-example.js';
import {
  formatUtcTime,
  MLFLOW_FORMAT_VERSION,
  MLMODEL_FILE,
  newModelUuid,
  readManifest,
  writeManifest,
} from './manifest.js';
import { PYFUNC_ENV, writePythonEnv } from './python-env.js';
import { enforceParams, enforceSignature } from './signature.js';
import type { ModelManifest, ModelSignature } from './types.js';
import { unloadableModelError } from './unsafe-flavors.js';

export interface SaveModelOptions {
  /** The flavor's key in MLmodel: `onnx`, `xgboost`, `js`, … */
  flavor: string;
  /** The flavor's MLmodel entry. For `onnx` and `js` it is laid over Cairn's defaults. */
  flavorConf?: Record<string, unknown>;
  /** The model's files, by path relative to the model directory. */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /**
   * The `python_function` entry, which lets MLflow load the model as a pyfunc. `onnx` gets
   * MLflow's own by default; `null` writes none.
   */
  pythonFunction?: Record<string, unknown> | null;
  /** pip requirements written to requirements.txt / conda.yaml / python_env.yaml with a pyfunc entry. */
  pipRequirements?: readonly string[];
  /** Python version for python_env.yaml and conda.yaml (default 3.10). */
  pythonVersion?: string;
  signature?: ModelSignature;
  inputExample?: Frame | InputExample;
  runId?: string;
  artifactPath?: string;
  /** MLflow 3's logged model id (`m-…`). */
  modelId?: string;
  metadata?: Record<string, unknown>;
  modelUuid?: string;
  mlflowVersion?: string;
  createdAt?: Date;
}

interface FlavorDefaults {
  conf: Record<string, unknown>;
  pyfunc?: (conf: Record<string, unknown>) => Record<string, unknown>;
  pip?: readonly string[];
}

/** What MLflow writes for the flavors Cairn writes itself (mlflow/onnx/__init__.py's save_model). */
const DEFAULTS: Record<string, FlavorDefaults> = {
  onnx: {
    conf: { code: null, data: 'model.onnx', providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'] },
    pyfunc: (conf) => ({ data: conf.data, env: PYFUNC_ENV, loader_module: 'mlflow.onnx' }),
    pip: ['mlflow', 'onnx', 'onnxruntime'],
  },
  js: { conf: { module: 'model.mjs' } },
};

const RESERVED = new Set([MLMODEL_FILE, 'conda.yaml', 'python_env.yaml', 'requirements.txt']);
const FILE_KEYS: Record<string, string> = { onnx: 'data', js: 'module' };

/**
 * Writes a model directory in MLflow's layout: the flavor's files, the input example, the Python
 * environment files (when the model has a `python_function` entry) and MLmodel, last. The
 * directory must not exist or be empty. Returns the manifest written.
 */
export async function saveModel(dir: string, o: SaveModelOptions): Promise<ModelManifest> {
  await ensureEmptyDir(dir);
  const defaults = DEFAULTS[o.flavor];
  const conf = { ...defaults?.conf, ...o.flavorConf };
  const files = Object.entries(o.files ?? {}).map(
    ([rel, content]) => [safeArtifactPath(rel), content] as const,
  );
  for (const [rel] of files) {
    if (rel === '' || RESERVED.has(rel))
      throw new CairnError('INVALID_PARAMETER_VALUE', `Cannot save a model file named '${rel}'`);
  }
  const fileKey = FILE_KEYS[o.flavor];
  if (fileKey && !files.some(([rel]) => rel === conf[fileKey])) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `The ${o.flavor} flavor's ${fileKey} '${String(conf[fileKey])}' is not among the model's files`,
    );
  }
  let size = 0;
  for (const [rel, content] of files) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
    size += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
  }
  const exampleInfo = o.inputExample ? await saveInputExample(dir, o.inputExample) : undefined;
  size += await exampleSize(dir, exampleInfo);
  const pyfunc = o.pythonFunction === undefined ? defaults?.pyfunc?.(conf) : (o.pythonFunction ?? undefined);
  const flavors: Record<string, Record<string, unknown>> = { [o.flavor]: conf };
  if (pyfunc) {
    flavors.python_function = pyfunc;
    await writePythonEnv(dir, o.pipRequirements ?? defaults?.pip ?? ['mlflow'], o.pythonVersion);
  }
  const manifest: ModelManifest = {
    ...(o.artifactPath === undefined ? {} : { artifact_path: o.artifactPath }),
    flavors,
    ...(o.modelId === undefined ? {} : { model_id: o.modelId }),
    model_uuid: o.modelUuid ?? newModelUuid(),
    ...(o.runId === undefined ? {} : { run_id: o.runId }),
    utc_time_created: formatUtcTime(o.createdAt ?? new Date()),
    mlflow_version: o.mlflowVersion ?? MLFLOW_FORMAT_VERSION,
  };
  if (o.signature) {
    manifest.signature = o.signature;
    manifest.is_signature_from_type_hint = false;
    manifest.type_hint_from_example = false;
  }
  if (exampleInfo) manifest.saved_input_example_info = exampleInfo;
  if (o.metadata) manifest.metadata = o.metadata;
  manifest.model_size_bytes = size;
  await writeManifest(dir, manifest);
  return manifest;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  try {
    if ((await readdir(dir)).length > 0) {
      throw new CairnError(
        'RESOURCE_ALREADY_EXISTS',
        `Model directory '${dir}' already exists and is not empty`,
      );
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true });
  }
}

/** Bytes of the input example files, counted in model_size_bytes as MLflow counts them. */
async function exampleSize(dir: string, info: Record<string, unknown> | undefined): Promise<number> {
  let total = 0;
  for (const f of [info?.artifact_path, info?.serving_input_path]) {
    if (typeof f === 'string') total += (await stat(join(dir, f))).size;
  }
  return total;
}

export interface LoadModelOptions {
  /** Allow flavors that run code from the model directory (`js`). Default false. */
  allowCode?: boolean;
}

/** A model directory, loaded: predictions with the signature enforced. */
export interface CairnModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** The flavor the model was loaded with. */
  readonly flavor: string;
  readonly signature?: ModelSignature;
  readonly metadata?: Record<string, unknown>;
  /** Enforces the signature (inputs and params), then runs the flavor. */
  predict(inputs: Frame, params?: Record<string, unknown>): Promise<Frame>;
  /** The saved input example, if the model has one. */
  inputExample(): Promise<InputExample | undefined>;
  close(): Promise<void>;
}

/**
 * Loads a model directory: reads MLmodel, picks the most preferred flavor Cairn has for it
 * (onnx, xgboost, js) and loads it. A model with no such flavor — for instance only pickle-based
 * ones (sklearn, pytorch, cloudpickle pyfunc) — is refused from its MLmodel alone, without
 * reading any other file of it.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<CairnModel> {
  const s = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT')
      throw new CairnError('RESOURCE_DOES_NOT_EXIST', `No model directory at '${dir}'`);
    throw e;
  });
  if (!s.isDirectory()) throw new CairnError('INVALID_PARAMETER_VALUE', `'${dir}' is not a model directory`);
  const manifest = await readManifest(dir);
  const flavor = loadableFlavors(manifest)[0];
  if (!flavor) {
    throw unloadableModelError(
      dir,
      manifest,
      FLAVORS.map((f) => f.name),
    );
  }
  const loaded = await flavor.load(dir, manifest, { allowCode: options.allowCode ?? false });
  const signature = manifest.signature;
  return {
    dir,
    manifest,
    flavor: flavor.name,
    ...(signature ? { signature } : {}),
    ...(manifest.metadata ? { metadata: manifest.metadata } : {}),
    predict: async (inputs, params) =>
      loaded.predict(enforceSignature(inputs, signature), enforceParams(params, signature?.params)),
    inputExample: () => loadInputExample(dir, manifest),
    close: async () => {
      await loaded.close?.();
    },
  };
}
