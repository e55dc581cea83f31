import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, loadEncodeTimes, parseEncodeTimesCsv } from '../../../lib/local/training/dataset';
import { calibrateFromFeedback, feedbackFromJob, feedbackReport, FeedbackFormatError, parseFeedback } from '../../../lib/local/training/feedback';
import { DEFAULT_MODEL_PATH, loadEncodeTimeModel, readCostModel, writeCostModel } from '../../../lib/local/training/model-file';
import { fitCostModel } from '../../../lib/core/prediction/fit';
import { calibrationFactors, predictJob } from '../../../lib/core/prediction';
import { aJob } from '../../helpers/factories';

const HEADER = 'configurationID,cabac,ref,deblock,analyse,me,subme,mixed_ref,me_range,trellis,8x8dct,fast_pskip,chroma_qp_offset,bframes,b_pyramid,b_adapt,direct,weightb,open_gop,weightp,scenecut,rc_lookahead,mbtree,qpmax,aq-mode,size,usertime,systemtime,elapsedtime,cpu,frames,fps,kbs,etime';
const PROBE_OPTS = '0,1,0:0:0,0:0,dia,0,0,16,0,0,1,0,0,None,None,None,None,None,0,0,None,0,69,0';
const MEDIUM_OPTS = '1,3,1:0:0,0x3:0x113,hex,7,1,16,1,1,1,0,3,2,1,spatial,1,0,2,40,40,1,69,1';

/** A CSV in the dataset's format: a probe row and a medium-like row, scaled by `k`. */
function csv(k: number): string {
  return [HEADER, `1,${PROBE_OPTS},${Math.round(400000 * k)},${(8 * k).toFixed(2)},1.00, 0:02.00,450,600,300,${(160 * k).toFixed(2)},${(2 * k).toFixed(2)}`, `101,${MEDIUM_OPTS},${Math.round(250000 * k)},${(30 * k).toFixed(2)},1.50, 0:04.00,700,600,150,${(100 * k).toFixed(2)},${(4.2 * k).toFixed(2)}`].join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'marquee-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encode-times dataset loading', () => {
  it('reads category, resolution, duration and every configuration from a CSV', () => {
    const v = parseEncodeTimesCsv('Gaming_720P-abcd.csv', csv(1));
    expect(v).toMatchObject({ name: 'Gaming_720P-abcd', category: 'Gaming', height: 720, width: 1280, frames: 600 });
    expect(v.fps).toBeCloseTo(600 / ((400000 * 8) / 1000 / 160), 6);
    expect(v.encodes.map((e) => e.configId)).toEqual([1, 101]);
    expect(v.encodes[1]).toMatchObject({ wallSec: 4.2, cpuSec: 31.5, bytes: 250000 });
    expect(v.encodes[1]!.options).toMatchObject({ me: 'hex', subme: '7', 'aq-mode': '1' });
  });

  it('names the file and column when the format is wrong', () => {
    expect(() => parseEncodeTimesCsv('clip.csv', csv(1))).toThrow(DatasetFormatError);
    expect(() => parseEncodeTimesCsv('A_360P-1.csv', 'configurationID,size\n1,2')).toThrow(/missing column usertime/);
    expect(() => parseEncodeTimesCsv('A_360P-1.csv', csv(1).replace('0:02.00,450,600,300', '0:02.00,450,600,abc').replace(/,160\.00,/, ',x,'))).toThrow(/kbs is not a number/);
    expect(() => parseEncodeTimesCsv('A_360P-1.csv', HEADER)).toThrow(/no rows/);
    expect(() => loadEncodeTimes(mkdtempSync(join(tmpdir(), 'marquee-empty-')))).toThrow(/no CSV files/);
  });

  it('trains from a directory and writes an artifact that loads back as a model', () => {
    for (let i = 0; i < 8; i++) writeFileSync(join(dir, `Vlog_${[360, 720][i % 2]}P-${i}.csv`), csv(0.5 + i / 4));
    const videos = loadEncodeTimes(dir);
    expect(videos).toHaveLength(8);
    const model = fitCostModel(videos, { components: 1, sizeComponents: 1, neighbours: 3 });
    const path = join(dir, 'out', 'model.json');
    writeCostModel(model, path);
    expect(readCostModel(path)).toEqual(model);
    expect(loadEncodeTimeModel(path)?.version).toBe(model.version);
    expect(loadEncodeTimeModel(join(dir, 'missing.json'))).toBeUndefined();
  });
});

describe('completed-job feedback', () => {
  it('parses JSONL records, reports the error and calibrates each backend', () => {
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ backend: 'local', predictedWallSec: 10, actualWallSec: 20 + (i % 2), predictedCpuSec: 20, actualCpuSec: 20 })).join('\n');
    const records = parseFeedback(`${lines}\n\n`);
    expect(records).toHaveLength(30);
    expect(feedbackReport(records)).toEqual([{ backend: 'local', n: 30, within15Wall: 0, mapeWall: expect.closeTo(51.2, 0) }]);
    const f = calibrationFactors(calibrateFromFeedback(records), 'local');
    expect(f.wall).toBeGreaterThan(1.8);
    expect(f.cpu).toBeCloseTo(1, 6);
  });

  it('rejects a bad line with its line number', () => {
    expect(() => parseFeedback('{"backend":"local","predictedWallSec":1,"actualWallSec":1}\nnope')).toThrow(/feedback:2: not JSON/);
    expect(() => parseFeedback('{"backend":"cloud","predictedWallSec":1,"actualWallSec":1}')).toThrow(FeedbackFormatError);
  });

  it('turns a finished job into records: done renditions with a prediction and a measured time', () => {
    const job = aJob({
      prediction: { modelVersion: 'm', wallSecP50: 3, wallSecP90: 4, cpuSecP50: 6, renditions: [
        { renditionId: 'a', backend: 'local', wallSecP50: 1, wallSecP90: 2, cpuSecP50: 2, outputBytes: 1 },
        { renditionId: 'b', backend: 'local', wallSecP50: 2, wallSecP90: 2, cpuSecP50: 4, outputBytes: 1 },
      ] },
      renditions: [
        { renditionId: 'a', status: 'done', outputs: [], wallSec: 1.5, cpuSec: 2.5 },
        { renditionId: 'b', status: 'failed', outputs: [] },
      ],
    });
    expect(feedbackFromJob(job)).toEqual([{ jobId: job.id, renditionId: 'a', backend: 'local', predictedWallSec: 1, actualWallSec: 1.5, predictedCpuSec: 2, actualCpuSec: 2.5 }]);
  });
});

describe('the committed model artifact', () => {
  it.skipIf(!existsSync(DEFAULT_MODEL_PATH))('loads, is small, and predicts a job in well under a millisecond per rendition', async () => {
    const model = readCostModel();
    expect(model.configs.length).toBe(201);
    expect(JSON.stringify(model).length).toBeLessThan(600 * 1024);
    const { aProfile } = await import('../../helpers/factories');
    const { chooseRecipe } = await import('../../../lib/core/recipes');
    const { scoreValue } = await import('../../../lib/core/value');
    const { aMetadata } = await import('../../helpers/factories');
    const profile = aProfile();
    const recipe = chooseRecipe({ jobId: 'j', profile, value: scoreValue(aMetadata()), formats: ['abr'] });
    const m = loadEncodeTimeModel()!;
    const pred = predictJob(recipe, profile, 'local', m);
    expect(pred.renditions.every((r) => r.wallSecP90 >= r.wallSecP50 && r.wallSecP50 > 0)).toBe(true);
    expect(resolve(DEFAULT_MODEL_PATH)).toMatch(/models\/encode-time-model\.json$/);
  });
});
