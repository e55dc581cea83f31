import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TIERS, type Tier } from '../../lib/core/types';

/** Custom metrics namespace the handlers emit into (Powertools EMF). */
export const METRICS_NAMESPACE = 'Marquee';

export interface ObservabilityProps {
  tierQueues: Record<Tier, sqs.IQueue>;
  deadLetterQueues: Record<string, sqs.IQueue>;
  stateMachine: sfn.IStateMachine;
  functions: Record<string, lambda.IFunction>;
  key: IKey;
  alarmEmail?: string;
}

const m = (metricName: string, dimensionsMap: Record<string, string>, statistic = 'Sum') =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period: Duration.minutes(1) });

/**
 * The dashboard (queue depth per tier, in flight per backend, turnaround per tier, deadline risk
 * and misses, prediction error, DLQ depth) and the alarms (any message in a DLQ, any deadline miss,
 * failed executions, function errors), all notifying an encrypted SNS topic.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'Alarms', { masterKey: props.key, enforceSSL: true, displayName: 'Marquee alarms' });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string, threshold = 0) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(`${name}DlqAlarm`, dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), `Messages in the ${name} dead-letter queue: inspect and redrive`);
    }
    alarm('DeadlineMissAlarm', m('DeadlineMissed', { service: 'marquee-complete' }), 'A job was published after its deadline');
    alarm('ExecutionsFailedAlarm', props.stateMachine.metricFailed({ period: Duration.minutes(5) }), 'Encode workflows failed (rejections excluded: see the Rejected end)');
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}ErrorsAlarm`, fn.metricErrors({ period: Duration.minutes(5) }), `The ${name} function is failing`, 2);
    }

    const depth = TIERS.map((t) => props.tierQueues[t].metricApproximateNumberOfMessagesVisible({ label: t, period: Duration.minutes(1), statistic: 'Maximum' }));
    const dlqDepth = Object.entries(props.deadLetterQueues).map(([n, q]) => q.metricApproximateNumberOfMessagesVisible({ label: n, period: Duration.minutes(1), statistic: 'Maximum' }));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Queue depth per tier', left: depth, width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'In flight per backend',
        left: ['mediaconvert', 'batch-gpu'].map((b) => m('InFlight', { service: 'marquee-dispatch', backend: b }, 'Maximum').with({ label: b })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Turnaround per tier (s, p90)',
        left: TIERS.map((t) => m('TurnaroundSec', { service: 'marquee-complete', tier: t }, 'p90').with({ label: t })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Deadline risk and misses',
        left: [m('DeadlineAtRisk', { service: 'marquee-deadline-watch' }).with({ label: 'at risk' }), m('DeadlineMissed', { service: 'marquee-complete' }).with({ label: 'missed' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Prediction error (actual / predicted P50)',
        left: [m('PredictionRatio', { service: 'marquee-complete' }, 'p50').with({ label: 'p50' }), m('PredictionRatio', { service: 'marquee-complete' }, 'p90').with({ label: 'p90' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'DLQ depth', left: dlqDepth, width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Workflows',
        left: [props.stateMachine.metricStarted(), props.stateMachine.metricSucceeded(), props.stateMachine.metricFailed()],
        width: 24,
      }),
    );
  }
}
