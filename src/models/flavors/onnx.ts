import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { CairnError } from '../../core/errors.js';
import { type Column, Frame } from '../../core/frame.js';
import type { Flavor, LoadedModel } from '../flavor.js';
import { resolveModelFile } from '../model-files.js';
import { columnsFromOutput, feedFor } from './onnx-tensors.js';

type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort> | undefined;

/** onnxruntime-node, imported on first use so that nothing else (cairn/client) loads it. */
function loadOrt(): Promise<Ort> {
  ort ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ort;
}

const OPT_LEVELS: Record<number, InferenceSession.SessionOptions['graphOptimizationLevel']> = {
  0: 'disabled',
  1: 'basic',
  2: 'extended',
  99: 'all',
};

/** onnxruntime session options from MLflow's `onnx_session_options` (CPU only). */
function sessionOptions(conf: Record<string, unknown>): InferenceSession.SessionOptions {
  const o: InferenceSession.SessionOptions = { executionProviders: ['cpu'] };
  const s = conf.onnx_session_options;
  if (s === null || typeof s !== 'object') return o;
  const opts = s as Record<string, unknown>;
  if (typeof opts.intra_op_num_threads === 'number') o.intraOpNumThreads = opts.intra_op_num_threads;
  if (typeof opts.inter_op_num_threads === 'number') o.interOpNumThreads = opts.inter_op_num_threads;
  if (typeof opts.execution_mode === 'string') {
    o.executionMode = opts.execution_mode.toLowerCase() === 'parallel' ? 'parallel' : 'sequential';
  }
  const level = OPT_LEVELS[opts.graph_optimization_level as number];
  if (level) o.graphOptimizationLevel = level;
  return o;
}

/**
 * The `onnx` flavor: the `.onnx` file named by the flavor's `data`, run by onnxruntime-node on the
 * CPU. One session per loaded model, reused by every predict. Inputs are fed from frame columns
 * (see onnx-tensors.ts); every tensor output comes back as one column, or as `<name>_0…` columns
 * for an output with several values per row.
 */
export const onnxFlavor: Flavor = {
  name: 'onnx',
  async load(dir, manifest): Promise<LoadedModel> {
    const conf = manifest.flavors.onnx ?? {};
    const file = await resolveModelFile(dir, conf.data ?? 'model.onnx', 'ONNX model file');
    const { InferenceSession: Session } = await loadOrt();
    let session: InferenceSession;
    try {
      session = await Session.create(file, sessionOptions(conf));
    } catch (e) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Cannot load the ONNX model '${String(conf.data)}': ${errText(e)}`,
        {
          cause: e,
        },
      );
    }
    const inputs = session.inputMetadata;
    const outputs = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
    if (outputs.length === 0) {
      await session.release();
      throw new CairnError('INVALID_PARAMETER_VALUE', 'The ONNX model has no tensor output Cairn can return');
    }
    return {
      async predict(frame: Frame): Promise<Frame> {
        const { Tensor: TensorClass } = await loadOrt();
        const feeds: Record<string, Tensor> = {};
        for (const meta of inputs) {
          const feed = feedFor(meta, frame, inputs.length === 1);
          feeds[meta.name] = new TensorClass(feed.type as 'float32', feed.data as Float32Array, feed.dims);
        }
        let results: InferenceSession.ReturnType;
        try {
          results = await session.run(feeds, outputs);
        } catch (e) {
          throw new CairnError(
            'INVALID_PARAMETER_VALUE',
            `The ONNX model failed on this input: ${errText(e)}`,
            {
              cause: e,
            },
          );
        }
        const columns: Column[] = [];
        for (const name of outputs) {
          const t = results[name] as Tensor;
          columns.push(...columnsFromOutput(name, t.type, t.data, t.dims, frame.length));
        }
        return new Frame(columns);
      },
      close: () => session.release(),
    };
  },
};

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];
