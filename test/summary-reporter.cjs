// Prints one plain closing line that CI reads: "tests: N passed, M failed[, K skipped]".
// Written at process exit so that it comes after jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.on('exit', () => process.stderr.write(`\n${line}`));
  }
}
module.exports = SummaryReporter;
