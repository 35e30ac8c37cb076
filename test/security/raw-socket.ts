import { connect } from 'node:net';

/**
 * Sends bytes as they are on a fresh connection and reads until the server closes it: for
 * requests an HTTP client refuses to send (repeated or non-ASCII headers, bad framing). The
 * answer's status is 0 when the server closed without one.
 */
export function sendRawBytes(baseUrl: string, bytes: Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      // A server may close while the request is still being written: what it answered counts.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish();
      else reject(e);
    });
    socket.once('close', finish);
    // Written, not ended: a half-closed connection makes Node's server drop the request unanswered.
    // The request says `Connection: close`, so the server closes once it has answered.
    socket.write(bytes);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    }
  });
}

/** An HTTP/1.1 request as bytes: `headers` as given (repeats, raw bytes), `Connection: close`. */
export function httpRequestBytes(
  baseUrl: string,
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string | Buffer]>,
  body?: string | Buffer,
): Buffer {
  const host = new URL(baseUrl).host;
  const parts: Buffer[] = [
    Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`, 'latin1'),
  ];
  for (const [name, value] of headers)
    parts.push(
      Buffer.from(`${name}: `, 'latin1'),
      Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'),
      Buffer.from('\r\n'),
    );
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (payload) parts.push(Buffer.from(`Content-Length: ${payload.length}\r\n`));
  parts.push(Buffer.from('\r\n'));
  if (payload) parts.push(payload);
  return Buffer.concat(parts);
}
