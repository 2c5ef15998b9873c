/**
 * Where BGP carries a leaf's /32s, worked out from the fabric graph alone. Pure.
 *
 * The rendered FRR config runs eBGP on every fabric port (unnumbered: one session per
 * port), `bgp bestpath as-path multipath-relax`, and no policy. So:
 * - the leaf announces its /32s with the AS path (its ASN);
 * - a switch refuses a path that already holds its own ASN (spines sharing one ASN never
 *   learn a path through another spine);
 * - of the paths it accepts it installs every one of the shortest length, whichever AS
 *   they come from: one next hop per session, so parallel links to one neighbor are
 *   next hops of their own;
 * - and announces a best path on, its ASN in front.
 * Breadth first from the leaf, one AS hop per round, gives each switch its shortest paths.
 *
 * One thing this cannot know: a switch holding several shortest paths announces only one
 * of them (the oldest), so a neighbor whose ASN is on some of them but not all may or may
 * not get a path from it. Here it does (any of them may be the one announced).
 */
import type { SwitchPlan } from './types.js';

/** the ASNs a path runs through, the announcing switch's first */
type AsPath = number[];

/** switch name -> its ports toward the leaf, sorted as strings (as verify-routes sorts what it reads); a switch BGP gives no path is absent */
export type NextHops = ReadonlyMap<string, readonly string[]>;

function nextHopsTo(switches: readonly SwitchPlan[], leaf: string): NextHops {
  const byName = new Map(switches.map((s) => [s.name, s]));
  const best = new Map<string, AsPath[]>([[leaf, [[]]]]);
  const hops = new Map<string, string[]>();
  let announcing = [leaf];
  while (announcing.length > 0) {
    const heard = heardFrom(announcing, byName, best);
    for (const [name, h] of heard) {
      best.set(name, h.paths);
      hops.set(name, h.ports.sort());
    }
    announcing = [...heard.keys()];
  }
  return hops;
}

/** What the switches without a path yet accept from those that announce this round: the ports they hear it on, and the paths. */
function heardFrom(announcing: string[], byName: Map<string, SwitchPlan>, best: Map<string, AsPath[]>): Map<string, { ports: string[]; paths: AsPath[] }> {
  const heard = new Map<string, { ports: string[]; paths: AsPath[]; seen: Set<string> }>();
  for (const name of announcing) {
    const from = byName.get(name)!;
    const announced = best.get(name)!.map((p) => [from.asn, ...p]);
    for (const port of from.fabricPorts) {
      const to = byName.get(port.peer);
      if (!to || best.has(to.name)) continue;
      const accepted = announced.filter((p) => !p.includes(to.asn));
      if (accepted.length === 0) continue;
      const h = heard.get(to.name) ?? heard.set(to.name, { ports: [], paths: [], seen: new Set() }).get(to.name)!;
      h.ports.push(port.peerPort);
      for (const p of accepted) {
        const key = p.join(' ');
        if (h.seen.has(key)) continue;
        h.seen.add(key);
        h.paths.push(p);
      }
    }
  }
  return heard;
}

/**
 * The next hops toward every leaf, each worked out once per plan on first use: verify-routes
 * and status ask switch by switch, container by container.
 */
export function fabricPaths(switches: readonly SwitchPlan[]): (leaf: string) => NextHops {
  let cache = CACHE.get(switches);
  if (!cache) CACHE.set(switches, (cache = new Map()));
  const known = cache;
  return (leaf) => known.get(leaf) ?? known.set(leaf, nextHopsTo(switches, leaf)).get(leaf)!;
}
const CACHE = new WeakMap<readonly SwitchPlan[], Map<string, NextHops>>();
