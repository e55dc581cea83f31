import { join } from 'node:path';
import type { Duration} from 'aws-cdk-lib';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Repository root (infra/constructs → ../..). */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

/** Handler entry of a function folder. */
export const functionEntry = (name: string): string => join(PROJECT_ROOT, 'functions', name, 'handler.ts');

/**
 * esbuild options shared by the CDK bundling and `npm run bench -- lambda`: one minified CommonJS
 * file per function, ESM sources (middy, Powertools, zod/mini) tree-shaken into it, the AWS SDK v3
 * left to the Node.js runtime (it ships it).
 *
 * CommonJS, not ESM, because the runtime's SDK is CommonJS: an ESM bundle `import`ing it makes
 * Node run its CJS export lexer over every SDK package at init (measured: 2–3× the init time of
 * the same bundle as CJS). `import.meta.url` (used by lib/media/binaries) is defined from
 * `__filename` by the banner.
 */
export const BUNDLING = {
  format: 'cjs' as const,
  target: 'node22',
  platform: 'node' as const,
  minify: true,
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  define: { 'import.meta.url': '__marqueeModuleUrl' },
  banner: "const __marqueeModuleUrl = require('node:url').pathToFileURL(__filename).href;",
};

const cdkBundling: BundlingOptions = {
  format: OutputFormat.CJS,
  target: BUNDLING.target,
  minify: BUNDLING.minify,
  mainFields: BUNDLING.mainFields,
  externalModules: BUNDLING.external,
  define: BUNDLING.define,
  banner: BUNDLING.banner,
  sourceMap: false,
  logLevel: LogLevel.WARNING,
};

export interface MarqueeFunctionProps {
  /** Folder under functions/. */
  name: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  layers?: lambda.ILayerVersion[];
  architecture?: lambda.Architecture;
  /** Dead-letter queue for asynchronous (scheduled) invocations. */
  deadLetterQueue?: sqs.IQueue;
  /** Reserved concurrency (e.g. 1 for the single-writer dispatcher). */
  reservedConcurrency?: number;
}

/**
 * A Marquee Lambda: Node.js 24 (the latest Lambda runtime; cdk-nag flags 22), CJS bundle from functions/<name>/handler.ts, X-Ray tracing, JSON
 * logs into a log group with retention, Powertools service name and metrics namespace set, a role of
 * its own with only the basic execution permissions written out (no AWS managed policy).
 */
export class MarqueeFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: MarqueeFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Marquee ${props.name} function` });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    this.fn = new NodejsFunction(this, 'Fn', {
      entry: functionEntry(props.name),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      logGroup,
      layers: props.layers,
      reservedConcurrentExecutions: props.reservedConcurrency,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: cdkBundling,
      environment: {
        POWERTOOLS_SERVICE_NAME: `marquee-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Marquee',
        ...props.environment,
      },
    });
  }
}
