// Bundles the admin console (ui/src) with esbuild into ui/dist: hashed assets plus index.html.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const UI_DIR = path.dirname(fileURLToPath(import.meta.url));
export const UI_DIST = path.join(UI_DIR, 'dist');

/** Builds ui/dist from scratch; returns the asset file names index.html links. */
export async function buildUi(outDir = UI_DIST): Promise<{ script: string; style: string }> {
  const staging = `${outDir}.tmp-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(UI_DIR, 'src/main.tsx'), styles: path.join(UI_DIR, 'styles.css') },
    bundle: true,
    format: 'esm',
    // CodeMirror is loaded only when a rules editor opens.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: path.join(staging, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
  const script = outputs.find((f) => f.startsWith('app-') && f.endsWith('.js'));
  const style = outputs.find((f) => f.startsWith('styles-') && f.endsWith('.css'));
  if (!script || !style) throw new Error('UI build produced no app script or stylesheet');
  const template = await fs.readFile(path.join(UI_DIR, 'index.html'), 'utf8');
  const html = template.replace('%STYLE%', `/assets/${style}`).replace('%SCRIPT%', `/assets/${script}`);
  await fs.writeFile(path.join(staging, 'index.html'), html);
  await fs.copyFile(path.join(UI_DIR, 'favicon.svg'), path.join(staging, 'favicon.svg'));
  // Swap in one step so a running host never serves a half-written dist.
  await fs.rm(outDir, { recursive: true, force: true });
  try {
    await fs.rename(staging, outDir);
  } catch (err) {
    // Another process built it at the same moment: keep theirs.
    await fs.rm(staging, { recursive: true, force: true });
    if (!(await isBuilt(outDir))) throw err;
  }
  return { script, style };
}

/** True when outDir holds a complete build. */
export async function isBuilt(outDir = UI_DIST): Promise<boolean> {
  return fs
    .access(path.join(outDir, 'index.html'))
    .then(() => true)
    .catch(() => false);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  buildUi().then(
    (r) => console.log(`UI built into ui/dist (${r.script}, ${r.style}) in ${Date.now() - started} ms`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
