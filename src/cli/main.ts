#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerModelsCommand } from './models.js';
import { registerServeCommand } from './serve.js';
import { registerServerCommand } from './server.js';
import { registerUserCommands } from './users.js';

const program = new Command()
  .name('cairn')
  .description('Cairn: experiment tracking, model registry, serving and monitoring for TypeScript teams')
  .version(VERSION);

registerServerCommand(program);
registerModelsCommand(program);
registerServeCommand(program);
registerUserCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as { code?: string; message?: string };
  process.stderr.write(`cairn: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}\n`);
  process.exit(1);
});
