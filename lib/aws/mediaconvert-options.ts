import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import type { Job, Recipe } from '../core/types';

/** Submission options shared by every MediaConvert job renderer. */
export interface MediaConvertJobOptions {
  role: string;
  queueArn: string;
  /** −50..50 */
  priority: number;
  /** s3://bucket/prefix/ for the outputs. */
  outputPrefix: string;
  /** Idempotency token: the same job attempt never creates two MediaConvert jobs. */
  clientRequestToken: string;
  accelerated: boolean;
  userMetadata: Record<string, string>;
}

/** Signature of a recipe → CreateJob renderer (`renderMediaConvertJob` in lib/aws/mediaconvert-job.ts). */
export type RenderMediaConvertJob = (job: Job, recipe: Recipe, opts: MediaConvertJobOptions) => CreateJobCommandInput;
