#!/usr/bin/env node
// Writes a built-in connector's compact spec from the published one it comes from:
//
//   node scripts/extract-connector-spec.js github          # connectors/github/openapi.json
//   node scripts/extract-connector-spec.js --all           # every connector with an extract.json
//   node scripts/extract-connector-spec.js --check github  # exit 1 if the committed file is stale
//
// connectors/<id>/extract.json names the npm package and the file inside it
// ({ "package": "@octokit/openapi", "file": "generated/api.github.com.json" }, and
// "inheritSecurity": true where operations wrongly say `security: []`); the
// packages are dev dependencies, too large to ship (GitHub's is 12 MB of JSON). What is
// kept: the operations the connector's toolsets name (by operationId, `METHOD /path` or
// tag), each path's shared parameters, and every component they reach through $refs,
// transitively. The rest of the document (info, servers, security, the tags used) is kept
// as published, and `info.x-lunar-hub-source` says where it came from, so that
// `lunar-hub` can be pointed at the full spec to serve everything (docs/connectors.md).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const ROOT = path.join(__dirname, '..');
const CONNECTORS = path.join(ROOT, 'connectors');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const OUT_FILE = 'openapi.json';

function usage(message) {
  if (message) console.error(`extract-connector-spec: ${message}`);
  console.error('usage: node scripts/extract-connector-spec.js [--check] (--all | ID...)');
  process.exit(2);
}

function connectorsWithSource() {
  return fs
    .readdirSync(CONNECTORS)
    .filter((id) => fs.existsSync(path.join(CONNECTORS, id, 'extract.json')))
    .sort();
}

/** What the connector's toolsets ask for: operation names and tags (lower case). */
function wanted(id) {
  const file = path.join(CONNECTORS, id, 'connector.yaml');
  const config = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  const operations = new Set();
  const tags = new Set();
  for (const toolset of Object.values(config.toolsets ?? {})) {
    for (const op of toolset.operations ?? []) operations.add(op);
    for (const tag of toolset.tags ?? []) tags.add(String(tag).toLowerCase());
  }
  if (operations.size === 0 && tags.size === 0) throw new Error(`${file}: its toolsets name no operations or tags: nothing to extract`);
  return { operations, tags, specName: config.spec ?? OUT_FILE };
}

function packageFile(source) {
  const manifest = require.resolve(`${source.package}/package.json`, { paths: [ROOT] });
  const version = JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
  return { file: path.join(path.dirname(manifest), source.file), version };
}

/** Every `#/components/...` $ref under `node`. */
function refsIn(node, found) {
  if (Array.isArray(node)) for (const item of node) refsIn(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) found.add(value);
      else refsIn(value, found);
    }
  }
  return found;
}

function unescapePointer(token) {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function extract(id) {
  const source = JSON.parse(fs.readFileSync(path.join(CONNECTORS, id, 'extract.json'), 'utf8'));
  const { operations, tags, specName } = wanted(id);
  const { file, version } = packageFile(source);
  const full = JSON.parse(fs.readFileSync(file, 'utf8'));

  const paths = {};
  const found = new Set();
  let total = 0;
  for (const [template, item] of Object.entries(full.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      total++;
      const named = operations.has(op.operationId) || operations.has(`${method.toUpperCase()} ${template}`);
      const tagged = (op.tags ?? []).some((t) => tags.has(String(t).toLowerCase()));
      if (!named && !tagged) continue;
      if (named) found.add(operations.has(op.operationId) ? op.operationId : `${method.toUpperCase()} ${template}`);
      paths[template] ??= Object.fromEntries(Object.entries(item).filter(([k]) => !METHODS.includes(k)));
      paths[template][method] = source.inheritSecurity && Array.isArray(op.security) && op.security.length === 0 ? withoutSecurity(op) : op;
    }
  }
  const missing = [...operations].filter((op) => !found.has(op));
  if (missing.length > 0) throw new Error(`${id}: the toolsets name operations ${source.package} ${version} does not have: ${missing.join(', ')}`);

  // Components reached from the kept operations, and from what those reach.
  const components = {};
  const pending = [...refsIn(paths, new Set())];
  const seen = new Set();
  while (pending.length > 0) {
    const ref = pending.pop();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [, , section, ...rest] = ref.split('/');
    const name = unescapePointer(rest.join('/'));
    const value = full.components?.[section]?.[name];
    if (value === undefined) throw new Error(`${id}: ${ref} is used but not defined in ${source.package} ${version}`);
    (components[section] ??= {})[name] = value;
    pending.push(...refsIn(value, new Set()));
  }
  // Security schemes are named by requirements, not by $ref.
  if (full.components?.securitySchemes) components.securitySchemes = full.components.securitySchemes;

  const usedTags = new Set(Object.values(paths).flatMap((item) => METHODS.flatMap((m) => item[m]?.tags ?? [])));
  const spec = {
    openapi: full.openapi,
    info: { ...full.info, 'x-lunar-hub-source': { package: source.package, version, file: source.file, operations: `${countOps(paths)} of ${total}` } },
    ...(full.servers ? { servers: full.servers } : {}),
    ...(full.security ? { security: full.security } : {}),
    ...(full.tags ? { tags: full.tags.filter((t) => usedTags.has(t.name)) } : {}),
    paths,
    components: sortKeys(components),
  };
  return { spec, out: path.join(CONNECTORS, id, specName), source, version, total };
}

/**
 * `"inheritSecurity": true` in extract.json: an operation's `security: []` is dropped, so the
 * document's own requirement applies. For specs written for a server that adds the token
 * itself and so marks every operation as needing none (@notionhq/notion-mcp-server's).
 */
function withoutSecurity(op) {
  return Object.fromEntries(Object.entries(op).filter(([key]) => key !== 'security'));
}

function countOps(paths) {
  return Object.values(paths).reduce((n, item) => n + METHODS.filter((m) => item[m]).length, 0);
}

function sortKeys(components) {
  return Object.fromEntries(
    Object.keys(components)
      .sort()
      .map((section) => [
        section,
        Object.fromEntries(
          Object.keys(components[section])
            .sort()
            .map((name) => [name, components[section][name]]),
        ),
      ]),
  );
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const ids = args.includes('--all') ? connectorsWithSource() : args.filter((a) => !a.startsWith('--'));
  if (ids.length === 0) usage('name a connector, or --all');
  let stale = 0;
  for (const id of ids) {
    if (!fs.existsSync(path.join(CONNECTORS, id, 'extract.json'))) usage(`connectors/${id}/extract.json does not exist`);
    const { spec, out, source, version, total } = extract(id);
    const text = `${JSON.stringify(spec)}\n`;
    const summary = `${id}: ${countOps(spec.paths)} of ${total} operations, ${Object.values(spec.components).reduce((n, s) => n + Object.keys(s).length, 0)} components, ${Math.round(text.length / 1024)} KB, from ${source.package} ${version} ${source.file}`;
    if (check) {
      const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      if (current !== text) {
        stale++;
        console.error(`stale: ${path.relative(ROOT, out)} (run node scripts/extract-connector-spec.js ${id})`);
      } else console.log(`up to date: ${summary}`);
    } else {
      fs.writeFileSync(`${out}.tmp`, text);
      fs.renameSync(`${out}.tmp`, out);
      console.log(`wrote ${path.relative(ROOT, out)}: ${summary}`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}

main();
