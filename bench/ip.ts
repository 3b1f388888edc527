// ip_lib benchmark: N namespaces with a veth pair each, made and deleted three ways (tenantnet, naive, ip -batch floor).
/**
 * ip_lib benchmark: N namespaces, each with a veth pair (root end + inner end created in the
 * namespace, an IPv4 address inside, both ends up), then deleted, three ways in one run:
 *
 *  - tenantnet: the library API (one `ip -batch` coprocess per namespace, pipelined);
 *  - naive: one process per command, awaited one after another (Neutron's way);
 *  - floor: `ip -batch` files fed on stdin: one for the root namespace plus one per namespace
 *    (addresses can only be set from inside a namespace, so one file cannot do it all), run at once.
 *
 * createNamespace also sets net.ipv4.conf.all.promote_secondaries=1 (unless the host already makes
 * new namespaces inherit it), which needs a `sysctl` process inside each namespace (tenantnet's
 * batch forks it with `netns exec`). For the same end state, naive runs `ip netns exec NS sysctl -w`
 * per namespace and the floor runs one `sh` looping over `nsenter … sysctl` beside its batches.
 * The `…NoSysctl` rows compare without it.
 *
 * Teardown is one `netns del` per namespace in every method (the inner veth end goes with its
 * namespace and takes the root end along). Prints medians over the rounds and the ratios.
 *
 * Usage: node --import tsx bench/ip.ts [--n 100] [--rounds 3] [--json]
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../src/exec/run.js';
import * as ip from '../src/ip/index.js';
import { inheritsPromoteSecondaries } from '../src/ip/namespaces.js';
import { benchArgs, median, timed } from './harness.js';

const args = benchArgs({ rounds: 3 });
const N = args.num('n', 100);
const ROUNDS = args.rounds;
const JSON_OUT = args.json;
const PREFIX = `b${randomBytes(2).toString('hex')}`;
const CIDR = '10.99.0.2/24';

interface Names {
  ns: string;
  outer: string;
  inner: string;
}
const names = (round: number, method: string): Names[] =>
  Array.from({ length: N }, (_, i) => ({
    ns: `${PREFIX}-${method}${round}-${i}`,
    outer: `${PREFIX}${method}${round}${i}o`,
    inner: `${PREFIX}${method}${round}${i}i`,
  }));

type Timing = { create: number; delete: number };

async function tenantnet(set: Names[], promoteSecondaries: boolean): Promise<Timing> {
  const create = await timed(async () => {
    await Promise.all(
      set.map(async (x) => {
        await ip.createNamespace(x.ns, { promoteSecondaries });
        await ip.addVeth({ name: x.outer, peer: x.inner, peerNamespace: x.ns, up: true });
        await ip.addAddress({ namespace: x.ns, dev: x.inner, cidr: CIDR });
      }),
    );
  });
  await verify(set);
  const del = await timed(async () => {
    await Promise.all(set.map((x) => ip.deleteNamespace(x.ns)));
  });
  return { create, delete: del };
}

const PROMOTE = 'net.ipv4.conf.all.promote_secondaries=1';

async function naive(set: Names[]): Promise<Timing> {
  const create = await timed(async () => {
    for (const x of set) {
      await run(['ip', 'netns', 'add', x.ns]);
      await run(['ip', 'netns', 'exec', x.ns, 'sysctl', '-q', '-w', PROMOTE]);
      await run(['ip', '-n', x.ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', 'link', 'add', x.outer, 'type', 'veth', 'peer', 'name', x.inner, 'netns', x.ns]);
      await run(['ip', '-n', x.ns, 'addr', 'add', CIDR, 'dev', x.inner]);
      await run(['ip', '-n', x.ns, 'link', 'set', x.inner, 'up']);
      await run(['ip', 'link', 'set', x.outer, 'up']);
    }
  });
  await verify(set);
  const del = await timed(async () => {
    for (const x of set) await run(['ip', 'netns', 'del', x.ns]);
  });
  return { create, delete: del };
}

async function floor(set: Names[], promoteSecondaries: boolean): Promise<Timing> {
  const root = set.flatMap((x) => [
    `netns add ${x.ns}`,
    `link add ${x.outer} type veth peer name ${x.inner} netns ${x.ns}`,
    `link set ${x.outer} up`,
  ]);
  const create = await timed(async () => {
    await run(['ip', '-batch', '-'], { input: `${root.join('\n')}\n` });
    const loop = 'for ns in "$@"; do nsenter --net=/run/netns/$ns sysctl -q -w PROMOTE; done';
    await Promise.all([
      ...(promoteSecondaries
        ? [run(['sh', '-c', loop.replace('PROMOTE', PROMOTE), 'sh', ...set.map((x) => x.ns)])]
        : []),
      ...set.map((x) =>
        run(['ip', '-n', x.ns, '-batch', '-'], {
          input: `link set lo up\naddr add ${CIDR} dev ${x.inner}\nlink set ${x.inner} up\n`,
        }),
      ),
    ]);
  });
  await verify(set);
  const del = await timed(async () => {
    await run(['ip', '-batch', '-'], { input: `${set.map((x) => `netns del ${x.ns}`).join('\n')}\n` });
  });
  return { create, delete: del };
}

/** Not timed: every namespace exists and its inner end is up with the address. */
async function verify(set: Names[]): Promise<void> {
  const present = new Set(await readdir('/run/netns'));
  const missing = set.filter((x) => !present.has(x.ns));
  if (missing.length) throw new Error(`bench: ${missing.length} namespaces missing`);
  for (const x of [set[0]!, set[set.length - 1]!]) {
    const r = await run(['ip', '-n', x.ns, '-j', 'addr', 'show', 'dev', x.inner]);
    const [link] = JSON.parse(r.stdout) as { flags: string[]; addr_info: { local: string }[] }[];
    if (!link?.flags.includes('UP') || !link.addr_info.some((a) => `${a.local}/24` === CIDR)) {
      throw new Error(`bench: ${x.ns}/${x.inner} is not configured: ${r.stdout}`);
    }
  }
}

async function cleanup(): Promise<void> {
  await ip.closeIpBatches();
  for (const ns of await readdir('/run/netns').catch(() => [] as string[])) {
    if (ns.startsWith(`${PREFIX}-`)) await run(['ip', 'netns', 'del', ns], { check: false });
  }
  const links = await run(['ip', '-o', 'link', 'show'], { check: false });
  for (const m of links.stdout.matchAll(/^\d+:\s+([^:@\s]+)/gm)) {
    if (m[1]!.startsWith(PREFIX)) await run(['ip', 'link', 'del', m[1]!], { check: false });
  }
}

type Method = 'tenantnet' | 'naive' | 'floor' | 'tenantnetNoSysctl' | 'floorNoSysctl';
const methods: Record<Method, (set: Names[]) => Promise<Timing>> = {
  tenantnet: (s) => tenantnet(s, true),
  naive,
  floor: (s) => floor(s, true),
  tenantnetNoSysctl: (s) => tenantnet(s, false),
  floorNoSysctl: (s) => floor(s, false),
};
const short: Record<Method, string> = {
  tenantnet: 't',
  naive: 'n',
  floor: 'f',
  tenantnetNoSysctl: 's',
  floorNoSysctl: 'g',
};

async function main(): Promise<void> {
  const results: Record<Method, Timing[]> = {
    tenantnet: [],
    naive: [],
    floor: [],
    tenantnetNoSysctl: [],
    floorNoSysctl: [],
  };
  const order = Object.keys(methods) as Method[];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that kernel clean-up left by one method does not always hit the same next one.
      for (const m of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
        const t = await methods[m](names(round, short[m]));
        results[m].push(t);
        if (!JSON_OUT) {
          process.stderr.write(
            `round ${round + 1} ${m}: create ${t.create.toFixed(0)} ms, delete ${t.delete.toFixed(0)} ms\n`,
          );
        }
        await sleep(300); // let the kernel's asynchronous netns clean-up finish
      }
    }
  } finally {
    await cleanup();
  }
  const summary = Object.fromEntries(
    order.map((m) => {
      const c = median(results[m].map((t) => t.create));
      const d = median(results[m].map((t) => t.delete));
      const total = median(results[m].map((t) => t.create + t.delete));
      return [m, { createMs: c, deleteMs: d, totalMs: total }];
    }),
  ) as Record<Method, { createMs: number; deleteMs: number; totalMs: number }>;
  const ratios = {
    tenantnetOverFloor: summary.tenantnet.totalMs / summary.floor.totalMs,
    tenantnetNoSysctlOverFloorNoSysctl: summary.tenantnetNoSysctl.totalMs / summary.floorNoSysctl.totalMs,
    naiveOverTenantnet: summary.naive.totalMs / summary.tenantnet.totalMs,
  };
  if (JSON_OUT) {
    const promote = inheritsPromoteSecondaries() ? 'inherited' : 'set by a process per namespace';
    console.log(
      JSON.stringify(
        { n: N, rounds: ROUNDS, promoteSecondaries: promote, summary, ratios, raw: results },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`\nip_lib benchmark: ${N} namespaces with a veth pair each, median of ${ROUNDS} rounds`);
  console.log(
    `promote_secondaries: ${inheritsPromoteSecondaries() ? 'inherited from the root namespace' : 'set by a process in each namespace'}`,
  );
  console.log('method                      create ms  delete ms   total ms');
  for (const m of order) {
    const s = summary[m];
    console.log(
      `${m.padEnd(26)} ${s.createMs.toFixed(0).padStart(9)} ${s.deleteMs.toFixed(0).padStart(10)} ${s.totalMs.toFixed(0).padStart(10)}`,
    );
  }
  console.log(`tenantnet / floor:             ${ratios.tenantnetOverFloor.toFixed(2)}x (target <= 1.5x)`);
  console.log(`tenantnet / floor, no sysctl:  ${ratios.tenantnetNoSysctlOverFloorNoSysctl.toFixed(2)}x`);
  console.log(`naive / tenantnet:             ${ratios.naiveOverTenantnet.toFixed(2)}x (target >= 5x)`);
}

await main();
