import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { type ResourceName, type TopologyName, topologyName, userName } from '../../src/net/ownership.js';
import type { IpAddress } from '../../src/net/types.js';
import type { ResolvedCheck } from '../../src/topology/index.js';
import { runChecks } from '../../src/verify/index.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';

const endpoint = (name: string) => ({
  kind: 'instance' as const,
  topology: 'hostile' as TopologyName,
  name: name as ResourceName,
});

const valid: ResolvedCheck = {
  index: 0,
  from: 'a',
  to: 'b',
  protocol: 'tcp',
  port: 80,
  expect: 'pass',
  source: endpoint('a'),
  destination: '10.253.0.2' as IpAddress,
  family: 4,
  server: endpoint('b'),
};

/** True when `check` accepts `value` (a hostile-looking string can still be a valid name, e.g. `a--help`). */
const accepts = (check: (v: string) => unknown, value: string): boolean => {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
};

// Each hostile value put where a hand-made check could carry it into argv or a socat address.
const fields: ((h: string) => ResolvedCheck)[] = [
  (h) => ({ ...valid, destination: h as IpAddress }),
  (h) => ({ ...valid, destination: `10.253.0.2${h}` as IpAddress }),
  (h) => ({ ...valid, port: h as unknown as number }),
  (h) => ({ ...valid, protocol: h as 'tcp' }),
  (h) => ({ ...valid, expect: h as 'pass' }),
  (h) => ({ ...valid, source: endpoint(h) }),
  (h) => ({ ...valid, server: { ...endpoint('b'), topology: h as TopologyName } }),
  (h) => ({ ...valid, server: { ...endpoint('b'), kind: h as 'router' } }),
];

test(
  'hostile values in a hand-made check are refused, naming the field, before anything runs; the host is unchanged',
  rootOnly,
  async () => {
    const before = await hostSnapshot();
    await fc.assert(
      fc.asyncProperty(hostileString(), fc.nat(fields.length - 1), async (h, f) => {
        // Names are checked by their own rules; a string those rules accept is not hostile there.
        fc.pre(!(f === 5 && accepts(userName, h)) && !(f === 6 && accepts(topologyName, h)));
        const check = fields[f]!(h);
        await assert.rejects(runChecks([valid, check]), (e: unknown) => {
          assert.ok(e instanceof InvalidInputError, String(e));
          assert.match(e.where ?? '', /^checks\[1\]/);
          return true;
        });
      }),
      { numRuns: 60 },
    );
    assert.deepEqual(snapshotDiff(before, await hostSnapshot()), []);
  },
);
