#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error(`bnlab: ${cli} is missing; run \`npm run build\` (or \`npm ci\`) in ${join(__dirname, '..')} first.`);
  process.exit(1);
}
require(cli);
