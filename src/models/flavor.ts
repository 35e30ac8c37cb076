import type { Frame } from '../core/frame.js';
import type { ModelManifest } from './types.js';

/** A loaded model: predictions for a frame of inputs, as a frame of outputs. */
export interface LoadedModel {
  predict(inputs: Frame, params?: Record<string, unknown>): Promise<Frame>;
  /** Releases native resources (an onnxruntime session); optional. */
  close?(): Promise<void>;
}

export interface FlavorLoadOptions {
  /** The operator allows flavors that run code from the model directory (`js`). Default false. */
  allowCode: boolean;
}

/**
 * A model flavor: how to load the model files a flavor's MLmodel entry describes. Adding a flavor
 * is one file and one line in flavors/index.ts.
 */
export interface Flavor {
  /** The key under `flavors:` in MLmodel (`onnx`, `xgboost`, `js`). */
  readonly name: string;
  load(dir: string, manifest: ModelManifest, options: FlavorLoadOptions): Promise<LoadedModel>;
}
