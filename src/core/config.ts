import path from 'node:path';

/** Where embedded Cairn keeps its data: `$CAIRN_HOME`, default `./.cairn`. */
export function cairnHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env['CAIRN_HOME'] || '.cairn');
}

export function defaultDatabaseUri(env: NodeJS.ProcessEnv = process.env): string {
  return `sqlite:///${path.join(cairnHome(env), 'cairn.db')}`;
}

export function defaultArtifactRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cairnHome(env), 'artifacts');
}
