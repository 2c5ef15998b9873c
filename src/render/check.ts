/**
 * How a node checks a rendered file before it replaces the running one. Each command only
 * parses FILE (a candidate copy, not the live path) and exits non-zero on a bad file:
 * neither touches the running daemons nor the interfaces.
 */

/** argv of the check for the config at `path` on a node, run against candidate `file`. */
export function checkCommand(path: string, file: string): string[] | undefined {
  switch (path) {
    case '/etc/frr/frr.conf':
      // vtysh's dry run parses with every daemon's command tree; no daemon needs to run.
      return ['vtysh', '--dryrun', '--inputfile', file];
    case '/etc/network/interfaces':
      // ifupdown2 needs /run/network to exist, even to parse.
      return ['ifup', '--syntax-check', '--all', '--interfaces', file];
    default:
      return undefined; // daemons, rdnbrd.conf: key=value files their readers validate
  }
}
