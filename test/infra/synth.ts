/** Synthesise the Marquee app once for a test file: no bundling, no Docker, no credentials. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../../infra/config';
import { buildMarquee, type MarqueeStacks } from '../../infra/marquee';

export interface Synthesised extends MarqueeStacks {
  app: App;
  dataTemplate: Template;
  serviceTemplate: Template;
}

export function synthMarquee(context: Record<string, unknown> = {}): Synthesised {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stacks = buildMarquee(app, readConfig((k) => app.node.tryGetContext(k)), { nag: false });
  return { app, ...stacks, dataTemplate: Template.fromStack(stacks.data), serviceTemplate: Template.fromStack(stacks.service) };
}

/** Fake but well-formed values for CloudFormation intrinsics, so a definition can run offline. */
function resolveIntrinsic(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    const id = String(v.Ref);
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::Region') return 'us-east-1';
    if (id === 'AWS::AccountId') return '123456789012';
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    return `ref-${id}`;
  }
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    const type = resources[id]?.Type;
    if (type === 'AWS::Lambda::Function' && attr === 'Arn') return `arn:aws:lambda:us-east-1:123456789012:function:${id}`;
    return `arn:aws:fake:us-east-1:123456789012:${id}/${attr}`;
  }
  if ('Fn::ImportValue' in v) return `import-${JSON.stringify(v['Fn::ImportValue'])}`;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsic(p, resources)).join(sep);
  }
  throw new Error(`unsupported intrinsic ${JSON.stringify(value).slice(0, 100)}`);
}

/** The state machine definition (ASL JSON) with intrinsics replaced, plus the logical id → fake ARN map of its functions. */
export function stateMachineDefinition(template: Template): { definition: AslDefinition; functionIds: Record<string, string> } {
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const machines = Object.values(json.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const definition = JSON.parse(resolveIntrinsic(machines[0]!.Properties.DefinitionString, json.Resources)) as AslDefinition;
  const functionIds = Object.fromEntries(Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => [id, `arn:aws:lambda:us-east-1:123456789012:function:${id}`]));
  return { definition, functionIds };
}

export interface AslState {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; MaxAttempts?: number; BackoffRate?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  [k: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [k: string]: unknown;
}
