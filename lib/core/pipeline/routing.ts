import type { Backend, Rendition, VideoCodec } from '../types';
import type { PipelinePolicy, WorkerClass } from './types';

/** Codecs the GPU encoders (NVENC on AWS Batch g4dn/g5) produce. AV1 and VP9 stay on CPU. */
export const GPU_CODECS: readonly VideoCodec[] = ['hevc', 'h264'];

/** Backends that run on GPU workers. */
export const GPU_BACKENDS: readonly Backend[] = ['batch-gpu'];

/** CPU backends in order of preference for a task that does not need a GPU. */
export const CPU_PREFERENCE: readonly Backend[] = ['batch-cpu', 'local', 'mediaconvert'];

export const workerClassOf = (backend: Backend): WorkerClass => (GPU_BACKENDS.includes(backend) ? 'gpu' : 'cpu');

/** A backend and the reason it was chosen, for the decision log. */
export interface Route {
  backend: Backend;
  reason: string;
}

/** Is this rendition one the GPU encoders suit (big frames, an NVENC codec)? */
export function gpuSuited(rendition: Rendition, policy: Pick<PipelinePolicy, 'gpuMinHeight'>): boolean {
  return rendition.height >= policy.gpuMinHeight && GPU_CODECS.includes(rendition.codec);
}

/** The CPU backend to use among the available ones. */
export function cpuBackend(available: readonly Backend[]): Backend {
  const found = CPU_PREFERENCE.find((b) => available.includes(b)) ?? available.find((b) => !GPU_BACKENDS.includes(b));
  if (!found) throw new RangeError(`no CPU backend among [${available.join(', ')}]`);
  return found;
}

/**
 * Route one rendition to the backend that suits its format: 4K HEVC (and 4K H.264) to a GPU
 * backend when the fleet has one, everything else — and those too when there is no GPU — to CPU.
 */
export function routeRendition(rendition: Rendition, available: readonly Backend[], policy: Pick<PipelinePolicy, 'gpuMinHeight'>): Route {
  if (available.length === 0) throw new RangeError('no backend available');
  const gpu = available.find((b) => GPU_BACKENDS.includes(b));
  if (gpuSuited(rendition, policy)) {
    if (gpu) return { backend: gpu, reason: `${rendition.id} → ${gpu}: ${rendition.height}p ${rendition.codec} encodes fastest on NVENC` };
    const cpu = cpuBackend(available);
    return { backend: cpu, reason: `${rendition.id} → ${cpu}: suits a GPU but the fleet has no GPU backend` };
  }
  const onlyGpu = !available.some((b) => !GPU_BACKENDS.includes(b));
  if (onlyGpu && gpu) return { backend: gpu, reason: `${rendition.id} → ${gpu}: the only backend` };
  const cpu = cpuBackend(available);
  return { backend: cpu, reason: `${rendition.id} → ${cpu}: ${rendition.height}p ${rendition.codec} on CPU` };
}
