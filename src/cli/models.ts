import type { Command } from 'commander';
import type { CairnClient } from '../client/client.js';
import { connect } from '../client/connect.js';
import { resolveModelUri } from '../registry/model-resolver.js';
import type { ModelVersion, RegisteredModel } from '../registry/types.js';
import { downloadTree } from '../store/artifact-tree.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';

interface CommonOptions {
  trackingUri?: string;
  json?: boolean;
}

/** `cairn models …`: the registry from the shell. Each command parses, calls the SDK, prints. */
export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('Model registry: register, list, versions, aliases, stages, download')
    .option(
      '--tracking-uri <uri>',
      'store or server (default $CAIRN_TRACKING_URI, $MLFLOW_TRACKING_URI, ./.cairn)',
    )
    .option('--json', 'print JSON instead of text');

  const run =
    (fn: (client: CairnClient, common: CommonOptions, ...args: string[]) => Promise<unknown>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const common = command.optsWithGlobals() as CommonOptions & Record<string, unknown>;
      const client = await connect(common.trackingUri);
      try {
        const result = await fn(client, common, ...(args.slice(0, -2) as string[]));
        if (common.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await client.close();
      }
    };

  models
    .command('register <source>')
    .description(
      'register a model directory (runs:/<run_id>/model, models:/m-<id>, mlflow-artifacts:/…) as a new version',
    )
    .requiredOption('-n, --name <name>', 'registered model name (created if new)')
    .action(
      run(async (client, common, source) => {
        const opts = common as CommonOptions & { name: string };
        await client.registry.getRegisteredModel(opts.name).catch(async (e: { code?: string }) => {
          if (e.code === 'RESOURCE_DOES_NOT_EXIST')
            return client.registry.createRegisteredModel({ name: opts.name });
          throw e;
        });
        const runId = /^runs:\/([^/]+)\//.exec(source!)?.[1];
        const version = await client.registry.createModelVersion({
          name: opts.name,
          source: source!,
          ...(runId ? { runId } : {}),
        });
        if (!common.json)
          process.stdout.write(
            `Registered ${version.name} version ${version.version} from ${version.source}\n`,
          );
        return version;
      }),
    );

  models
    .command('list')
    .description('list registered models')
    .option('--filter <filter>', 'MLflow filter, e.g. "name LIKE \'fraud%\'"')
    .action(
      run(async (client, common) => {
        const { filter } = common as CommonOptions & { filter?: string };
        const page = await client.registry.searchRegisteredModels({
          ...(filter ? { filter } : {}),
          maxResults: 1000,
        });
        if (!common.json) printModels(page.items);
        return page.items;
      }),
    );

  models
    .command('versions <name>')
    .description("list a model's versions")
    .action(
      run(async (client, common, name) => {
        const page = await client.registry.searchModelVersions({
          filter: `name = '${name!.replaceAll("'", "\\'")}'`,
          maxResults: 10_000,
        });
        if (!common.json) printVersions(page.items);
        return page.items;
      }),
    );

  models
    .command('set-alias <name> <alias> <version>')
    .description('point an alias (e.g. champion) at a version')
    .action(
      run(async (client, common, name, alias, version) => {
        await client.registry.setAlias(name!, alias!, version!);
        const mv = await client.registry.getModelVersionByAlias(name!, alias!);
        if (!common.json) process.stdout.write(`${name}@${alias} → version ${mv.version}\n`);
        return mv;
      }),
    );

  models
    .command('transition <name> <version> <stage>')
    .description('move a version to a stage: None, Staging, Production, Archived')
    .option('--archive-existing', 'archive the versions currently in that stage')
    .action(
      run(async (client, common, name, version, stage) => {
        const { archiveExisting } = common as CommonOptions & { archiveExisting?: boolean };
        const mv = await client.registry.transitionStage(name!, version!, stage!, archiveExisting ?? false);
        if (!common.json)
          process.stdout.write(`${name} version ${mv.version} is now in ${mv.current_stage}\n`);
        return mv;
      }),
    );

  models
    .command('download <model-uri>')
    .description(
      'download a model directory (models:/name@alias, models:/name/1, runs:/…) to a local directory',
    )
    .requiredOption('-d, --dst <dir>', 'destination directory')
    .action(
      run(async (client, common, uri) => {
        const { dst } = common as CommonOptions & { dst: string };
        const resolved = await resolveModelUri(uri!, {
          tracking: client.tracking,
          registry: client.registry,
          loggedModels: client.loggedModels,
          proxyRoot: client.artifactRoot,
          allowedRoots: client.artifactRoot instanceof LocalArtifactStore ? [client.artifactRoot.root] : [],
        });
        const files = await downloadTree(resolved.store, '', dst);
        if (!common.json) process.stdout.write(`Downloaded ${files} file(s) of ${uri} to ${dst}\n`);
        return {
          uri,
          dst,
          files,
          ...(resolved.modelVersion ? { model_version: resolved.modelVersion } : {}),
        };
      }),
    );
}

function printModels(items: RegisteredModel[]): void {
  if (items.length === 0) return void process.stdout.write('No registered models.\n');
  for (const m of items) {
    const aliases = (m.aliases ?? []).map((a) => `${a.alias}→v${a.version}`).join(', ');
    const latest = m.latest_versions.map((v) => `v${v.version} (${v.current_stage})`).join(', ');
    process.stdout.write(`${m.name}\tlatest: ${latest || '-'}\taliases: ${aliases || '-'}\n`);
  }
}

function printVersions(items: ModelVersion[]): void {
  if (items.length === 0) return void process.stdout.write('No versions.\n');
  for (const v of items.sort((a, b) => Number(a.version) - Number(b.version))) {
    process.stdout.write(`v${v.version}\t${v.current_stage}\t${v.aliases.join(',') || '-'}\t${v.source}\n`);
  }
}
