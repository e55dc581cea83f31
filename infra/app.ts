/** CDK app entry. Minimal until the AWS deployment issue fills it. */
import { App, Stack } from 'aws-cdk-lib';

const app = new App();
new Stack(app, 'Marquee');
app.synth();
