import { createReadStream, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CairnError, invalidParam } from '../core/errors.js';
import { joinArtifactPath, safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { TrackingService } from '../tracking/service.js';
import type { KeyValue, Metric, RunInfo, Run as RunRecord, RunStatus } from '../tracking/types.js';
import { LIMITS, validateKey } from '../tracking/validate.js';
import { type DatasetSpec, datasetInput } from './dataset.js';
import { trackRun, untrackRun } from './exit-hooks.js';
import { MetricBuffer, type MetricBufferOptions } from './metric-buffer.js';
import { flattenNumbers, keyValues } from './records.js';

/** What a run handle needs from its client. */
export interface RunContext {
  tracking: TrackingService;
  /** The artifact store behind an artifact URI (`mlflow-artifacts:/…`, `s3://…`, `file://…`). */
  artifactsFor(uri: string): Promise<ArtifactStore>;
  metricBuffer?: MetricBufferOptions;
  /** Called once when the run has ended. */
  onEnd?(run: Run): void;
}

/** Files uploaded at once by `logArtifacts`. */
const UPLOAD_CONCURRENCY = 4;

/**
 * A live run. Metrics are buffered and sent in the background (`logMetric(s)` and `log` never wait);
 * everything else is a direct call that resolves once written. `end()` sends what is buffered, then
 * records the status and end time. A run not ended by the program is ended when the process exits.
 */
export class Run {
  readonly id: string;
  private current: RunInfo;
  private readonly buffer: MetricBuffer;
  private readonly checkedKeys = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private store: Promise<ArtifactStore> | undefined;
  private ending: Promise<void> | undefined;
  private nextStep = 0;

  constructor(
    private readonly ctx: RunContext,
    record: RunRecord,
  ) {
    this.id = record.info.run_id;
    this.current = record.info;
    this.buffer = new MetricBuffer(
      (metrics) => ctx.tracking.logBatch(this.id, { metrics }),
      ctx.metricBuffer,
    );
    trackRun(this);
  }

  /** The run's info as last known here (status and end time are updated by `end`). */
  get info(): RunInfo {
    return this.current;
  }

  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** Metric points buffered, not yet sent. */
  get bufferedPoints(): number {
    return this.buffer.size;
  }

  /** Log-batch calls for metrics completed so far (succeeded or failed). */
  get metricBatchesSent(): number {
    return this.buffer.batchesSent;
  }

  /** Params, values stringified (objects as JSON); sent 100 to a call. */
  logParams(params: Record<string, unknown>): Promise<void> {
    return this.sendPairs('params', keyValues(params), LIMITS.batchParams);
  }

  logParam(key: string, value: unknown): Promise<void> {
    return this.logParams({ [key]: value });
  }

  setTags(tags: Record<string, unknown>): Promise<void> {
    return this.sendPairs('tags', keyValues(tags), LIMITS.batchTags);
  }

  setTag(key: string, value: unknown): Promise<void> {
    return this.setTags({ [key]: value });
  }

  /**
   * Buffers metric points (step 0 unless given; timestamp now) and returns at once. Keys, values and
   * the step are checked here, synchronously. Answers false once the buffer holds more than its
   * high-water mark (100k points): the program logs faster than the store takes it and should
   * `await run.flush()` now and then.
   */
  logMetrics(metrics: Record<string, number>, step = 0): boolean {
    this.checkOpen();
    if (!Number.isSafeInteger(step))
      throw invalidParam(`Invalid step ${String(step)}: a step must be an integer`);
    const timestamp = Date.now();
    const points: Metric[] = [];
    for (const key of Object.keys(metrics)) {
      const value = metrics[key];
      if (!this.checkedKeys.has(key)) {
        validateKey('metric', key);
        this.checkedKeys.add(key);
      }
      if (typeof value !== 'number')
        throw invalidParam(`Metric '${key}' must be a number, got ${typeof value}`);
      points.push({ key, value, timestamp, step });
    }
    return this.buffer.push(...points);
  }

  logMetric(key: string, value: number, step = 0): boolean {
    return this.logMetrics({ [key]: value }, step);
  }

  /**
   * wandb's `log`: nested objects flattened with dots; the step counts up by one per call unless given
   * (a given step also moves the counter on).
   */
  log(record: Record<string, unknown>, options: { step?: number } = {}): boolean {
    const step = options.step ?? this.nextStep;
    const ok = this.logMetrics(flattenNumbers(record), step);
    this.nextStep = step + 1;
    return ok;
  }

  /** Sends every buffered point; throws the first background error since the last flush. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /**
   * Waits for what the handle started, sends the buffered points, then sets the status and end time.
   * Every call answers the same. A background error surfaces here; the status is set regardless.
   */
  end(status: RunStatus = 'FINISHED'): Promise<void> {
    this.ending ??= this.finish(status);
    return this.ending;
  }

  /** For `await using run = await client.startRun(…)`: ends the run (FINISHED) unless already ended. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.ended) await this.end();
  }

  /** This run's artifact store. */
  artifacts(): Promise<ArtifactStore> {
    if (!this.store) {
      this.store = this.ctx.artifactsFor(this.current.artifact_uri);
      this.store.catch(() => {
        this.store = undefined;
      });
    }
    return this.store;
  }

  /** Uploads one local file, streamed, as `<artifactPath>/<file name>`. */
  logArtifact(localPath: string, artifactPath = ''): Promise<void> {
    return this.track(async () => {
      if ((await stat(localPath)).isDirectory())
        throw invalidParam(`${localPath} is a directory: use logArtifacts`);
      const dest = joinArtifactPath(artifactPath, path.basename(localPath));
      await (await this.artifacts()).put(dest, createReadStream(localPath));
    });
  }

  /** Uploads the files under a local directory (not the directory itself) under `artifactPath`. */
  logArtifacts(localDir: string, artifactPath = ''): Promise<void> {
    return this.track(async () => {
      const base = safeArtifactPath(artifactPath);
      const files = await listFiles(path.resolve(localDir));
      const store = await this.artifacts();
      const queue = files.map((rel) => ({ rel, dest: joinArtifactPath(base, rel) }));
      const worker = async () => {
        for (let f = queue.shift(); f; f = queue.shift()) {
          await store.put(f.dest, createReadStream(path.join(localDir, ...f.rel.split('/'))));
        }
      };
      await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, queue.length) }, worker));
    });
  }

  logText(text: string, artifactFile: string): Promise<void> {
    return this.track(async () => (await this.artifacts()).put(artifactFile, Buffer.from(text, 'utf8')));
  }

  /** A JSON file, or YAML when the name ends in `.yaml` / `.yml`. */
  logDict(value: unknown, artifactFile: string): Promise<void> {
    return this.track(async () => {
      let text: string;
      if (/\.ya?ml$/i.test(artifactFile)) {
        const { stringify } = await import('yaml');
        text = stringify(value);
      } else {
        text = `${JSON.stringify(value, null, 2)}\n`;
      }
      await (await this.artifacts()).put(artifactFile, Buffer.from(text, 'utf8'));
    });
  }

  /** Records a dataset the run read (digest computed if not given, context as `mlflow.data.context`). */
  logInput(dataset: DatasetSpec): Promise<void> {
    return this.track(() => this.ctx.tracking.logInputs(this.id, [datasetInput(dataset)]));
  }

  private async finish(status: RunStatus): Promise<void> {
    let error: unknown;
    try {
      await Promise.allSettled([...this.pending]);
      await this.buffer.flush();
    } catch (e) {
      error = e;
    }
    try {
      this.current = await this.ctx.tracking.updateRun(this.id, { status, endTime: Date.now() });
    } catch (e) {
      error ??= e;
    } finally {
      untrackRun(this);
      this.ctx.onEnd?.(this);
    }
    if (error !== undefined) throw error;
  }

  private checkOpen(): void {
    if (this.ending)
      throw new CairnError('INVALID_STATE', `Run ${this.id} has ended: no more metrics can be logged to it`);
  }

  private sendPairs(kind: 'params' | 'tags', items: KeyValue[], size: number): Promise<void> {
    return this.track(async () => {
      for (let i = 0; i < items.length; i += size) {
        await this.ctx.tracking.logBatch(this.id, { [kind]: items.slice(i, i + size) });
      }
    });
  }

  /** Runs an operation that `end()` will wait for. */
  private track(op: () => Promise<void>): Promise<void> {
    const p = op();
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return p;
  }
}

/** Every file under `root` (following links to files, not to directories), as sorted `/` paths. */
async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries: Dirent[] = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const entry of entries) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else if (entry.isFile()) out.push(child);
    else if (entry.isSymbolicLink() && (await stat(path.join(root, child)).catch(() => undefined))?.isFile())
      out.push(child);
  }
  return out.sort();
}
