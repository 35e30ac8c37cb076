/**
 * The main job until the end-to-end example lands: a small tracked training run, logged embedded
 * (SQLite + local files under ./.cairn), then shown by `cairn server` over MLflow's REST API.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer } from 'cairn';
import { connect } from 'cairn/client';
import { makeTransactions, trainLogisticRegression } from './train.js';

const SEED = 42;
const cairn = await connect();
const run = await cairn.startRun({ experiment: 'fraud-detection', name: 'logreg-baseline', seed: SEED });
console.log(`run ${run.id} started (${cairn.mode}, ${cairn.uri})`);

const data = makeTransactions(5000, SEED);
await run.logInput({
  name: 'transactions',
  source: 'generated://fraud?rows=5000',
  context: 'training',
  profile: JSON.stringify({ num_rows: data.labels.length }),
});
const params = { learning_rate: 0.5, epochs: 40, l2: 0.001 };
await run.logParams(params);

const model = trainLogisticRegression(data, params, SEED, (epoch, m) => {
  run.logMetrics({ train_loss: m.loss, train_auc: m.auc }, epoch); // buffered: never waits on I/O
});
const configFile = path.join(process.env['CAIRN_HOME'] || '.cairn', 'feature_config.yaml');
await mkdir(path.dirname(configFile), { recursive: true });
await writeFile(configFile, `features: [${data.featureNames.join(', ')}]\nlabel: is_fraud\n`);
await run.logArtifact(configFile);
await run.logDict({ weights: Array.from(model.weights), bias: model.bias }, 'model/weights.json');
await run.end();
console.log(`run ${run.id} finished: final train_auc ${model.auc.toFixed(4)}`);
await cairn.close();

// The same store, served by `cairn server`: what an MLflow client (or the UI) sees.
const server = await startServer({ port: 0 });
try {
  const api = `${server.url}/api/2.0/mlflow`;
  const { run: served } = (await (await fetch(`${api}/runs/get?run_id=${run.id}`)).json()) as {
    run: {
      info: { run_name: string; status: string; artifact_uri: string };
      data: { metrics?: Array<{ key: string; value: number }> };
    };
  };
  const files = (await (await fetch(`${api}/artifacts/list?run_id=${run.id}`)).json()) as {
    files?: Array<{ path: string }>;
  };
  console.log(`cairn server at ${server.url} shows run '${served.info.run_name}' (${served.info.status})`);
  for (const m of served.data.metrics ?? []) console.log(`  ${m.key} = ${m.value.toFixed(4)}`);
  console.log(`  artifacts: ${(files.files ?? []).map((f) => f.path).join(', ')}`);
  console.log(
    '\nKeep it running with `npx cairn server` and point MLflow clients at MLFLOW_TRACKING_URI=http://127.0.0.1:5000',
  );
} finally {
  await server.close();
}
