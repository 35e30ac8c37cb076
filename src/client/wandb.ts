import { CairnError } from '../core/errors.js';
import type { RunStatus } from '../tracking/types.js';
import type { CairnClient, InitOptions } from './client.js';
import { type ConnectOptions, connect } from './connect.js';
import type { Run } from './run.js';

export interface ModuleInitOptions extends InitOptions {
  /** The tracking URI (default: as `connect()` picks it). */
  uri?: string;
  /** A client to use instead of connecting; it stays open after `finish`. */
  client?: CairnClient;
  /** Options for the connection made when no client is given. */
  connect?: ConnectOptions;
}

let active: { client: CairnClient; owned: boolean } | undefined;

/**
 * wandb's `init`, module-wide: connects (or uses `client`), finishes the current run if there is one,
 * and starts a run in experiment `project` with `config` as params.
 */
export async function init(options: ModuleInitOptions = {}): Promise<Run> {
  if (active) await finish();
  const { uri, client: given, connect: connectOptions, ...initOptions } = options;
  const client = given ?? (await connect(uri, connectOptions));
  active = { client, owned: given === undefined };
  try {
    return await client.init(initOptions);
  } catch (e) {
    await finish().catch(() => {});
    throw e;
  }
}

/** wandb's `log`: metrics to the current run, never waiting; the step counts up by one unless given. */
export function log(record: Record<string, unknown>, options: { step?: number } = {}): boolean {
  if (!active) throw new CairnError('INVALID_STATE', 'No current run: call init() first');
  return active.client.log(record, options);
}

/** wandb's `finish`: ends the current run (and closes the connection `init` made). */
export async function finish(status?: RunStatus): Promise<void> {
  const current = active;
  active = undefined;
  if (!current) return;
  try {
    await current.client.finish(status);
  } finally {
    if (current.owned) await current.client.close();
  }
}

/** The current module-level run, until `finish`. */
export function currentRun(): Run | undefined {
  return active?.client.currentRun;
}
