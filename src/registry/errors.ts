import { CairnError } from '../core/errors.js';

/** The registry's error messages, worded once, in MLflow's words where clients or users match on them. */
export const registryErrors = {
  modelNotFound: (name: string) =>
    new CairnError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`),
  modelExists: (name: string) =>
    new CairnError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`),
  versionNotFound: (name: string, version: string) =>
    new CairnError('RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`),
  /** MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (400), not RESOURCE_DOES_NOT_EXIST. */
  aliasNotFound: (alias: string) =>
    new CairnError('INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`),
  invalidStage: (stage: string, valid: readonly string[]) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid Model Version stage: ${stage}. Value must be one of ${valid.join(', ')}.`,
    ),
  cannotArchive: (stage: string, active: readonly string[]) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ${active.join(', ')}`,
    ),
};
