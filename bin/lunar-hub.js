#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'gateway', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('lunar-hub is not built yet: run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    // A worker of `serve --workers N` whose command ended (it failed to start, say) exits:
    // its channel to the primary would keep it alive, and letting go of that channel
    // makes node:cluster exit with 0 whatever the code.
    if (require('node:cluster').isWorker) process.exit(code);
  });
