import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Permission } from '../auth/types.js';
import { CairnError } from '../core/errors.js';
import { startServing } from '../serving/server.js';
import { serverSecurityOptions } from './options.js';

interface ServeFlags {
  host: string;
  port: string;
  maxBatchSize?: string;
  maxLatencyMs?: string;
  maxQueue?: string;
  timeoutMs?: string;
  batching: boolean;
  allowCodeModels?: boolean;
  trackingUri?: string;
  modelName?: string;
  inferenceLog?: string;
  sampleRate?: string;
  workers?: string;
  allowedHosts?: string[];
  corsAllowedOrigins?: string[];
  auth: boolean;
  authStore?: string;
  authDefaultPermission: Permission;
}

function int(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CairnError('INVALID_PARAMETER_VALUE', `--${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `--sample-rate must be a number from 0 to 1, got '${value}'`,
    );
  return n;
}

const isDeploymentFile = (p: string) =>
  /\.(ya?ml|json)$/i.test(p) &&
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

const isDirectory = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** `cairn serve <model-uri | model-dir>`: the scoring server. SIGTERM/SIGINT drain, then exit 0. */
export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve <model>')
    .description(
      'serve a model (models:/name@alias, runs:/<id>/model, a model directory) or a deployment file (deployment.yaml: routes, shadow, sticky) over HTTP',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8080')
    .option('--max-batch-size <rows>', 'most rows per predict call (default 256)')
    .option('--max-latency-ms <ms>', 'longest rows wait for a batch while the model is busy (default 5)')
    .option('--max-queue <requests>', 'most requests queued or running; past it 503 (default 1024)')
    .option('--timeout-ms <ms>', 'per-request deadline; past it 504 (default 30000)')
    .option('--no-batching', 'score each request on its own')
    .option(
      '--workers <n>',
      "worker threads per model, each with its own copy; 0 predicts on the event loop; 'auto' (default): in-process for a tiny XGBoost/ONNX model (<= 1 MiB), else 1",
    )
    .option('--allow-code-models', 'load model flavors that run code from the model directory (js)')
    .option('--model-name <name>', 'model name for the Open Inference Protocol routes')
    .option(
      '--inference-log <store-uri>',
      'keep each request and answer in this store (sqlite:///…, postgresql://…); enables POST /feedback',
    )
    .option('--sample-rate <0..1>', 'share of requests the inference log keeps (default 1)')
    .option(
      '--auth',
      'require credentials (Basic or Bearer, as cairn server --auth) and READ on the served models',
      false,
    )
    .option(
      '--auth-store <uri>',
      'with --auth: the metadata store holding users and grants (default: --tracking-uri)',
    )
    .option(
      '--tracking-uri <uri>',
      'store or server resolving the model URI (default $CAIRN_TRACKING_URI, $MLFLOW_TRACKING_URI, ./.cairn)',
    );
  for (const option of serverSecurityOptions()) command.addOption(option);
  command.action(async (model: string, flags: ServeFlags) => {
    const deployment = await isDeploymentFile(model);
    const local = !deployment && (await isDirectory(model));
    const handle = await startServing({
      ...(deployment ? { deployment: model } : local ? { modelDir: model } : { modelUri: model }),
      host: flags.host,
      port: int('port', flags.port, 0),
      maxBatchSize: int('max-batch-size', flags.maxBatchSize, 1),
      maxLatencyMs: int('max-latency-ms', flags.maxLatencyMs, 0),
      maxQueue: int('max-queue', flags.maxQueue, 1),
      timeoutMs: int('timeout-ms', flags.timeoutMs, 1),
      ...(flags.batching ? {} : { batching: false }),
      ...(flags.workers !== undefined
        ? { workers: flags.workers === 'auto' ? ('auto' as const) : int('workers', flags.workers, 0)! }
        : {}),
      allowCode: flags.allowCodeModels ?? false,
      ...(flags.trackingUri ? { trackingUri: flags.trackingUri } : {}),
      ...(flags.modelName ? { modelName: flags.modelName } : {}),
      ...(flags.inferenceLog ? { inferenceLog: flags.inferenceLog } : {}),
      ...(flags.sampleRate !== undefined ? { sampleRate: rate(flags.sampleRate) } : {}),
      ...(flags.allowedHosts ? { allowedHosts: flags.allowedHosts } : {}),
      ...(flags.corsAllowedOrigins ? { corsAllowedOrigins: flags.corsAllowedOrigins } : {}),
      auth: flags.auth,
      ...(flags.authStore ? { authStore: flags.authStore } : {}),
      authDefaultPermission: flags.authDefaultPermission,
    });
    const what = handle.routes
      .map(
        (r) =>
          `${deployment ? `${r.name}=` : ''}${r.id.uri}${r.id.version ? ` (version ${r.id.version})` : ''}`,
      )
      .join(', ');
    const threads = handle.routes[0]!.model.concurrency;
    const where =
      threads === undefined
        ? 'predicting on the event loop'
        : `predicting in ${threads} worker thread${threads === 1 ? '' : 's'} per model`;
    process.stdout.write(`Serving ${what} at ${handle.url} (${where})\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`cairn serve: ${signal}: draining in-flight requests\n`);
      handle.close().then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`cairn serve: shutdown failed: ${(e as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
