import { constants } from 'node:os';
import type { RunStatus } from '../tracking/types.js';

/** What the exit hooks need of a run. */
export interface LiveRun {
  readonly id: string;
  flush(): Promise<void>;
  end(status?: RunStatus): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type HandledSignal = (typeof SIGNALS)[number];

/** Longest wait for the runs to settle after a signal before exiting anyway, in ms. */
export const SIGNAL_FLUSH_TIMEOUT_MS = 10_000;

const live = new Set<LiveRun>();
let killing = false;

/**
 * Registers a run until it ends. While any run is live the process has one `beforeExit` hook (flush
 * and end the runs: FINISHED, or FAILED if `process.exitCode` says the program failed) and SIGINT /
 * SIGTERM hooks (flush, end the runs as KILLED, exit with 128 + the signal number). With no live run
 * no hook is installed.
 */
export function trackRun(run: LiveRun): void {
  live.add(run);
  if (live.size === 1) {
    process.on('beforeExit', onBeforeExit);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
}

export function untrackRun(run: LiveRun): void {
  if (!live.delete(run) || live.size > 0) return;
  process.off('beforeExit', onBeforeExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** The live runs (for tests and for clients closing theirs). */
export function liveRuns(): ReadonlySet<LiveRun> {
  return live;
}

function onBeforeExit(): void {
  const failed = process.exitCode !== undefined && process.exitCode !== 0 && process.exitCode !== '0';
  void endAll(failed ? 'FAILED' : 'FINISHED');
}

function onSignal(signal: HandledSignal): void {
  const code = 128 + (constants.signals[signal] ?? 0);
  // Someone else listens too: the program decides what the signal means; we only save the data.
  if (process.listenerCount(signal) > 1) {
    void Promise.all([...live].map((run) => run.flush().catch((e: unknown) => warn(run, e))));
    return;
  }
  // A second signal while the runs are settling: stop waiting.
  if (killing) process.exit(code);
  killing = true;
  const timer = setTimeout(() => process.exit(code), SIGNAL_FLUSH_TIMEOUT_MS);
  void endAll('KILLED').finally(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}

/** Ends every live run; failures are reported on stderr, never thrown at an exiting process. */
async function endAll(status: RunStatus): Promise<void> {
  await Promise.all([...live].map((run) => run.end(status).catch((e: unknown) => warn(run, e))));
}

function warn(run: LiveRun, e: unknown): void {
  process.stderr.write(
    `cairn: run ${run.id} could not be saved at exit: ${e instanceof Error ? e.message : String(e)}\n`,
  );
}
