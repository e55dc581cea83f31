import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { MarqueeConfig } from './config';
import { acknowledgeFindings } from './nag';
import { StatefulStack } from './stacks/stateful-stack';
import { StatelessStack } from './stacks/stateless-stack';

export interface MarqueeStacks {
  data: StatefulStack;
  service: StatelessStack;
}

/** Build both stacks into an app (used by infra/app.ts and the CDK tests). */
export function buildMarquee(app: App, config: MarqueeConfig, opts: { nag?: boolean } = {}): MarqueeStacks {
  // Feature flags the constructs rely on (set before any construct exists).
  app.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
  app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  const data = new StatefulStack(app, 'MarqueeData', { config, description: 'Marquee: buckets, jobs table, queues, keys' });
  const service = new StatelessStack(app, 'Marquee', { config, data, description: 'Marquee: functions, workflow, encoders, API, dashboard' });
  Tags.of(app).add('app', 'marquee');
  acknowledgeFindings({ data, service });
  if (opts.nag !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  }
  return { data, service };
}
