import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseBusinessMetadata } from '../core/value/metadata';
import type { BusinessMetadata } from '../core/types';

/** One upload found on disk: the file, its sidecar manifest, and whether it can be read at all. */
export interface Upload {
  /** The path as the user gave it (or the folder as given joined with the file's relative path). */
  input: string;
  /** Absolute path. */
  path: string;
  sidecar?: string;
  sizeBytes: number;
  /** Version of the object: size, mtime and sidecar content. A changed file is a new upload. */
  version: string;
  /** Stable job id: the same file with the same sidecar is the same job on every run. */
  jobId: string;
  metadata: BusinessMetadata;
  /** Set when the upload can be rejected before any probing (missing, empty, bad sidecar, not a file). */
  rejectReason?: string;
}

const DEFAULT_METADATA = (parseBusinessMetadata({}) as { ok: true; metadata: BusinessMetadata }).metadata;

const slug = (name: string): string =>
  name
    .replace(/\.[^.]+$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'upload';

/** A job id a person can read (`<file-slug>-<hash>`) that is stable for the same path and version. */
export function jobIdFor(absPath: string, version: string): string {
  const hash = createHash('sha256').update(`${absPath}\0${version}`).digest('hex').slice(0, 10);
  return `${slug(basename(absPath))}-${hash}`;
}

const isHidden = (name: string) => name.startsWith('.');

/** The sidecar manifest of a media file: `<stem>.json` or `<file>.json` next to it. */
async function sidecarOf(path: string, siblings?: Set<string>): Promise<string | undefined> {
  const dir = dirname(path);
  const name = basename(path);
  const candidates = [`${name.slice(0, name.length - extname(name).length)}.json`, `${name}.json`].filter((c) => c !== name);
  for (const c of candidates) {
    if (siblings ? siblings.has(c) : await isFile(join(dir, c))) return join(dir, c);
  }
  return undefined;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Expand the CLI's inputs into uploads: a file is one upload; a folder contributes every file in it
 * (recursively, hidden entries skipped), where `<name>.json` next to a media file is that file's sidecar
 * and not an upload of its own. A `.json` with no media file beside it is an upload that will be rejected,
 * with a reason saying so.
 */
export async function discoverUploads(inputs: readonly string[]): Promise<Upload[]> {
  const uploads: Upload[] = [];
  const seen = new Set<string>();
  const add = async (input: string, abs: string, siblings?: Set<string>) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    uploads.push(await describe(input, abs, siblings));
  };
  for (const input of inputs) {
    const abs = resolve(input);
    let st;
    try {
      st = await stat(abs);
    } catch {
      await add(input, abs);
      continue;
    }
    if (st.isDirectory()) {
      let entries: WalkEntry[];
      try {
        entries = await walk(abs);
      } catch (err) {
        // An unreadable folder is one rejected upload with the reason, not a crash of the whole run.
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        uploads.push({ input, path: abs, metadata: DEFAULT_METADATA, sizeBytes: 0, version: 'unreadable', jobId: jobIdFor(abs, 'unreadable'), rejectReason: `cannot read folder ${input} (${code}); check its permissions` });
        continue;
      }
      for (const rel of entries) await add(join(input, rel.path), join(abs, rel.path), rel.siblings);
    } else {
      await add(input, abs);
    }
  }
  return uploads;
}

interface WalkEntry {
  path: string;
  siblings: Set<string>;
}

async function walk(root: string, rel = ''): Promise<WalkEntry[]> {
  const entries = (await readdir(join(root, rel), { withFileTypes: true })).filter((e) => !isHidden(e.name));
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  const stems = new Set([...names].filter((n) => !n.endsWith('.json')).flatMap((n) => [n.slice(0, n.length - extname(n).length), n]));
  const out: WalkEntry[] = [];
  for (const e of entries) {
    const path = join(rel, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, path)));
    else if (e.isFile()) {
      // `<stem>.json` beside a media file is that file's sidecar, not an upload.
      if (e.name.endsWith('.json') && stems.has(e.name.slice(0, -'.json'.length))) continue;
      out.push({ path, siblings: names });
    }
  }
  return out;
}

async function describe(input: string, abs: string, siblings?: Set<string>): Promise<Upload> {
  const base = { input, path: abs, metadata: DEFAULT_METADATA };
  let st;
  try {
    st = await stat(abs);
  } catch {
    return { ...base, sizeBytes: 0, version: 'missing', jobId: jobIdFor(abs, 'missing'), rejectReason: `file not found: ${input}` };
  }
  if (!st.isFile()) {
    return { ...base, sizeBytes: 0, version: 'not-a-file', jobId: jobIdFor(abs, 'not-a-file'), rejectReason: `${input} is not a regular file` };
  }
  const sidecar = abs.endsWith('.json') ? undefined : await sidecarOf(abs, siblings);
  const sidecarText = sidecar ? await readFile(sidecar, 'utf8').catch(() => '') : '';
  const sidecarHash = sidecar ? createHash('sha256').update(sidecarText).digest('hex').slice(0, 12) : 'none';
  const version = `${st.size}-${Math.round(st.mtimeMs)}-${sidecarHash}`;
  const upload: Upload = { ...base, ...(sidecar ? { sidecar } : {}), sizeBytes: st.size, version, jobId: jobIdFor(abs, version) };

  if (sidecar) {
    const parsed = parseSidecar(sidecarText, basename(sidecar));
    if (!parsed.ok) return { ...upload, rejectReason: parsed.reason };
    upload.metadata = parsed.metadata;
  }
  if (abs.endsWith('.json')) {
    return { ...upload, rejectReason: `${basename(abs)} is a JSON file, not a video; if it is a sidecar manifest, put its video next to it with the same name (e.g. ${basename(abs, '.json')}.mp4)` };
  }
  if (st.size === 0) return { ...upload, rejectReason: `${basename(abs)} is empty (0 bytes): the upload did not complete; upload the file again` };
  return upload;
}

/** Parse a sidecar manifest's text; the reason names the file and the field. */
export function parseSidecar(text: string, name: string): { ok: true; metadata: BusinessMetadata } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `sidecar ${name} is not valid JSON (${(err as Error).message}); fix the manifest and run again` };
  }
  const res = parseBusinessMetadata(raw);
  return res.ok ? res : { ok: false, reason: `sidecar ${name}: ${res.reason}` };
}
