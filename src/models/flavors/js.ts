import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { CairnError } from '../../core/errors.js';
import { Frame } from '../../core/frame.js';
import type { Flavor, LoadedModel } from '../flavor.js';
import { resolveModelFile } from '../model-files.js';

/** What a `js` model module exports. */
interface JsModelModule {
  predict(inputs: Frame, params?: Record<string, unknown>): unknown;
  close?(): unknown;
}

const MODULE_FILE = /\.(mjs|js)$/;

/**
 * The `js` flavor: the model is a JS module in the model directory (flavor conf
 * `{module: 'model.mjs'}`) exporting `predict(frame, params)`, which returns a Frame, an array of
 * predictions (one column `prediction`), an array of records, or an object of columns. Loading it
 * runs its code, so it loads only when the operator allows code models (`allowCode`).
 */
export const jsFlavor: Flavor = {
  name: 'js',
  async load(dir, manifest, { allowCode }): Promise<LoadedModel> {
    const conf = manifest.flavors.js ?? {};
    const rel = conf.module;
    if (!allowCode) {
      throw new CairnError(
        'PERMISSION_DENIED',
        `The model in '${dir}' is a 'js' model: loading it runs its code (${typeof rel === 'string' ? rel : 'its module'}). ` +
          'Cairn loads code models only when the operator allows them: start the server with ' +
          '--allow-code-models, or pass {allowCode: true} to loadModel.',
      );
    }
    if (typeof rel !== 'string' || !MODULE_FILE.test(rel)) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        "Invalid MLmodel: the 'js' flavor needs 'module', the path of a .mjs or .js file in the model directory",
      );
    }
    const file = await resolveModelFile(dir, rel, 'model module');
    // The modification time in the URL makes a changed module load afresh rather than from cache.
    const url = `${pathToFileURL(file).href}?mtime=${(await stat(file)).mtimeMs}`;
    const mod = (await import(url)) as Partial<JsModelModule> & { default?: Partial<JsModelModule> };
    const impl = typeof mod.predict === 'function' ? mod : mod.default;
    if (typeof impl?.predict !== 'function') {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `The model module '${rel}' does not export a predict function`,
      );
    }
    const { predict, close } = impl as JsModelModule;
    return {
      predict: async (inputs, params) => toFrame(await predict.call(impl, inputs, params ?? {}), rel),
      close: async () => {
        await close?.call(impl);
      },
    };
  },
};

/** A js model's predict result as a frame. */
function toFrame(out: unknown, rel: string): Frame {
  if (out instanceof Frame) return out;
  if (isFrameLike(out)) return new Frame(out.columns);
  if (Array.isArray(out)) {
    const records =
      out.length > 0 && out.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
    return records
      ? Frame.fromRecords(out as Record<string, unknown>[])
      : Frame.fromColumns({ prediction: out });
  }
  if (ArrayBuffer.isView(out) && !(out instanceof DataView)) {
    return Frame.fromColumns({ prediction: out as unknown as ArrayLike<unknown> });
  }
  if (
    out !== null &&
    typeof out === 'object' &&
    Object.values(out).every((v) => Array.isArray(v) || ArrayBuffer.isView(v))
  ) {
    return Frame.fromColumns(out as Record<string, ArrayLike<unknown>>);
  }
  throw new CairnError(
    'INTERNAL_ERROR',
    `The model module '${rel}' returned ${out === null ? 'null' : typeof out} from predict; ` +
      'expected a Frame, an array of predictions, an array of records or an object of columns',
  );
}

/** A Frame from another copy of Cairn (the module may import `cairn` itself). */
function isFrameLike(v: unknown): v is Frame {
  return (
    v !== null &&
    typeof v === 'object' &&
    Array.isArray((v as Frame).columns) &&
    typeof (v as Frame).length === 'number' &&
    typeof (v as Frame).get === 'function'
  );
}
