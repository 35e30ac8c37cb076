import { CairnError } from '../core/errors.js';

/** Tracking's error messages, worded once (MLflow's wording where clients or users match on it). */
export const trackingErrors = {
  experimentNotFound: (id: string) =>
    new CairnError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`),
  experimentNameNotFound: (name: string) =>
    new CairnError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`),
  experimentExists: (name: string) =>
    new CairnError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`),
  experimentNotActive: (id: string, stage: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `The experiment ${id} must be in the 'active' state. Current state is ${stage}.`,
    ),
  runNotFound: (id: string) => new CairnError('RESOURCE_DOES_NOT_EXIST', `Run with id=${id} not found`),
  runNotActive: (id: string, stage: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `The run ${id} must be in the 'active' state. Current state is ${stage}.`,
    ),
  paramConflict: (runId: string, key: string, oldValue: string, newValue: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Changing param values is not allowed. Param with key='${key}' was already logged with value='${oldValue}' for run ID='${runId}'. Attempted logging new value '${newValue}'.`,
    ),
  badPageToken: () =>
    new CairnError('INVALID_PARAMETER_VALUE', 'Invalid page token, could not base64-decode'),
};

/** Opaque page tokens: base64url of the offset. Stores produce and read them; callers pass them back. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { offset?: unknown }).offset;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw trackingErrors.badPageToken();
}
