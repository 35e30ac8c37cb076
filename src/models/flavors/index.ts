import type { Flavor } from '../flavor.js';
import type { ModelManifest } from '../types.js';
import { jsFlavor } from './js.js';
import { onnxFlavor } from './onnx.js';
import { xgboostFlavor } from './xgboost.js';

/**
 * Every flavor Cairn can load. Adding one is a file in this folder and one entry here; the order
 * of this list does not matter (FLAVOR_PREFERENCE decides). No flavor imports a native module
 * before its `load` runs.
 */
export const FLAVORS: readonly Flavor[] = [onnxFlavor, jsFlavor, xgboostFlavor];

/**
 * When a model carries several flavors Cairn can load, the first of these that it has wins;
 * flavors not named here come after them, in FLAVORS order. `js` is last: it runs code.
 */
export const FLAVOR_PREFERENCE: readonly string[] = ['onnx', 'xgboost', 'js'];

const rank = (f: Flavor) => {
  const i = FLAVOR_PREFERENCE.indexOf(f.name);
  return i === -1 ? FLAVOR_PREFERENCE.length + FLAVORS.indexOf(f) : i;
};

/** The registered flavors a manifest has, most preferred first. */
export function loadableFlavors(manifest: ModelManifest): Flavor[] {
  return FLAVORS.filter((f) => Object.hasOwn(manifest.flavors, f.name)).sort((a, b) => rank(a) - rank(b));
}
