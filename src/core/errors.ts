/**
 * One error type with a stable code from MLflow's set. The server's error handler is the only
 * place that turns a CairnError into an HTTP response (`{error_code, message}`); see docs/errors.md.
 */
export const ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  REQUEST_PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class CairnError extends Error {
  override readonly name = 'CairnError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

export const invalidParam = (message: string): CairnError =>
  new CairnError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string): CairnError => new CairnError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string): CairnError =>
  new CairnError('RESOURCE_ALREADY_EXISTS', message);

export function isCairnError(e: unknown): e is CairnError {
  return e instanceof CairnError;
}

/** Known error codes, for clients that rebuild a CairnError from a wire response. */
export function toErrorCode(code: unknown): ErrorCode {
  return typeof code === 'string' && code in ERROR_STATUS ? (code as ErrorCode) : 'INTERNAL_ERROR';
}
