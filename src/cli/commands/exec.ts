// `tenantnet exec INSTANCE -- COMMAND [ARGS...]`: a command inside an instance's namespace
// (`router:NAME` and `dhcp:NETWORK` reach the router and DHCP namespaces), its exit code passed
// through, as `docker exec` and containerlab's `exec` do.
import { spawn } from 'node:child_process';
import { readRecordedModel, recordedTopologies } from '../../deploy/index.js';
import { InvalidInputError, TenantnetError } from '../../errors.js';
import type { Model } from '../../model/index.js';
import {
  argWord,
  namespaceExists,
  namespaceFor,
  netnsPrefix,
  type TopologyName,
  topologyName,
  userName,
} from '../../net/index.js';
import { realFileExecutor } from '../../reconcile/index.js';
import { loadTopology } from '../../topology/index.js';
import { defineCommand } from '../command.js';

/** `instance`, `router:NAME` or `dhcp:NETWORK`, parsed. Pure. */
export function execTarget(text: string): { kind: 'instance' | 'router' | 'dhcp'; name: string } {
  const m = /^(?:(router|dhcp):)?(.*)$/.exec(text)!;
  const kind = (m[1] ?? 'instance') as 'instance' | 'router' | 'dhcp';
  return { kind, name: userName(m[2]!, 'target') };
}

function has(model: Model, t: ReturnType<typeof execTarget>): boolean {
  if (t.kind === 'instance') return model.instances.some((i) => i.name === t.name);
  if (t.kind === 'router') return model.routers.some((r) => r.name === t.name);
  return model.networks.some((n) => n.name === t.name && n.dhcpPort !== null);
}

/** `tenantnet exec`: the command's exit code (127 when it cannot be run; 1 when the target is not found). */
export const command = defineCommand({
  name: 'exec',
  summary: "run a command in an instance's namespace (router:NAME, dhcp:NETWORK)",
  description:
    'Runs COMMAND inside the namespace of an instance (or `router:NAME`, `dhcp:NETWORK`) of an applied ' +
    "topology, with stdin, stdout and stderr passed through and its exit code as tenantnet's. Give " +
    '--topology FILE when several applied topologies have that name.',
  order: 50,
  define: (c) =>
    c
      .argument('<target>', 'instance name, router:NAME or dhcp:NETWORK')
      .argument('<command...>', 'the command and its arguments (after --)')
      .option('--topology <file>', 'the topology file the target belongs to'),
  async run({ args: [target, argv], options, globals }, _out) {
    const t = execTarget(target);
    const words = argv.map((w, i) => (i === 0 ? argWord(w, 'command') : w));
    let topology: TopologyName;
    if (options.topology !== undefined) {
      topology = topologyName((await loadTopology(options.topology)).input.name);
    } else {
      const owners: TopologyName[] = [];
      for (const name of await recordedTopologies(realFileExecutor, globals.stateDir)) {
        const m = await readRecordedModel(realFileExecutor, globals.stateDir, name);
        if (m && has(m, t)) owners.push(name);
      }
      if (owners.length === 0)
        throw new TenantnetError(`no applied topology has ${target} (apply one, or give --topology FILE)`);
      if (owners.length > 1) {
        throw new InvalidInputError(
          `${target} is in ${owners.length} applied topologies (${owners.join(', ')}): give --topology FILE`,
          'target',
        );
      }
      topology = owners[0]!;
    }
    const ns = namespaceFor(t.kind, topology, t.name as never, netnsPrefix(globals.netnsPrefix));
    if (!namespaceExists(ns))
      throw new TenantnetError(`namespace ${ns} does not exist (apply the topology first)`);
    const child = spawn('ip', ['netns', 'exec', ns, ...words], { stdio: 'inherit' });
    return new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
    });
  },
});

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 }[signal as string];
}
