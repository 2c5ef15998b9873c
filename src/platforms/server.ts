/**
 * `server`: a Docker host (Debian with dockerd and ifupdown2). cldemo renders only its
 * uplink; the macvlan network and the containers go through the Docker API.
 */
import { interfacesFile, RELOAD_INTERFACES } from './debian.js';
import { LINUX_PORTS } from './linux.js';
import { BUILTIN_TEMPLATES } from './templates.js';
import type { ServerPlatform } from './types.js';

export const server: ServerPlatform = {
  name: 'server',
  runs: 'server',
  lab: true,
  templates: BUILTIN_TEMPLATES,
  files: [interfacesFile('server')],
  apply: [RELOAD_INTERFACES],
  ports: LINUX_PORTS,
};
