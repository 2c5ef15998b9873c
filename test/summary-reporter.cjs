// Prints one plain closing line that CI reads: "tests: N passed, M failed[, K skipped]
// [, S suites skipped (...)]", after one line per suite jest.config.js left out (needs root)
// and one per test a suite skipped (its title says why: e.g. it needs the host to itself).
// Written at process exit so that it comes after jest's own summary.
class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.skippedSuites = options.skipped ?? [];
    this.skippedTests = [];
  }

  onRunStart() {
    for (const s of this.skippedSuites) process.stderr.write(`skipped ${s.file}: ${s.why}\n`);
  }

  onTestResult(test, result) {
    const file = test.path.startsWith(`${this.rootDir}/`) ? test.path.slice(this.rootDir.length + 1) : test.path;
    for (const t of result.testResults) if (t.status === 'pending' || t.status === 'todo') this.skippedTests.push(`skipped ${file}: ${t.fullName}`);
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const suites = this.skippedSuites.length;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${suites ? `, ${suites} suites skipped (need root)` : ''}\n`;
    const tests = this.skippedTests.map((l) => `${l}\n`).join('');
    process.on('exit', () => process.stderr.write(`\n${tests}${line}`));
  }
}
module.exports = SummaryReporter;
