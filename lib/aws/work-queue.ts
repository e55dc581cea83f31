import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import './zod-locale';
import * as z from 'zod/mini';
import { TIERS, type Tier } from '../core/types';
import type { QueuedWork, WorkQueue } from '../ports';

/** The body the state machine's Enqueue state sends (and `send` writes). */
export const workMessageSchema = z.object({
  jobId: z.string().check(z.minLength(1), z.maxLength(200)),
  tier: z.enum(TIERS),
  taskToken: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  enqueuedAt: z.pipe(z.union([z.number(), z.pipe(z.string(), z.transform((s: string) => Date.parse(s)))]), z.number()),
});

/** A message whose body is not a work message; it stays for redrive to the DLQ. */
export interface PoisonMessage {
  tier: Tier;
  receipt: string;
  error: string;
}

/**
 * WorkQueue over one SQS queue per tier. Received work stays invisible for the queue's visibility
 * timeout; `release` makes it visible again at once (work the dispatcher could not place yet).
 */
export class SqsWorkQueue implements WorkQueue {
  readonly poison: PoisonMessage[] = [];

  constructor(private readonly sqs: SQSClient, private readonly queueUrls: Record<Tier, string>) {}

  async send(work: Omit<QueuedWork, 'receipt'>): Promise<void> {
    const body = { jobId: work.jobId, tier: work.tier, enqueuedAt: work.enqueuedAt, ...(work.taskToken ? { taskToken: work.taskToken } : {}) };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrls[work.tier], MessageBody: JSON.stringify(body) }));
  }

  async receive(tier: Tier, max: number): Promise<QueuedWork[]> {
    const out = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrls[tier], MaxNumberOfMessages: Math.min(10, Math.max(1, max)), WaitTimeSeconds: 0 }));
    const work: QueuedWork[] = [];
    for (const m of out.Messages ?? []) {
      const parsed = workMessageSchema.safeParse(safeJson(m.Body));
      if (!parsed.success) {
        this.poison.push({ tier, receipt: m.ReceiptHandle ?? '', error: parsed.error.message.slice(0, 300) });
        continue;
      }
      // The tier is the queue's: an escalated job's message may sit in its old tier's queue.
      work.push({ ...parsed.data, tier, receipt: m.ReceiptHandle ?? '' });
    }
    return work;
  }

  async ack(work: QueuedWork): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrls[work.tier], ReceiptHandle: work.receipt }));
  }

  /** Make received work visible again after `delaySec` (0 = now). */
  async release(work: QueuedWork, delaySec = 0): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrls[work.tier], ReceiptHandle: work.receipt, VisibilityTimeout: delaySec }));
  }

  async depth(tier: Tier): Promise<number> {
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrls[tier], AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
}

function safeJson(s: string | undefined): unknown {
  try {
    return JSON.parse(s ?? '');
  } catch {
    return undefined;
  }
}
