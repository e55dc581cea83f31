/**
 * Reading the x264 encode-times dataset (one CSV per YouTube-UGC video, 201 configurations each)
 * into `MeasuredVideo`s for `fitCostModel`. I/O lives here; the core only sees parsed data.
 *
 * File name: `<Category>_<Resolution>P-<id>.csv`, e.g. `Animation_1080P-01b3.csv`. Columns:
 * `configurationID`, the x264 options, `size` (bytes), `usertime`, `systemtime`, `elapsedtime`,
 * `cpu` (%), `frames`, `fps` (encode speed), `kbs` (output kbit/s), `etime` (wall seconds).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MarqueeError } from '../../core/errors';
import type { MeasuredVideo } from '../../core/prediction/fit';
import { X264_OPTION_COLUMNS } from '../../core/prediction/options';

/** A dataset file could not be read as encode-time measurements. */
export class DatasetFormatError extends MarqueeError {}

const NAME = /^(?<category>[A-Za-z]+)_(?<res>\d+)P-(?<id>[^.]+)\.csv$/i;
const REQUIRED = ['configurationID', 'size', 'usertime', 'systemtime', 'etime', 'frames', 'kbs'] as const;

/** Parse one CSV's text. `name` is the file name (category and resolution come from it). */
export function parseEncodeTimesCsv(name: string, text: string): MeasuredVideo {
  const m = NAME.exec(basename(name));
  if (!m?.groups) throw new DatasetFormatError(`${name}: file name is not <Category>_<Height>P-<id>.csv`);
  const height = Number(m.groups.res);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  for (const col of REQUIRED) if (!header.includes(col)) throw new DatasetFormatError(`${name}: missing column ${col}`);
  const at = (row: string[], col: string) => (row[header.indexOf(col)] ?? '').trim();
  const encodes = lines.slice(1).map((line, i) => {
    const row = line.split(',');
    const n = (col: string) => {
      const v = Number(at(row, col));
      if (!Number.isFinite(v)) throw new DatasetFormatError(`${name}: row ${i + 2}: ${col} is not a number`);
      return v;
    };
    const options: Record<string, string> = {};
    for (const col of X264_OPTION_COLUMNS) if (header.includes(col)) options[col] = at(row, col);
    return { configId: n('configurationID'), options, wallSec: n('etime'), cpuSec: n('usertime') + n('systemtime'), bytes: n('size'), frames: n('frames'), kbs: n('kbs') };
  });
  if (encodes.length === 0) throw new DatasetFormatError(`${name}: no rows`);
  const first = encodes[0]!;
  // kbs = size·8/1000/duration, so the content duration (and frame rate) follow from any row.
  const durationSec = first.kbs > 0 ? (first.bytes * 8) / 1000 / first.kbs : first.frames / 30;
  const fps = durationSec > 0 ? first.frames / durationSec : 30;
  return {
    name: basename(name, '.csv'),
    category: m.groups.category,
    width: Math.round((height * 16) / 9 / 2) * 2,
    height,
    frames: first.frames,
    fps,
    encodes: encodes.map(({ configId, options, wallSec, cpuSec, bytes }) => ({ configId, options, wallSec, cpuSec, bytes })),
  };
}

/** Every `*.csv` of a directory, sorted by name (a stable order keeps training deterministic). */
export function loadEncodeTimes(dir: string): MeasuredVideo[] {
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
  if (files.length === 0) throw new DatasetFormatError(`${dir}: no CSV files`);
  return files.map((f) => parseEncodeTimesCsv(f, readFileSync(join(dir, f), 'utf8')));
}
