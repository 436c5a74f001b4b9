// Mocha reporter: the usual spec output on the console, plus {passed, failed, pending} written
// to --reporter-option output=FILE so test/run-all.mjs can count reliably.
'use strict';
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const Mocha = require('mocha');

class SpecJson extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const output = options?.reporterOption?.output ?? options?.reporterOptions?.output;
    const failedTitles = [];
    runner.on('fail', (test) => failedTitles.push(test.fullTitle()));
    runner.once('end', () => {
      if (!output) return;
      const { passes, failures, pending } = runner.stats;
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(`${output}.tmp`, JSON.stringify({ passed: passes, failed: failures, pending, failedTitles }, null, 2));
      renameSync(`${output}.tmp`, output);
    });
  }
}
module.exports = SpecJson;
