// Part of `npm run build`: copies the browser libraries the graph page inlines from
// node_modules into dist/vendor, so the page and the package need no network and no CDN.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const out = join(dirname(new URL(import.meta.url).pathname), '..', 'dist', 'vendor');
mkdirSync(out, { recursive: true });
// package -> files of it (paths inside the package) and the names they get in dist/vendor
const ASSETS = { cytoscape: [['dist/cytoscape.min.js', 'cytoscape.min.js'], ['LICENSE', 'cytoscape.LICENSE']] };
for (const [pkg, files] of Object.entries(ASSETS)) {
  const root = packageRoot(pkg);
  for (const [from, to] of files) copyFileSync(join(root, from), join(out, to));
}

/** The package's folder: up from its entry point to its package.json (exports hide the file itself). */
function packageRoot(pkg) {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'LICENSE'))) {
    if (dir === dirname(dir)) throw new Error(`vendor-assets: cannot find the folder of npm package ${pkg}`);
    dir = dirname(dir);
  }
  return dir;
}
