// Shared pieces of the CLI's topology tests: the status document's shape, processes in a namespace
// (servers, long-lived flows), and the classes of invalid topology files.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { run } from '../../src/exec/run.js';
import type { OvsSandbox } from '../helpers/ovs-sandbox.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { type CliHost, cliHost } from './cli-helpers.js';

/** What `status --json` prints for one file (the fields the tests read). */
export interface Status {
  healthy: boolean;
  networks: {
    name: string;
    dhcp: { namespace: string; pid: number | null; healthy: boolean } | null;
    healthy: boolean;
    problems: string[];
  }[];
  instances: {
    name: string;
    namespace: string;
    device: string;
    ips: string[];
    mac: string;
    floatingIp: string | null;
    healthy: boolean;
    problems: string[];
  }[];
  routers: {
    name: string;
    namespace: string;
    ports: { device: string }[];
    healthy: boolean;
    problems: string[];
  }[];
  firewall: { healthy: boolean; problems: string[] };
}

/** A process in a namespace, in its own process group (killed with everything it forked). */
export function spawnIn(
  namespace: string,
  argv: string[],
  stdio: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { detached: true, stdio });
  child.on('error', () => {});
  return child;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {}
  await exited;
}

/** A long-lived TCP connection from `namespace` to `to:port` (an echo server there): lines sent come back. */
export function flow(namespace: string, to: string, port: number) {
  const child = spawnIn(namespace, ['socat', '-', `TCP:${to}:${port},connect-timeout=2`], 'pipe');
  let got = '';
  child.stdout!.on('data', (d: Buffer) => {
    got += d.toString();
  });
  return {
    async roundTrip(text: string, ms = 3000): Promise<boolean> {
      if (child.exitCode !== null || child.stdin!.destroyed) return false;
      child.stdin!.write(`${text}\n`);
      for (const end = Date.now() + ms; Date.now() < end; ) {
        if (got.includes(text)) return true;
        if (child.exitCode !== null) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    },
    close(): void {
      void stop(child);
    },
  };
}

/** Invalid topology files, one class each, as edits of the demo topology. */
export const BAD: { what: string; edit: (t: string) => string; message: RegExp }[] = [
  { what: 'YAML syntax', edit: (t) => t.replace('networks:', 'networks: [oops'), message: /./ },
  {
    what: 'an unknown key',
    edit: (t) => t.replace('    mtu: 1450', '    mtu: 1450\n    colour: blue'),
    message: /colour/,
  },
  { what: 'a wrong type', edit: (t) => t.replace('mtu: 1450', 'mtu: big'), message: /mtu/ },
  {
    what: 'an address outside its subnet',
    edit: (t) => t.replace('ip: 10.10.2.10', 'ip: 10.99.2.10'),
    message: /10\.99\.2\.10/,
  },
  {
    what: 'an address taken twice',
    edit: (t) =>
      t
        .replace('ip: 10.10.2.10', 'ip: 10.10.1.10')
        .replace('network: db, ip: 10.10.1.10', 'network: web, ip: 10.10.1.10'),
    message: /10\.10\.1\.10/,
  },
  {
    what: 'an unknown network',
    edit: (t) => t.replace('network: db, ip', 'network: nowhere, ip'),
    message: /nowhere/,
  },
  {
    what: 'an unknown group',
    edit: (t) => t.replace('security_groups: [db]', 'security_groups: [nosuch]'),
    message: /nosuch/,
  },
  {
    what: 'a check naming nothing',
    edit: (t) => t.replace('from: web1, to: web2', 'from: ghost, to: web2'),
    message: /ghost/,
  },
];

/** A demo topology applied on a private OVS for one test, and what the tests look at. */
export interface DemoHost {
  readonly host: CliHost;
  readonly name: string;
  readonly file: string;
  ns(kind: string, n: string): string;
  ours(): Promise<string[]>;
  hostLinks(): Promise<string>;
  vsctl(args: string[]): ReturnType<typeof run>;
}

/** The demo topology named after the sandbox, on a private OVS whose namespace is the host. */
export function demoHost(sb: Sandbox, ovs: OvsSandbox): DemoHost {
  const host = cliHost(sb, { ovs });
  const name = sb.prefix;
  return {
    host,
    name,
    file: host.topologyFile('demo.yaml', name),
    ns: (kind, n) => `${sb.prefix}-${kind}-${name}.${n}`,
    ours: async () => (await readdir('/run/netns')).filter((n) => n.startsWith(`${sb.prefix}-`)).sort(),
    hostLinks: async () =>
      (await run(['ip', '-n', ovs.netns, '-o', 'link', 'show'])).stdout.replace(/\s+\\.*$/gm, ''),
    vsctl: (args) => run(['ovs-vsctl', '--db', `unix:${ovs.socketPath}`, ...args], { check: false }),
  };
}

/** Applies the demo file and checks it worked. */
export async function applied(d: DemoHost): Promise<void> {
  const a = await d.host.cli(['apply', d.file]);
  assert.equal(a.exitCode, 0, a.stderr);
}
