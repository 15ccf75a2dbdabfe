#!/usr/bin/env node
// npm's `prepare`: build dist/. `npx lunar-hub` in the clone links the clone into npx's
// cache and runs prepare again (npm_command=exec): the build `npm install` just made is
// reused then, so the first call does not wait for tsc, and an interrupted first call
// cannot leave npx's cache half built.
'use strict';
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const built = existsSync(path.join(__dirname, '..', 'dist', 'gateway', 'cli.js'));
if (process.env.npm_command === 'exec' && built) process.exit(0);
execSync('npm run build', { stdio: 'inherit', cwd: path.join(__dirname, '..') });
