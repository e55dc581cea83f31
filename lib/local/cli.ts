#!/usr/bin/env node
/**
 * `marquee` CLI. Each subcommand lives in its own module and registers itself here.
 */
import { Command } from 'commander';
import { registerRun } from './commands/run';
import { registerSimulate } from './commands/simulate';
import { registerTrain } from './commands/train';

const program = new Command()
  .name('marquee')
  .description('Value-aware video encoding orchestrator: local runtime, simulator and tools')
  .showHelpAfterError();

registerRun(program);
registerTrain(program);
registerSimulate(program);

await program.parseAsync(process.argv);
