import type { Command } from 'commander';

/** `marquee train` — placeholder until its issue lands. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train (not yet implemented)')
    .action(() => {
      throw new Error('not yet implemented');
    });
}
