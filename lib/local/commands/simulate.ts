import type { Command } from 'commander';

/** `marquee simulate` — placeholder until its issue lands. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulate (not yet implemented)')
    .action(() => {
      throw new Error('not yet implemented');
    });
}
