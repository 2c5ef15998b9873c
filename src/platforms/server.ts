/**
 * `server`: a Docker host (Debian with dockerd and ifupdown2). cldemo renders only its
 * uplink; the macvlan network and the containers go through the Docker API.
 */
import { interfacesFile, RELOAD_INTERFACES } from './debian.js';
import { LINUX_MEASURE, LINUX_PORTS } from './linux.js';
import { BUILTIN_TEMPLATES } from './templates.js';
import type { ServerPlatform } from './types.js';

/**
 * dockerd restarted: by systemd where it runs it, else (the lab, a dockerd started by hand)
 * stopped and started again with the command line it ran with; then until it answers.
 */
const RESTART_DOCKER = [
  'if [ -d /run/systemd/system ] && systemctl is-active --quiet docker; then systemctl restart docker; else',
  '  pid=$(cat /var/run/docker.pid) && cmd=$(tr "\\0" " " < /proc/$pid/cmdline) && kill "$pid" || exit 1',
  '  while [ -e /proc/"$pid" ]; do sleep 0.1; done',
  '  setsid -f $cmd </dev/null >>/var/log/docker.log 2>&1',
  'fi',
  'i=0; until docker version >/dev/null 2>&1; do [ $i -lt 300 ] || exit 1; sleep 0.1; i=$((i+1)); done',
].join('\n');

export const server: ServerPlatform = {
  name: 'server',
  runs: 'server',
  lab: true,
  templates: BUILTIN_TEMPLATES,
  files: [interfacesFile('server')],
  apply: [RELOAD_INTERFACES],
  ports: LINUX_PORTS,
  measure: LINUX_MEASURE,
  services: { docker: { restart: RESTART_DOCKER } },
};
