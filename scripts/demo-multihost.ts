// `npm run demo:multihost`: three simulated hosts on this machine (namespaces on one underlay bridge,
// a private etcd, one real `tenantnet agent` process per host), examples/multihost.yaml applied with
// `--store … --wait`, its checks verified across hosts with real packets, `status --store` printed,
// then everything removed, the etcd it started included. Needs root, etcd (Debian: etcd-server,
// etcd-client), socat, dnsmasq and busybox, as the tests do.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Fabric } from '../test/fakes/fabric.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'multihost.yaml');

function show(title: string, r: { exitCode: number | null; stdout: string; stderr: string }): void {
  process.stdout.write(`\n== ${title} (exit ${r.exitCode})\n${r.stdout}`);
  if (r.exitCode !== 0) process.stdout.write(r.stderr);
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo:multihost needs root (namespaces, bridges, iptables)\n');
    return 2;
  }
  const t0 = Date.now();
  process.stdout.write('starting three simulated hosts (h1 h2 h3), a private etcd and one agent per host…\n');
  const f = await Fabric.start({ hosts: 3 });
  let code = 1;
  try {
    for (const h of f.hosts)
      process.stdout.write(
        `  ${h.name}: namespace ${h.netns}, VTEP ${h.vtep}, agent PID ${f.agentPid(h.name)}\n`,
      );
    const file = join(f.dir, 'multihost.yaml');
    writeFileSync(file, readFileSync(EXAMPLE));
    show('tenantnet plan examples/multihost.yaml --store …', await f.cli(['plan', file]));
    const applied = await f.cli(['apply', file, '--wait=120'], { timeoutMs: 180_000 });
    show('tenantnet apply examples/multihost.yaml --store … --wait', applied);
    const verified = await f.cli(['verify', file], { timeoutMs: 120_000 });
    show('tenantnet verify examples/multihost.yaml --store … (across hosts, real packets)', verified);
    show('tenantnet status --store …', await f.cli(['status', file]));
    const destroyed = await f.cli(['destroy', file]);
    show('tenantnet destroy examples/multihost.yaml --store …', destroyed);
    code = applied.exitCode === 0 && verified.exitCode === 0 && destroyed.exitCode === 0 ? 0 : 1;
  } finally {
    const leaks = await f.stop();
    process.stdout.write(
      `\nremoved the hosts, the agents and the etcd${leaks.length ? `; LEFT: ${leaks.join(', ')}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    if (leaks.length) code = 1;
  }
  return code;
}

process.exitCode = await main();
