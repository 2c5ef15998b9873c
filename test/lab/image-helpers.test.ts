/** The Apache image builder's pure helpers (the image itself: image.test.ts, as root). */
import { splitImageName } from '../../src/transport/docker.js';
import { moduleDepends } from '../../src/lab/image/rootfs.js';
import { parsePolicy } from '../../src/lab/image/packages.js';

describe('pure helpers', () => {
  test('apt-cache policy output gives candidates, skipping (none)', () => {
    const text = [
      'apache2:', '  Installed: (none)', '  Candidate: 2.4.71-1~deb12u1', '  Version table:',
      'libc6:amd64:', '  Installed: 2.36-9', '  Candidate: 2.36-9+deb12u14',
      'ghost:', '  Installed: (none)', '  Candidate: (none)',
    ].join('\n');
    expect(parsePolicy(text)).toEqual({ apache2: '2.4.71-1~deb12u1', libc6: '2.36-9+deb12u14' });
  });

  test('a module .load file names the modules it depends on', () => {
    expect(moduleDepends('# Depends: filter\nLoadModule deflate_module x.so\n')).toEqual(['filter']);
    expect(moduleDepends('LoadModule dir_module x.so\n')).toEqual([]);
  });

  test('an image name splits into repo and tag, a registry port is not a tag', () => {
    expect(splitImageName('cldemo/apache:latest')).toEqual({ repo: 'cldemo/apache', tag: 'latest' });
    expect(splitImageName('reg:5000/apache')).toEqual({ repo: 'reg:5000/apache', tag: 'latest' });
  });
});
