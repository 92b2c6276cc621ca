// Reads a tracker's `--tracker-config` JSON file; errors name the file and the problem, never what it holds.
import fs from 'node:fs/promises';
import path from 'node:path';
import { TandemError } from '../errors.ts';
import { jsonDepthProblem } from '../json-bounds.ts';
import type { TrackerOptions } from './tracker.ts';

export const CONFIG_OPTION = '--tracker-config (TANDEM_TRACKER_CONFIG)';

const invalid = (file: string, problem: string) =>
  new TandemError('TRACKER_CONFIG_INVALID', 400, `${CONFIG_OPTION} ${file} ${problem}`, {
    option: CONFIG_OPTION,
  });

/** Line and column of a character offset, 1-based. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1) ?? '').length + 1}`;
}

/**
 * The options object of the file (absolute or relative to `cwd`). Its contents never appear in an error:
 * the file may hold a secret by mistake.
 * @example await readTrackerOptions('servicenow.json', process.cwd()) // { tables: { incident: 'incident' } }
 */
export async function readTrackerOptions(
  configFile: string | undefined,
  cwd: string,
): Promise<TrackerOptions> {
  if (configFile === undefined) return {};
  const file = path.resolve(cwd, configFile);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw invalid(file, `cannot be read: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  if (text.trim() === '') throw invalid(file, 'is empty (write {} for no options)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the error: only the position is repeated.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw invalid(
      file,
      `is not valid JSON${at === undefined ? '' : ` (at ${lineColumn(text, Number(at))})`}`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw invalid(file, 'must hold a JSON object');
  const deep = jsonDepthProblem(json);
  if (deep) throw invalid(file, `is not valid: ${deep.path} ${deep.message}`);
  return json as TrackerOptions;
}
