import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TIERS } from '../../lib/core/types';

/**
 * The priority API (REST, IAM/SigV4 auth on every method, request validation at the gateway):
 * `POST /jobs/{id}/escalate` (emergency bump: a new tier and/or deadline, with a reason) and
 * `GET /jobs/{id}`. Access logs as JSON, execution logging, X-Ray, stage throttling.
 */
export class PriorityApi extends Construct {
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: { handler: lambda.IFunction }) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Marquee priority API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    });
    const integration = new apigw.LambdaIntegration(props.handler, { proxy: true });
    const escalateModel = this.api.addModel('EscalateRequest', {
      contentType: 'application/json',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'EscalateRequest',
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['reason'],
        properties: {
          tier: { type: apigw.JsonSchemaType.STRING, enum: [...TIERS] },
          deadline: { type: apigw.JsonSchemaType.STRING, maxLength: 40 },
          reason: { type: apigw.JsonSchemaType.STRING, minLength: 3, maxLength: 500 },
          by: { type: apigw.JsonSchemaType.STRING, maxLength: 200 },
        },
      },
    });
    const bodyValidator = this.api.addRequestValidator('BodyAndParams', { validateRequestBody: true, validateRequestParameters: true });
    const paramsValidator = this.api.addRequestValidator('Params', { validateRequestBody: false, validateRequestParameters: true });
    const job = this.api.root.addResource('jobs').addResource('{id}');
    job.addMethod('GET', integration, { requestValidator: paramsValidator, requestParameters: { 'method.request.path.id': true } });
    job.addResource('escalate').addMethod('POST', integration, {
      requestValidator: bodyValidator,
      requestParameters: { 'method.request.path.id': true },
      requestModels: { 'application/json': escalateModel },
    });
  }
}
