// Helpers of the many-host tests: topology files written for a fabric, a TCP server that answers its
// own name in an instance's namespace, and reads of a host's VXLAN devices (FDB, neighbours, packet
// counters) through plain `bridge`/`ip`, the independent oracles.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fabric } from '../fakes/fabric.js';

/** Writes a topology file into the fabric's directory. */
export function topologyFile(f: Fabric, name: string, text: string): string {
  const file = join(f.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** A TCP server in `ns` on `port` answering every connection with `text` (stopped by the caller). */
export function nameServer(ns: string, port: number, text: string): ChildProcess {
  const c = spawn(
    'ip',
    ['netns', 'exec', ns, 'socat', `TCP4-LISTEN:${port},reuseaddr,fork`, `SYSTEM:echo ${text}`],
    {
      stdio: 'ignore',
    },
  );
  c.on('error', () => {});
  return c;
}

/** Stops a child by its PID (TERM, then KILL after 2 s). */
export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => c.kill('SIGKILL'), 2000);
    c.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

/** What a TCP client in `ns` reads from `addr:port` ('' when it cannot connect). */
export async function tcpRead(f: Fabric, ns: string, addr: string, port: number): Promise<string> {
  const r = await f.exec(ns, ['socat', '-T', '2', '-', `TCP4:${addr}:${port},connect-timeout=2`], 8000);
  return r.stdout.trim();
}

/** The first IPv4 address of `eth0` in an instance's namespace. */
export async function instanceIp(f: Fabric, ns: string): Promise<string> {
  const r = await f.exec(ns, ['ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0']);
  const a = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[])[0]?.addr_info?.[0]?.local;
  if (!a) throw new Error(`no address in ${ns}: ${r.stdout} ${r.stderr}`);
  return a;
}

/** The VXLAN device names of a host namespace (`vx-…`), with their VNI. */
export async function vxlans(f: Fabric, host: string): Promise<Map<number, string>> {
  const r = await f.exec(f.host(host).netns, ['ip', '-d', '-j', 'link', 'show', 'type', 'vxlan']);
  const out = new Map<number, string>();
  for (const l of JSON.parse(r.stdout || '[]') as {
    ifname: string;
    linkinfo: { info_data: { id: number } };
  }[]) {
    out.set(l.linkinfo.info_data.id, l.ifname);
  }
  return out;
}

/** A device's own FDB entries with a destination, as `MAC>VTEP` lines, sorted. */
export async function fdbOf(f: Fabric, host: string, dev: string): Promise<string[]> {
  const r = await f.exec(f.host(host).netns, ['bridge', '-j', 'fdb', 'show', 'dev', dev]);
  return (JSON.parse(r.stdout || '[]') as { mac: string; dst?: string; flags?: string[] }[])
    .filter((e) => e.dst !== undefined && (e.flags ?? []).includes('self'))
    .map((e) => `${e.mac}>${e.dst}`)
    .sort();
}

/** A device's permanent neighbours, as `IP>MAC` lines, sorted. */
export async function neighOf(f: Fabric, host: string, dev: string): Promise<string[]> {
  const r = await f.exec(f.host(host).netns, ['ip', '-j', 'neigh', 'show', 'dev', dev]);
  return (JSON.parse(r.stdout || '[]') as { dst: string; lladdr?: string; state?: string[] }[])
    .filter((n) => (n.state ?? []).includes('PERMANENT'))
    .map((n) => `${n.dst}>${n.lladdr}`)
    .sort();
}

/** A device's received and sent packet counters. */
export async function packets(f: Fabric, host: string, dev: string): Promise<{ rx: number; tx: number }> {
  const r = await f.exec(f.host(host).netns, ['ip', '-s', '-j', 'link', 'show', 'dev', dev]);
  const s = (JSON.parse(r.stdout) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[])[0]!
    .stats64;
  return { rx: s.rx.packets, tx: s.tx.packets };
}

const SNIFF = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((sys.argv[1], 0))
s.settimeout(0.2)
end = time.time() + float(sys.argv[2])
n = 0
while time.time() < end:
    try:
        s.recv(2048)
        n += 1
    except socket.timeout:
        pass
print(n)
`;

/**
 * Counts the ARP frames a device of a host receives for `seconds` (a raw packet socket, the
 * independent oracle: no tcpdump on this machine). Resolves with the count once the time is up.
 */
export async function arpSniffer(f: Fabric, host: string, dev: string, seconds: number): Promise<number> {
  const r = await f.exec(
    f.host(host).netns,
    ['python3', '-c', SNIFF, dev, String(seconds)],
    (seconds + 10) * 1000,
  );
  if (r.exitCode !== 0) throw new Error(`sniffer on ${host} ${dev}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the time it took, or -1. */
export async function within(
  timeoutMs: number,
  check: () => Promise<boolean>,
  stepMs = 100,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The instance MAC, from its namespace. */
export async function instanceMac(f: Fabric, ns: string): Promise<string> {
  return (await eth0(f, ns)).address;
}

/** An instance's `eth0` (MAC and MTU) as `ip -j link` reads it in its namespace. */
export async function eth0(f: Fabric, ns: string): Promise<{ address: string; mtu: number }> {
  const r = await f.exec(ns, ['ip', '-j', 'link', 'show', 'dev', 'eth0']);
  const l = (JSON.parse(r.stdout || '[]') as { address: string; mtu: number }[])[0];
  if (!l) throw new Error(`no eth0 in ${ns}: ${r.stderr}`);
  return l;
}
