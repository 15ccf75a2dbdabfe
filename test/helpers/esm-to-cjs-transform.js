/**
 * Jest transformer for ESM-only packages (today: oauth4webapi).
 *
 * Node 20 loads them through require(esm), but jest runs every module through its own
 * CommonJS loader, which cannot evaluate `import`/`export`. This rewrites such a file to
 * CommonJS with TypeScript's transpiler (already a dependency); nothing else changes.
 * jest.config.js sends only the listed packages here.
 */
'use strict';
const crypto = require('node:crypto');
const ts = require('typescript');

const VERSION = '1';

module.exports = {
  process(sourceText, sourcePath) {
    const { outputText, sourceMapText } = ts.transpileModule(sourceText, {
      fileName: sourcePath,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
        sourceMap: true,
        inlineSources: false,
      },
    });
    return { code: outputText, map: sourceMapText };
  },
  getCacheKey(sourceText, sourcePath) {
    return crypto.createHash('sha256').update(VERSION).update(ts.version).update(sourcePath).update(sourceText).digest('hex');
  },
};
