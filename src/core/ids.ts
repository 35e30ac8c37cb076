import { randomUUID } from 'node:crypto';

/** A 32-character lowercase hex id, the shape MLflow uses for run ids. */
export function newHexId(): string {
  return randomUUID().replaceAll('-', '');
}

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

export const isRunId = (s: string): boolean => RUN_ID.test(s);
export const isExperimentId = (s: string): boolean => EXPERIMENT_ID.test(s);
