/**
 * `npm run bench -- NAME [--json]`: runs one benchmark, prints a table (or one JSON object).
 * Each benchmark measures a baseline in the same run, since absolute times drift on this machine.
 */
const BENCHES: Record<
  string,
  () => Promise<{ default: (opts: BenchOptions) => Promise<Record<string, unknown>> }>
> = {
  tracking: () => import('./tracking.js'),
  models: () => import('./models.js'),
  serving: () => import('./serving.js'),
  gbdt: () => import('./gbdt.js'),
};

export interface BenchOptions {
  json: boolean;
  /** Smaller sizes, for a smoke run. */
  quick: boolean;
  log(line: string): void;
}

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const json = args.includes('--json');
const quick = args.includes('--quick');
if (!name || !BENCHES[name]) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--json] [--quick]\n`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const bench = await BENCHES[name]!();
const result = await bench.default({ json, quick, log });
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
