/**
 * CDK app entry (`npx cdk synth|deploy`). Two stacks: MarqueeData (stateful) and Marquee
 * (stateless), env-agnostic so synth needs no credentials. cdk-nag (AwsSolutions + Serverless)
 * runs on the whole app; acknowledgements live in infra/nag.ts, each with its rule and reason.
 */
import { App } from 'aws-cdk-lib';
import { readConfig } from './config';
import { buildMarquee } from './marquee';

const app = new App();
buildMarquee(app, readConfig((key) => app.node.tryGetContext(key)), { nag: app.node.tryGetContext('marquee:nag') !== 'false' });
app.synth();
