#!/usr/bin/env node
/**
 * `marquee` CLI. Each subcommand lives in its own module and registers itself here.
 */
import { Command } from 'commander';
import { registerRun } from './commands/run';

const program = new Command()
  .name('marquee')
  .description('Value-aware video encoding orchestrator: local runtime, simulator and tools')
  .showHelpAfterError();

registerRun(program);

await program.parseAsync(process.argv);
