/**
 * `lunar-hub generate [SPEC...] [--specs DIR] [--out DIR]`: build-time artefacts per
 * connector: tools.json (MCP Tool objects), connector.json (bindings, operation
 * model and a stamp of the spec, for `serve --generated`; gateway/registry/load-artefacts.ts
 * reads it), types.ts (openapi-typescript), client.ts (typed client),
 * TOOLS.md (catalogue) and problems.json. Each connector's folder is written to a
 * staging folder first and swapped in whole: a failure never leaves half a folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateCatalogue, generateTypedClient, generateTypes, generateTools, type ToolSet, readSpecText, type LoadedSpec } from '../../generators';
import { errors, toHubError } from '../../errors';
import { PACKAGE_ROOT } from '../package-info';
import { connectorArtefact, stampSpec } from '../registry/load-artefacts';
import { createProgress, type Progress } from '../progress';
import { writeLine, type CommandIO } from './io';
import { GENERATION_FLAGS, generationOptions } from './spec-options';
import { displayPath } from './tools';
import { CONFIG_FLAG, settingsOf } from './settings';
import { generateUsage } from './usage';

const SPEC_FILE = /\.(json|ya?ml)$/i;
const CONNECTOR_FILE = /\.connector\.ya?ml$/i;

export async function runGenerate(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CONFIG_FLAG,
      specs: { type: 'string' },
      out: { type: 'string' },
      'no-client': { type: 'boolean' },
      strict: { type: 'boolean' },
      ...GENERATION_FLAGS,
    },
  });
  const out = path.resolve(io.cwd, values.out ?? 'generated');
  const files = positionals.length > 0 ? positionals.map((p) => path.resolve(io.cwd, p)) : await specFilesIn(path.resolve(io.cwd, values.specs ?? 'specs'));
  if (files.length === 0) throw errors.CONFIG_USAGE([`no specs to generate from (looked in ${values.specs ?? 'specs'}); usage: ${generateUsage}`]);
  if (values.id !== undefined && files.length > 1) throw errors.CONFIG_USAGE(['--id names one connector; give one SPEC with it']);

  await mkdirOrFail(out);
  await writeClientRuntime(out);
  await writeOrFail(out, path.join(out, 'tsconfig.json'), TSCONFIG);
  const { cli } = settingsOf(io, { config: values.config });
  const progress = createProgress(io.stderr, { mode: cli.progress, ci: cli.ci });
  const index: Array<Record<string, unknown>> = [];
  const seen = new Map<string, string>();
  let failed = 0;
  let withoutClient = 0;
  for (const file of files) {
    const shown = displayPath(io.cwd, file);
    try {
      const { set, client } = await generateOne(file, shown, out, generationOptions(values), !values['no-client'], values.strict === true, progress, io);
      const earlier = seen.get(set.connectorId);
      if (earlier !== undefined) throw errors.CONFIG_CONNECTOR_ID([set.connectorId, `both ${earlier} and ${shown} map to it; rename one file`]);
      seen.set(set.connectorId, shown);
      index.push({ id: set.connectorId, file: shown, title: set.api.title, version: set.api.version, tools: set.tools.length });
      if (!client && !values['no-client']) withoutClient++;
    } catch (cause) {
      failed++;
      const error = toHubError(cause);
      progress.end();
      writeLine(io.stderr, `error ${error.code}: ${error.message}`);
    }
  }
  index.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  await writeOrFail(out, path.join(out, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  const missing = withoutClient > 0 ? `; ${withoutClient} without a typed client` : '';
  writeLine(io.stderr, `generated ${index.length} connectors into ${displayPath(io.cwd, out)}${failed > 0 ? `; ${failed} specs failed` : ''}${missing}`);
  return failed > 0 || (values.strict === true && withoutClient > 0) ? 1 : 0;
}

async function generateOne(
  absolute: string,
  file: string,
  out: string,
  options: ReturnType<typeof generationOptions>,
  withClient: boolean,
  strict: boolean,
  progress: Progress,
  io: CommandIO,
): Promise<{ set: ToolSet; client: boolean }> {
  progress.stage(`${file}: reading`);
  const { spec, stats, text } = await readStamped(absolute, file);
  progress.stage(`${file}: tools`);
  const set = generateTools(spec, { ...options, onProgress: (done, total) => progress.tick(done, total) });
  const staging = path.join(out, `.staging-${process.pid}-${set.connectorId}`);
  await rm(staging, { recursive: true, force: true });
  await mkdirOrFail(staging);
  let client = false;
  try {
    const files: Record<string, string> = {
      'tools.json': JSON.stringify(set.tools, null, 2) + '\n',
      'connector.json': JSON.stringify(connectorArtefact(set, spec, stampSpec(absolute, stats, text), options)) + '\n',
      'TOOLS.md': generateCatalogue(set),
    };
    if (withClient) {
      progress.stage(`${file}: types (openapi-typescript)`);
      try {
        files['types.ts'] = await generateTypes(spec);
        files['client.ts'] = generateTypedClient(set, '../client-runtime').source;
        client = true;
      } catch (cause) {
        // Tools are still worth having when the type generator chokes on a spec; --strict makes it a failure.
        const error = toHubError(cause);
        progress.end();
        writeLine(
          io.stderr,
          `${strict ? 'error' : 'warning'} ${error.code}: ${error.message}; ${set.connectorId} gets no typed client${strict ? '' : ' (--strict makes this an error)'}`,
        );
      }
    }
    // Written last: making the typed client's document adds the problems it repaired.
    files['problems.json'] = JSON.stringify(set.problems, null, 2) + '\n';
    progress.stage(`${file}: writing`);
    for (const [name, content] of Object.entries(files)) await writeOrFail(out, path.join(staging, name), content);
    const target = path.join(out, set.connectorId);
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) await rename(target, old);
    await rename(staging, target);
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const warnings = set.problems.filter((p) => p.severity === 'warning').length;
  progress.end();
  writeLine(io.stderr, `${set.connectorId}: ${set.tools.length} tools, ${set.skipped.length} skipped, ${warnings} warnings (${file})`);
  return { set, client };
}

/**
 * readSpecFile, keeping what the artefact's stamp needs: the file is stat'ed before it
 * is read and the stamp hashes the text read, so a spec edited in between is seen as
 * changed by `serve --generated`, never served from artefacts of another version.
 */
async function readStamped(absolute: string, file: string): Promise<{ spec: LoadedSpec; stats: { size: number; mtimeMs: number }; text: string }> {
  let stats: { size: number; mtimeMs: number };
  let text: string;
  try {
    stats = await stat(absolute);
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message;
    throw errors.SPEC_UNREADABLE([file, reason], { cause, details: { file } });
  }
  return { spec: await readSpecText(file, text), stats, text };
}

async function specFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw errors.CONFIG_USAGE([`cannot read specs folder ${dir}: ${(cause as Error).message}`], { cause });
  }
  return names
    .filter((n) => SPEC_FILE.test(n) && !CONNECTOR_FILE.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The runtime ships as TypeScript source beside the clients. */
function clientSourceDir(): string {
  return path.join(PACKAGE_ROOT, 'generators', 'client');
}

/** runtime.ts and the serialise.ts it imports, copied as client-runtime.ts and client-serialise.ts. */
async function writeClientRuntime(out: string): Promise<void> {
  const dir = clientSourceDir();
  const runtime = await readFile(path.join(dir, 'runtime.ts'), 'utf8');
  const rewritten = runtime.replace(/from '\.\/serialise';/g, "from './client-serialise';");
  // A changed import line would otherwise ship a client that cannot find its serialiser.
  if (rewritten === runtime) throw errors.GEN_OUTPUT([out, "generators/client/runtime.ts no longer imports './serialise'; update the copy in generate.ts"]);
  await writeOrFail(out, path.join(out, 'client-serialise.ts'), await readFile(path.join(dir, 'serialise.ts'), 'utf8'));
  await writeOrFail(out, path.join(out, 'client-runtime.ts'), rewritten);
}

async function mkdirOrFail(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw errors.GEN_OUTPUT([dir, (cause as Error).message], { cause });
  }
}

async function writeOrFail(out: string, file: string, content: string): Promise<void> {
  try {
    await writeFile(file, content);
  } catch (cause) {
    throw errors.GEN_OUTPUT([out, (cause as Error).message], { cause });
  }
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2023', 'DOM'] },
    include: ['**/*.ts'],
  },
  null,
  2,
)}\n`;
