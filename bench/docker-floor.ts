/**
 * What Docker alone costs to start one of the lab's containers, on a lab that is up and
 * idle (before `cldemo up`): create + start N containers exactly as `up` does (the
 * Apache image, a macvlan network on the server's uplink, a fixed address, restart
 * unless-stopped, two at a time) on one server, and read the whole host's CPU for it.
 * The CPU the lab burns when idle is measured first and taken off; so is this process's.
 *
 * busy CPU x containers / cores is then a floor for `up` on this machine: dockerd's
 * re-executions (set-ipv6, setup-resolver, the libnetwork-setkey hook), containerd, its
 * shim, runc, runc init and Apache's start, whatever cldemo does around them.
 */
import { ConnectionPool, loadPlan } from 'cldemo/bench';
import { cpuMeter, sleep, type HostCpu } from './lib/measure.js';

export interface DockerFloor {
  server: string;
  containers: number;
  /** CPU seconds per container, idle lab and this process taken off */
  cpuPerContainerS: number;
  /** the lab's own idle CPU rate, CPU seconds per second */
  idleRate: number;
  wallS: number;
  measured: HostCpu;
}

const SETTLE_MS = 1000; // Apache's own start goes on after `start` answers
const IDLE_MS = 3000;

export async function dockerFloor(topology: string, { containers = 32, parallel = 2 } = {}): Promise<DockerFloor> {
  const plan = await loadPlan(topology);
  const server = plan.servers.find((s) => s.containers.length > 0);
  if (!server) throw new Error(`${topology} has no server with containers`);
  const pool = new ConnectionPool();
  try {
    const conn = await pool.get(server.name, server.mgmt);
    const docker = conn.docker();
    const n = server.network;
    const net = `${n.name}-floor`;
    const wanted = server.containers.slice(0, containers);
    const idle = cpuMeter();
    await sleep(IDLE_MS);
    const idleRate = idle.stop().busyS / (IDLE_MS / 1000);
    await docker.createMacvlanNetwork({ name: net, parent: n.parent, subnet: n.subnet, gateway: n.gateway, auxAddresses: {}, labels: { 'cldemo.bench': 'docker-floor' } });
    const ids: string[] = [];
    try {
      const own0 = process.cpuUsage();
      const meter = cpuMeter();
      const t0 = Date.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < wanted.length) {
          const c = wanted[next++];
          const id = await docker.createContainer({ name: `${c.name}-floor`, image: c.image, labels: { 'cldemo.bench': 'docker-floor' }, network: net, ip: c.ip, restart: 'unless-stopped' });
          ids.push(id);
          await docker.startContainer(id);
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      await sleep(SETTLE_MS);
      const measured = meter.stop();
      const wallS = (Date.now() - t0) / 1000;
      const own = process.cpuUsage(own0);
      const dockerCpuS = measured.busyS - idleRate * wallS - (own.user + own.system) / 1e6;
      return { server: server.name, containers: wanted.length, cpuPerContainerS: dockerCpuS / wanted.length, idleRate, wallS, measured };
    } finally {
      await Promise.all(ids.map((id) => docker.removeContainer(id).catch(() => undefined)));
      await docker.removeNetwork(net).catch(() => undefined);
    }
  } finally {
    await pool.closeAll();
  }
}
