#!/usr/bin/env node
// Only starts the program: everything lives in dist/ (compiled from src/). A checkout that was
// never built (or whose dependencies are missing) says so in one line, exit 2 as setup.sh does
// for a missing prerequisite: nothing was tried, the install is incomplete.
let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  const { existsSync } = await import('node:fs');
  const built = existsSync(new URL('../dist/cli.js', import.meta.url));
  const why = String(e.message).split('\n')[0].replace(/ imported from .*$/, '');
  process.stderr.write(
    built
      ? `error: cldemo's build or dependencies are incomplete (${why}): run ./scripts/setup.sh (or npm ci && npm run build)\n`
      : 'error: cldemo is not built yet (no dist/cli.js): run ./scripts/setup.sh (or npm run build)\n',
  );
  process.exit(2);
}
main(process.argv).then((code) => { process.exitCode = code; });
