import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors';
import type { Job, JobStatus } from '../core/types';
import type { JobStore } from '../ports';
import { fromItem, JOBS_TABLE_INDEXES, toItem } from './job-item';

/**
 * JobStore on DynamoDB: one typed item per job; every write is conditional — `attribute_not_exists`
 * for create, `version = :expected` (optimistic concurrency) for updates.
 */
export class DynamoJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient | DynamoDBDocumentClient, private readonly tableName: string) {
    this.doc = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } });
  }

  async create(job: Job): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: toItem(job), ConditionExpression: 'attribute_not_exists(id)' }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async get(id: string): Promise<Job | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async put(job: Job): Promise<Job> {
    const stored = { ...job, version: job.version + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(stored),
          ConditionExpression: 'attribute_exists(id) AND #v = :expected',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':expected': job.version },
        }),
      );
      return stored;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
        throw new ConflictError(`job ${job.id}: version ${job.version} is stale`, { cause: e });
      }
      throw e;
    }
  }

  async listByStatus(statuses: readonly JobStatus[]): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const status of statuses) jobs.push(...(await this.queryStatus(status)));
    return jobs;
  }

  /** Jobs in a status whose deadline is before `before` (epoch ms), earliest deadline first — the deadline watch's query. */
  async listByStatusDeadlineBefore(status: JobStatus, before: number): Promise<Job[]> {
    return this.queryStatus(status, before);
  }

  private async queryStatus(status: JobStatus, before?: number): Promise<Job[]> {
    const jobs: Job[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: JOBS_TABLE_INDEXES.statusDeadline,
          KeyConditionExpression: before === undefined ? '#s = :s' : '#s = :s AND deadlineAt < :before',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: before === undefined ? { ':s': status } : { ':s': status, ':before': before },
          ExclusiveStartKey: start,
        }),
      );
      jobs.push(...(out.Items ?? []).map(fromItem));
      start = out.LastEvaluatedKey;
    } while (start);
    return jobs;
  }
}
