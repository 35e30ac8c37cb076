import type { Kysely } from 'kysely';

/** MLflow's `Default` experiment, id 0, whose artifacts live under the artifact root's `0/`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = Date.now();
  await (db as Kysely<Record<string, Record<string, unknown>>>)
    .insertInto('experiments')
    .values({
      experiment_id: 0,
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
    })
    .execute();
}
