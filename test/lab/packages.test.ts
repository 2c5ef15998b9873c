/** The package check asks the real dpkg database. */
import { missingPackages, requiredPackages } from '../../src/lab/packages.js';

test('installed packages pass, unknown ones are reported missing', async () => {
  expect(await missingPackages(['bash', 'cldemo-no-such-package', 'iproute2'])).toEqual(['cldemo-no-such-package']);
});

test('the lab needs the packages its nodes are made of, and the image builder', () => {
  expect(requiredPackages()).toEqual(
    expect.arrayContaining(['frr', 'docker.io', 'openssh-server', 'ifupdown2', 'iproute2', 'iputils-ping', 'arping', 'apt', 'dpkg']),
  );
});
