// Prints one plain closing line that CI reads: "tests: N passed, M failed[, K skipped]
// [, S suites skipped (...)]", after one line per suite jest.config.js left out (needs root).
// Written at process exit so that it comes after jest's own summary.
class SummaryReporter {
  constructor(_globalConfig, options = {}) {
    this.skippedSuites = options.skipped ?? [];
  }

  onRunStart() {
    for (const s of this.skippedSuites) process.stderr.write(`skipped ${s.file}: ${s.why}\n`);
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const suites = this.skippedSuites.length;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${suites ? `, ${suites} suites skipped (need root)` : ''}\n`;
    process.on('exit', () => process.stderr.write(`\n${line}`));
  }
}
module.exports = SummaryReporter;
