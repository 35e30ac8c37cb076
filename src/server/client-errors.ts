import type { Socket } from 'node:net';

/**
 * Requests too broken for the app to see (bad HTTP framing, headers too large, a client that
 * timed out) are answered here, on the socket, in the `{error_code, message}` shape with the
 * security headers. Nothing is written once the connection was already answered and closed: a
 * request answered early (a malformed URL) whose body bytes still arrive must not get a second,
 * unasked response after its `Connection: close` one.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (err.code === 'HPE_CLOSED_CONNECTION') {
    // Bytes after a request that asked to close: the answer to that request (if still being
    // written) closes the connection itself; otherwise nothing is left to say.
    const pending = (socket as Socket & { _httpMessage?: { writableFinished?: boolean } })._httpMessage;
    if (!pending || pending.writableFinished) socket.destroy();
    return;
  }
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request took too long to arrive.']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'Request headers are too large.']
        : [400, 'Bad Request', 'Malformed HTTP request.'];
  const body = JSON.stringify({ error_code: 'BAD_REQUEST', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
