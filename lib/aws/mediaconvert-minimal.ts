/**
 * The stand-in renderer that lived here is gone: Dispatch renders with `renderMediaConvertJob`
 * (lib/aws/mediaconvert-job.ts). Only the option types remain, re-exported for the modules that
 * still import them from this path; new code imports lib/aws/mediaconvert-options.
 */
export type { MediaConvertJobOptions, RenderMediaConvertJob } from './mediaconvert-options';
