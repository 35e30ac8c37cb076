import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, type ErrorCode } from '../core/errors.js';

/**
 * The one place errors become HTTP responses: `{error_code, message}` with the code's status.
 * Unknown errors are logged and answered as INTERNAL_ERROR without internals.
 */
export function errorHandler(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const e = toCairnError(error);
  if (e.code === 'INTERNAL_ERROR') req.log.error({ err: error }, 'request failed');
  void reply.status(e.status).send({ error_code: e.code, message: e.message });
}

function toCairnError(error: FastifyError | Error): CairnError {
  if (error instanceof CairnError) return error;
  const fe = error as FastifyError;
  const byFastifyCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_INVALID_JSON_BODY: ['BAD_REQUEST', 'Malformed JSON request body.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['BAD_REQUEST', 'Empty JSON request body.'],
    FST_ERR_CTP_BODY_TOO_LARGE: ['REQUEST_PAYLOAD_TOO_LARGE', 'Request body is too large.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type.'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['BAD_REQUEST', 'Invalid Content-Length.'],
    FST_ERR_VALIDATION: ['INVALID_PARAMETER_VALUE', fe.message],
    FST_ERR_BAD_URL: ['BAD_REQUEST', 'Malformed URL: invalid percent-encoding.'],
    FST_ERR_MAX_PARAM_LENGTH: ['BAD_REQUEST', 'URL path is too long.'],
  };
  const mapped = fe.code ? byFastifyCode[fe.code] : undefined;
  if (mapped) return new CairnError(mapped[0], mapped[1]);
  if (error instanceof SyntaxError || fe.statusCode === 400)
    return new CairnError('BAD_REQUEST', 'Malformed request.');
  if (fe.statusCode === 413) return new CairnError('REQUEST_PAYLOAD_TOO_LARGE', 'Request body is too large.');
  if (fe.statusCode === 415) return new CairnError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type.');
  return new CairnError('INTERNAL_ERROR', 'Internal server error.');
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({
    error_code: 'ENDPOINT_NOT_FOUND',
    message: `No endpoint ${req.method} ${req.url.split('?')[0]}`,
  });
}
