/**
 * What Docker alone costs to start the lab's containers, on a lab that is up and idle (before
 * `cldemo up`): create + start them exactly as `up` does (the Apache image, a macvlan network
 * on the server's uplink, a fixed address, restart unless-stopped, two at a time per server,
 * every server at once), and read the whole host's CPU and the wall time for it. The CPU the
 * lab burns when idle is measured first and taken off; so is this process's.
 *
 * Started as `up` starts them (every server's dockerd busy at once on the shared cores), the
 * wall time is what Docker alone needs for these containers here, and busy CPU / cores a floor
 * for `up` on this machine: dockerd's re-executions (set-ipv6, setup-resolver, the
 * libnetwork-setkey hook), containerd, its shim, runc, runc init and Apache's start, whatever
 * cldemo does around them. `perServer` limits each server to that many containers (the
 * smoke size, or a quick sample).
 */
import { ConnectionPool, loadPlan } from 'cldemo/bench';
import { cpuMeter, sleep, type HostCpu } from './lib/measure.js';

export interface DockerFloor {
  servers: number;
  containers: number;
  /** CPU seconds per container, idle lab and this process taken off */
  cpuPerContainerS: number;
  /** the lab's own idle CPU rate, CPU seconds per second */
  idleRate: number;
  /** from the first create to the last start answered, plus the settle */
  wallS: number;
  measured: HostCpu;
}

const SETTLE_MS = 1000; // Apache's own start goes on after `start` answers
const IDLE_MS = 3000;

export async function dockerFloor(topology: string, { perServer = Infinity, parallel = 2 } = {}): Promise<DockerFloor> {
  const plan = await loadPlan(topology);
  const servers = plan.servers.filter((s) => s.containers.length > 0);
  if (servers.length === 0) throw new Error(`${topology} has no server with containers`);
  const pool = new ConnectionPool();
  const made: Array<{ docker: ReturnType<Awaited<ReturnType<ConnectionPool['get']>>['docker']>; net: string; ids: string[] }> = [];
  try {
    const engines = await Promise.all(servers.map(async (server) => ({ server, docker: (await pool.get(server.name, server.mgmt)).docker() })));
    const idle = cpuMeter();
    await sleep(IDLE_MS);
    const idleRate = idle.stop().busyS / (IDLE_MS / 1000);
    for (const { server, docker } of engines) {
      const n = server.network;
      const net = `${n.name}-floor`;
      await docker.createMacvlanNetwork({ name: net, parent: n.parent, subnet: n.subnet, gateway: n.gateway, auxAddresses: {}, labels: { 'cldemo.bench': 'docker-floor' } });
      made.push({ docker, net, ids: [] });
    }
    const own0 = process.cpuUsage();
    const meter = cpuMeter();
    const t0 = Date.now();
    let count = 0;
    await Promise.all(
      engines.map(async ({ server, docker }, i) => {
        const wanted = server.containers.slice(0, perServer);
        count += wanted.length;
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < wanted.length) {
            const c = wanted[next++];
            const id = await docker.createContainer({ name: `${c.name}-floor`, image: c.image, labels: { 'cldemo.bench': 'docker-floor' }, network: made[i].net, ip: c.ip, restart: 'unless-stopped' });
            made[i].ids.push(id);
            await docker.startContainer(id);
          }
        };
        await Promise.all(Array.from({ length: parallel }, worker));
      }),
    );
    await sleep(SETTLE_MS);
    const measured = meter.stop();
    const wallS = (Date.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const dockerCpuS = measured.busyS - idleRate * wallS - (own.user + own.system) / 1e6;
    return { servers: engines.length, containers: count, cpuPerContainerS: dockerCpuS / count, idleRate, wallS, measured };
  } finally {
    for (const { docker, net, ids } of made) {
      await Promise.all(ids.map((id) => docker.removeContainer(id).catch(() => undefined)));
      await docker.removeNetwork(net).catch(() => undefined);
    }
    await pool.closeAll();
  }
}
