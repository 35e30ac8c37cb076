/**
 * A training script that never calls `end()`: it logs 2500 points and then either returns (the
 * process exits on its own) or waits to be killed (`wait`). Prints the run id on stdout.
 */
import { connect } from '../index.js';

const mode = process.argv[2] ?? 'exit';
// A long interval: the last partial batch leaves only through the exit hooks.
const client = await connect(undefined, { metricBuffer: { intervalMs: 600_000 } });
const run = await client.startRun({ experiment: 'exit-hooks', captureEnvironment: false });
for (let i = 0; i < 2500; i++) run.logMetric('loss', 1 / (i + 1), i);
process.stdout.write(`${run.id}\n`);
if (mode === 'wait') setInterval(() => {}, 1000);
