/**
 * The scoring server's metrics, rendered in Prometheus' text exposition format (version 0.0.4).
 * Written here rather than with prom-client: four metrics, no dependency.
 */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

type Labels = Record<string, string>;

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  render(name: string, labels: string): string[] {
    const sep = labels ? ',' : '';
    const lines: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.counts[i]!;
      lines.push(`${name}_bucket{${labels}${sep}le="${this.buckets[i]}"} ${cumulative}`);
    }
    lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`);
    const braces = labels ? `{${labels}}` : '';
    lines.push(`${name}_sum${braces} ${this.sum}`, `${name}_count${braces} ${this.count}`);
    return lines;
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');

export class ServingMetrics {
  private readonly requests = new Map<string, number>();
  private readonly requestKeys = new Map<string, [string, string]>();
  private readonly routeKeys = new Map<string, string>();
  private readonly latency = new Map<string, Histogram>();
  private readonly batchSize = new Histogram(BATCH_BUCKETS);
  private readonly byRoute = new Map<string, number>();
  private readonly shadow = new Map<string, number>();
  private readonly reloads = new Map<string, number>();

  constructor(
    /** The labels naming the model version that answers: `{model, version}`. */
    private readonly modelLabels: Labels,
    /** Reads the queue depth when metrics are scraped. */
    private readonly queueDepth: () => { requests: number; rows: number },
  ) {}

  /** One answered request: its route, HTTP status and latency in seconds. */
  observeRequest(route: string, status: number, seconds: number): void {
    // Label texts are built once per (route, status), not per request.
    const memo = `${route}\u0000${status}`;
    let keys = this.requestKeys.get(memo);
    if (!keys) {
      keys = [
        labelText({ ...this.modelLabels, route, status: String(status) }),
        labelText({ ...this.modelLabels, route }),
      ];
      this.requestKeys.set(memo, keys);
    }
    const [key, lkey] = keys;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(lkey);
    if (!h) {
      h = new Histogram(LATENCY_BUCKETS_S);
      this.latency.set(lkey, h);
    }
    h.observe(seconds);
  }

  /** A request answered by deployment route `route` with model `version`. */
  observeRoute(route: string, version: string | undefined): void {
    const memo = `${route}\u0000${version ?? ''}`;
    let key = this.routeKeys.get(memo);
    if (key === undefined) {
      key = labelText({ deployment_route: route, version: version ?? '' });
      this.routeKeys.set(memo, key);
    }
    this.byRoute.set(key, (this.byRoute.get(key) ?? 0) + 1);
  }

  /** Rows a shadow model answered `equal`ly or `different`ly from the main one (or `error`). */
  observeShadow(shadow: string, result: 'equal' | 'different' | 'error', rows: number): void {
    const key = labelText({ shadow, result });
    this.shadow.set(key, (this.shadow.get(key) ?? 0) + rows);
  }

  /** A route swapped to a new model version. */
  observeReload(route: string): void {
    const key = labelText({ deployment_route: route });
    this.reloads.set(key, (this.reloads.get(key) ?? 0) + 1);
  }

  observeBatch(rows: number): void {
    this.batchSize.observe(rows);
  }

  render(): string {
    const model = labelText(this.modelLabels);
    const depth = this.queueDepth();
    const lines = [
      '# HELP cairn_serving_requests_total Requests answered, by route, status and model version.',
      '# TYPE cairn_serving_requests_total counter',
      ...[...this.requests].map(([k, n]) => `cairn_serving_requests_total{${k}} ${n}`),
      '# HELP cairn_serving_request_duration_seconds Time from request to response.',
      '# TYPE cairn_serving_request_duration_seconds histogram',
      ...[...this.latency].flatMap(([k, h]) => h.render('cairn_serving_request_duration_seconds', k)),
      '# HELP cairn_serving_batch_size_rows Rows per predict call.',
      '# TYPE cairn_serving_batch_size_rows histogram',
      ...this.batchSize.render('cairn_serving_batch_size_rows', model),
      '# HELP cairn_serving_queue_depth Requests admitted and not yet answered.',
      '# TYPE cairn_serving_queue_depth gauge',
      `cairn_serving_queue_depth{${model}} ${depth.requests}`,
      '# HELP cairn_serving_queued_rows Rows waiting for a batch.',
      '# TYPE cairn_serving_queued_rows gauge',
      `cairn_serving_queued_rows{${model}} ${depth.rows}`,
      '# HELP cairn_serving_route_requests_total Scoring requests answered, by deployment route and model version.',
      '# TYPE cairn_serving_route_requests_total counter',
      ...[...this.byRoute].map(([k, n]) => `cairn_serving_route_requests_total{${k}} ${n}`),
      '# HELP cairn_serving_shadow_predictions_total Shadow prediction rows equal to, or different from, the main ones.',
      '# TYPE cairn_serving_shadow_predictions_total counter',
      ...[...this.shadow].map(([k, n]) => `cairn_serving_shadow_predictions_total{${k}} ${n}`),
      '# HELP cairn_serving_reloads_total Hot reloads: a route swapped to a new model version.',
      '# TYPE cairn_serving_reloads_total counter',
      ...[...this.reloads].map(([k, n]) => `cairn_serving_reloads_total{${k}} ${n}`),
    ];
    return `${lines.join('\n')}\n`;
  }
}
