import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CairnError } from '../core/errors.js';
import { Frame } from '../core/frame.js';
import {
  type CairnModel,
  loadModel as loadModelDir,
  type SaveModelOptions,
  saveModel,
} from '../models/model-dir.js';
import { PYFUNC_ENV } from '../models/python-env.js';
import { inferSignature } from '../models/signature.js';
import type { ModelSignature } from '../models/types.js';
import { type ModelResolverDeps, resolveModelUri } from '../registry/model-resolver.js';
import type { ModelVersion } from '../registry/types.js';
import { downloadTree } from '../store/artifact-tree.js';

export type ModelFlavorName = 'onnx' | 'xgboost' | 'js';

export interface LogModelOptions {
  /** Default: from the file's extension (.onnx, .json/.ubj, .mjs/.js). */
  flavor?: ModelFlavorName;
  /** Where under the run's artifacts the model goes. Default `model`. */
  artifactPath?: string;
  signature?: ModelSignature;
  /** Infer the signature from these inputs (and the model's own predictions on them). */
  inferFrom?: Frame | Array<Record<string, unknown>>;
  inputExample?: Frame | Array<Record<string, unknown>>;
  /** Also register the logged model as a new version of this registered model (created if new). */
  registeredModelName?: string;
  metadata?: Record<string, unknown>;
}

export interface LoggedModelResult {
  /** `runs:/<run_id>/<artifactPath>`. */
  modelUri: string;
  modelVersion?: ModelVersion;
}

/** What logging a model needs of a run handle. */
export interface ModelRunTarget {
  readonly id: string;
  logArtifacts(localDir: string, artifactPath?: string): Promise<void>;
}

const FLAVOR_BY_EXTENSION: Record<string, ModelFlavorName> = {
  '.onnx': 'onnx',
  '.json': 'xgboost',
  '.ubj': 'xgboost',
  '.mjs': 'js',
  '.js': 'js',
};

/**
 * Writes the model file as an MLflow model directory (MLmodel, signature, input example), uploads it
 * as the run's artifacts, and registers it if asked: the `mlflow.<flavor>.log_model` of Cairn.
 */
export async function logModel(
  deps: ModelResolverDeps,
  run: ModelRunTarget,
  modelFile: string,
  options: LogModelOptions = {},
): Promise<LoggedModelResult> {
  const ext = path.extname(modelFile).toLowerCase();
  const flavor = options.flavor ?? FLAVOR_BY_EXTENSION[ext];
  if (!flavor) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Cannot tell the flavor of '${modelFile}': pass {flavor: 'onnx' | 'xgboost' | 'js'}`,
    );
  }
  const artifactPath = options.artifactPath ?? 'model';
  const bytes = await readFile(modelFile);
  const work = await mkdtemp(path.join(tmpdir(), 'cairn-log-model-'));
  try {
    const dir = path.join(work, 'model');
    const inputs = toFrame(options.inferFrom);
    const example = toFrame(options.inputExample) ?? (inputs ? head(inputs, 5) : undefined);
    const save = (signature: ModelSignature | undefined) =>
      saveModel(dir, {
        flavor,
        ...flavorFiles(flavor, ext, bytes),
        ...(signature ? { signature } : {}),
        ...(example ? { inputExample: example } : {}),
        runId: run.id,
        artifactPath,
        ...(options.metadata ? { metadata: options.metadata } : {}),
      });
    let signature = options.signature;
    await save(signature);
    if (!signature && inputs) {
      // Outputs come from the model itself, on the inputs it was inferred from.
      const loaded = await loadModelDir(dir, { allowCode: flavor === 'js' });
      const outputs = await loaded.predict(inputs).catch(() => undefined);
      await loaded.close();
      signature = inferSignature(inputs, outputs);
      await rm(dir, { recursive: true, force: true });
      await save(signature);
    }
    await run.logArtifacts(dir, artifactPath);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const modelUri = `runs:/${run.id}/${artifactPath}`;
  if (!options.registeredModelName) return { modelUri };
  const name = options.registeredModelName;
  await deps.registry.getRegisteredModel(name).catch(async (e: unknown) => {
    if (e instanceof CairnError && e.code === 'RESOURCE_DOES_NOT_EXIST')
      return deps.registry.createRegisteredModel({ name });
    throw e;
  });
  const modelVersion = await deps.registry.createModelVersion({ name, source: modelUri, runId: run.id });
  return { modelUri, modelVersion };
}

export interface LoadedModelHandle extends CairnModel {
  /** The registry version the URI named, if any. */
  readonly modelVersion?: ModelVersion;
}

/** A model directory fetched to local disk; `remove` deletes it. */
export interface DownloadedModel {
  dir: string;
  /** The registry version the URI named, if any. */
  modelVersion?: ModelVersion;
  remove(): Promise<void>;
}

/** Resolves a model URI and fetches its model directory into a new temporary directory. */
export async function downloadModel(deps: ModelResolverDeps, uri: string): Promise<DownloadedModel> {
  const resolved = await resolveModelUri(uri, deps);
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-model-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const files = await downloadTree(resolved.store, '', dir);
    if (files === 0) throw new CairnError('RESOURCE_DOES_NOT_EXIST', `No model files at '${uri}'`);
  } catch (e) {
    await remove();
    throw e;
  }
  return { dir, ...(resolved.modelVersion ? { modelVersion: resolved.modelVersion } : {}), remove };
}

/** Resolves a model URI, fetches the model directory and loads it with its flavor. */
export async function loadModel(
  deps: ModelResolverDeps,
  uri: string,
  options: { allowCode?: boolean } = {},
): Promise<LoadedModelHandle> {
  const fetched = await downloadModel(deps, uri);
  try {
    const model = await loadModelDir(fetched.dir, { allowCode: options.allowCode ?? false });
    return {
      ...model,
      ...(fetched.modelVersion ? { modelVersion: fetched.modelVersion } : {}),
      predict: (inputs, params) => model.predict(inputs, params),
      inputExample: () => model.inputExample(),
      close: async () => {
        await model.close();
        await fetched.remove();
      },
    };
  } catch (e) {
    await fetched.remove();
    throw e;
  }
}

function flavorFiles(
  flavor: ModelFlavorName,
  ext: string,
  bytes: Uint8Array,
): Pick<SaveModelOptions, 'files' | 'flavorConf' | 'pythonFunction' | 'pipRequirements'> {
  if (flavor === 'xgboost') {
    const data = ext === '.ubj' ? 'model.ubj' : 'model.json';
    return {
      files: { [data]: bytes },
      flavorConf: { code: null, data, model_class: 'xgboost.core.Booster', model_format: data.slice(6) },
      pythonFunction: { loader_module: 'mlflow.xgboost', data, env: PYFUNC_ENV },
      pipRequirements: ['mlflow', 'xgboost'],
    };
  }
  if (flavor === 'onnx') return { files: { 'model.onnx': bytes } };
  return { files: { 'model.mjs': bytes } };
}

function toFrame(data: Frame | Array<Record<string, unknown>> | undefined): Frame | undefined {
  if (data === undefined) return undefined;
  return data instanceof Frame ? data : Frame.fromRecords(data);
}

function head(frame: Frame, n: number): Frame {
  if (frame.length <= n) return frame;
  return new Frame(frame.columns.map((c) => ({ ...c, values: c.values.slice(0, n) as typeof c.values })));
}
