import Database from 'better-sqlite3';

/** Opens a SQLite store read-only for one query and closes it (the server keeps writing its own handle). */
export function queryRows<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every row of every table, as JSON text: two equal dumps mean nothing in the store changed. */
export function dumpStore(file: string, skipTables: readonly string[] = []): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    )
      .map((t) => t.name)
      .filter((t) => !skipTables.includes(t));
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      const rows = db.prepare(`SELECT * FROM "${t.replace(/"/g, '""')}"`).all() as Array<
        Record<string, unknown>
      >;
      out[t] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return JSON.stringify(out);
  } finally {
    db.close();
  }
}
