// The overlay, checked and read: what `status` found per owner mark, each network's dnsmasq, and the
// last verify results, turned into the health of a node or link. Checked once at the edge (the deploy
// layer fills it, but its problems are kernel and user text), then read through maps so that no key
// (`__proto__`, `toString`) reaches a prototype. Horizon's status colours on the topology view.
import { InvalidInputError } from '../errors.js';
import type {
  CheckOutcome,
  CheckStatus,
  DhcpStatus,
  GraphHealth,
  ResourceState,
  ResourceStatus,
} from './types.js';

const STATES: readonly string[] = ['present', 'missing', 'drifted'];
const OUTCOMES: readonly string[] = ['pass', 'block', 'fail'];
const RANK: Readonly<Record<ResourceState, number>> = { present: 0, drifted: 1, missing: 2 };

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new InvalidInputError(`${where}: ${what}`, where);
}

function strings(value: unknown, where: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(where, 'not a list of strings');
  value.forEach((p, i) => {
    if (typeof p !== 'string') fail(`${where}[${i}]`, 'not a string');
  });
  return value as readonly string[];
}

function entries(value: unknown, where: string): [string, unknown][] {
  if (value === undefined) return [];
  if (!isRecord(value)) fail(where, 'not an object');
  return Object.entries(value);
}

/** One resource's status: the worst of several, with what is wrong. */
export interface ObservedPart {
  /** The owner mark to look up. */
  readonly mark: string;
  /** Said before each of its problems (`floating IP 172.24.4.20`); none for the node's own resource. */
  readonly what?: string;
}

/** A checked overlay, read by owner mark, network name and check index. */
export class Overlay {
  private constructor(
    private readonly resources: ReadonlyMap<string, ResourceStatus>,
    private readonly dhcpByNetwork: ReadonlyMap<string, DhcpStatus>,
    private readonly checkByIndex: ReadonlyMap<number, CheckStatus>,
  ) {}

  /**
   * Checks an overlay's shape: states `present`/`missing`/`drifted`, problems strings, a dnsmasq pid
   * a positive integer or null and `alive` a boolean, check results `pass`/`block`/`fail` at integer
   * indexes. Extra fields are ignored (a verify `CheckResult` is a check status).
   *
   * @throws {InvalidInputError} naming the value (`overlay.resources["demo.router.r1"].state`)
   */
  static from(value: unknown, where = 'overlay'): Overlay {
    if (!isRecord(value)) fail(where, 'not an object');
    const resources = new Map<string, ResourceStatus>();
    for (const [mark, s] of entries(value.resources, `${where}.resources`)) {
      const at = `${where}.resources[${JSON.stringify(mark)}]`;
      if (!isRecord(s)) fail(at, 'not an object');
      if (typeof s.state !== 'string' || !STATES.includes(s.state)) {
        fail(`${at}.state`, `${JSON.stringify(s.state)} is not present, missing or drifted`);
      }
      resources.set(mark, {
        state: s.state as ResourceState,
        problems: strings(s.problems, `${at}.problems`),
      });
    }
    const dhcp = new Map<string, DhcpStatus>();
    for (const [network, d] of entries(value.dhcp, `${where}.dhcp`)) {
      const at = `${where}.dhcp[${JSON.stringify(network)}]`;
      if (!isRecord(d)) fail(at, 'not an object');
      if (d.pid !== null && !(Number.isSafeInteger(d.pid) && (d.pid as number) > 0)) {
        fail(`${at}.pid`, `${JSON.stringify(d.pid)} is not a pid (a positive integer) or null`);
      }
      if (typeof d.alive !== 'boolean') fail(`${at}.alive`, 'not true or false');
      dhcp.set(network, { pid: d.pid as number | null, alive: d.alive });
    }
    const checks = new Map<number, CheckStatus>();
    if (value.checks !== undefined && !Array.isArray(value.checks)) fail(`${where}.checks`, 'not a list');
    ((value.checks as unknown[] | undefined) ?? []).forEach((c, i) => {
      const at = `${where}.checks[${i}]`;
      if (!isRecord(c)) fail(at, 'not an object');
      if (!(Number.isSafeInteger(c.index) && (c.index as number) >= 0)) {
        fail(`${at}.index`, `${JSON.stringify(c.index)} is not a check index (an integer from 0)`);
      }
      if (typeof c.result !== 'string' || !OUTCOMES.includes(c.result)) {
        fail(`${at}.result`, `${JSON.stringify(c.result)} is not pass, block or fail`);
      }
      if (c.detail !== undefined && typeof c.detail !== 'string') fail(`${at}.detail`, 'not a string');
      const index = c.index as number;
      checks.set(index, {
        index,
        result: c.result as CheckOutcome,
        ...(c.detail === undefined ? {} : { detail: c.detail as string }),
      });
    });
    return new Overlay(resources, dhcp, checks);
  }

  /**
   * The health of what several resources make up together (a node: its resource, then parts such as
   * its floating IP), plus problems found otherwise (`extra`, which make it drifted); undefined when
   * the overlay names none of them and there is nothing extra.
   */
  health(parts: readonly ObservedPart[], extra: readonly string[] = []): GraphHealth | undefined {
    let seen = extra.length > 0;
    let state: ResourceState = extra.length > 0 ? 'drifted' : 'present';
    const problems: string[] = [];
    for (const part of parts) {
      const s = this.resources.get(part.mark);
      if (!s) continue;
      seen = true;
      if (RANK[s.state] > RANK[state]) state = s.state;
      const own = s.problems && s.problems.length > 0 ? s.problems : s.state === 'present' ? [] : [s.state];
      for (const p of own) problems.push(part.what ? `${part.what}: ${p}` : p);
    }
    problems.push(...extra);
    if (!seen) return undefined;
    return { healthy: state === 'present' && problems.length === 0, state, problems };
  }

  /** The dnsmasq of a network, when the overlay says. */
  dhcp(network: string): DhcpStatus | undefined {
    return this.dhcpByNetwork.get(network);
  }

  /** The last result of the check at `index`, when the overlay has one. */
  check(index: number): CheckStatus | undefined {
    return this.checkByIndex.get(index);
  }
}

/** True when a drawn thing is observed and not healthy. */
export function unhealthy(h: GraphHealth | undefined): boolean {
  return h !== undefined && !h.healthy;
}

/** The worst of several healths (undefined when none was observed). */
export function worstHealth(all: readonly (GraphHealth | undefined)[]): GraphHealth | undefined {
  const seen = all.filter((h): h is GraphHealth => h !== undefined);
  if (seen.length === 0) return undefined;
  let state: ResourceState = 'present';
  for (const h of seen) if (RANK[h.state] > RANK[state]) state = h.state;
  const problems = seen.flatMap((h) => h.problems);
  return { healthy: seen.every((h) => h.healthy), state, problems };
}
