import type { Command } from 'commander';

/** `marquee run [inputs...]`: the embedded local runtime (placeholder until the foundation lands). */
export function registerRun(program: Command): void {
  program
    .command('run', { isDefault: true })
    .description('analyse, prioritise and encode uploads locally with ffmpeg')
    .argument('[inputs...]', 'files or folders; none = a generated sample workload')
    .action(() => {
      throw new Error('not yet implemented');
    });
}
