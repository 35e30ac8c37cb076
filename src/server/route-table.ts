import type { FastifyInstance } from 'fastify';

/** One registered route: its method and full URL pattern (`/api/2.0/mlflow/runs/get`, `…/*`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Starts recording every route registered on `app` from now on (call it before registering any).
 * The table is what tests walk to reach every route (the fuzz test, rule checks).
 */
export function recordRoutes(app: FastifyInstance): void {
  if (tables.has(app)) return;
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) table.push({ method: String(method), url: route.url });
  });
}

/** The routes recorded on `app` (empty if recordRoutes was never called on it). */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
