import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  addFlowLine,
  COOKIE_ANY,
  filterLine,
  flowKeys,
  modFlowLine,
  OfctlFlows,
  parseDumpFlows,
} from '../../src/ovs/flows.js';
import type { OfctlExecutor, OfctlRunOptions } from '../../src/ovs/ofctl.js';
import { AlwaysPoll, InterfacePollingMinimizer } from '../../src/ovs/polling.js';
import { vifPortSpec } from '../../src/ovs/ports.js';

test("an added flow gets Neutron's defaults and the bridge cookie", () => {
  assert.equal(
    addFlowLine(
      { match: { in_port: 3, ip: true, nw_dst: '10.0.0.1' }, actions: ['mod_vlan_vid:5', 'NORMAL'] },
      0x1fn,
    ),
    'table=0,priority=1,cookie=0x1f,idle_timeout=0,hard_timeout=0,in_port=3,ip,nw_dst=10.0.0.1,actions=mod_vlan_vid:5,NORMAL',
  );
  assert.match(
    addFlowLine({ table: 2, priority: 7, cookie: 5n, actions: 'drop' }, 1n),
    /^table=2,priority=7,cookie=0x5,/,
  );
});

test('malformed flows are refused before anything runs', () => {
  assert.throws(() => addFlowLine({ actions: [] }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ actions: ' ' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ priority: 70000, actions: 'drop' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ table: 255, actions: 'drop' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ match: 'ip\npriority=1', actions: 'drop' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ match: 'ip,actions=NORMAL', actions: 'drop' }, 1n), InvalidInputError);
  // ovs-ofctl reads actions from the first "action" anywhere: `action=` and `actionsX=` count too.
  assert.throws(() => addFlowLine({ match: 'ip,action=NORMAL', actions: 'drop' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ match: { actionsx: 'NORMAL' }, actions: 'drop' }, 1n), InvalidInputError);
  assert.throws(() => filterLine({ match: { action: 'drop' } }, false, 1n), InvalidInputError);
  assert.throws(
    () => addFlowLine({ match: { nw_dst: '1.2.3.4,in_port=1' }, actions: 'drop' }, 1n),
    InvalidInputError,
  );
  assert.throws(() => addFlowLine({ cookie: -1n, actions: 'drop' }, 1n), InvalidInputError);
});

test('delete and modify filters: priority only when strict, cookie matched exactly unless COOKIE_ANY', () => {
  assert.equal(filterLine({ match: { in_port: 1 } }, false, 0xan), 'cookie=0xa/-1,in_port=1');
  assert.equal(filterLine({ cookie: COOKIE_ANY, table: 3 }, false, 0xan), 'table=3,cookie=0/0');
  assert.equal(filterLine({ priority: 9, match: 'ip' }, true, 0xan), 'priority=9,cookie=0xa/-1,ip');
  assert.throws(() => filterLine({ priority: 9 }, false, 1n), InvalidInputError);
  assert.throws(() => filterLine({ match: 'ip' }, true, 1n), InvalidInputError);
});

/** An ovs-ofctl that records its calls and prints `stdout`. */
function recorder(stdout = '') {
  const calls: { args: readonly string[]; opts: OfctlRunOptions | undefined }[] = [];
  const executor: OfctlExecutor = {
    run: async (args, opts) => {
      calls.push({ args, opts });
      return stdout;
    },
  };
  return { calls, executor };
}

test('OfctlFlows refuses a whole batch with one bad flow without running ovs-ofctl', async () => {
  const { calls, executor } = recorder();
  const f = new OfctlFlows('br-int', { cookie: 1n, executor });
  await assert.rejects(f.addFlows([{ actions: 'drop' }, { actions: [] }]), InvalidInputError);
  await assert.rejects(f.deleteFlows([{ priority: 1 }]), InvalidInputError);
  await assert.rejects(f.deleteFlows([{}, { match: 'cookie=0/0' }]), InvalidInputError);
  assert.deepEqual(calls, []);
  assert.throws(() => new OfctlFlows('a-bridge-name-too-long'), InvalidInputError);
  const [c1, c2] = [new OfctlFlows('br').cookie, new OfctlFlows('br').cookie];
  assert.notEqual(c1, c2, 'random default cookies');
});

test('a bridge name starting with "-" is refused: ovs-ofctl would read it as an option', () => {
  for (const name of ['-h', '--help', '-', '--strict']) {
    assert.throws(() => new OfctlFlows(name), InvalidInputError, name);
  }
});

test('OfctlFlows runs one ovs-ofctl per batch through its executor, the batch on stdin', async () => {
  const dump = ' cookie=0x5, duration=1s, table=0, n_packets=0, n_bytes=0, priority=1 actions=drop\n';
  const { calls, executor } = recorder(dump);
  const f = new OfctlFlows('br-int', { cookie: 5n, executor, env: { OVS_RUNDIR: '/x' }, timeoutMs: 7 });
  await f.addFlows([{ actions: 'drop' }, { table: 1, priority: 2, match: 'ip', actions: 'NORMAL' }]);
  await f.modFlows([{ priority: 2, table: 1, match: 'ip', actions: 'drop' }], { strict: true });
  await f.deleteFlows([{ table: 1 }]);
  await f.deleteAllFlows();
  assert.equal((await f.dumpFlows({ table: 0 })).length, 1);
  assert.deepEqual(
    calls.map((c) => [c.args.join(' '), c.opts?.input]),
    [
      [
        '--bundle add-flows br-int -',
        'table=0,priority=1,cookie=0x5,idle_timeout=0,hard_timeout=0,actions=drop\n' +
          'table=1,priority=2,cookie=0x5,idle_timeout=0,hard_timeout=0,ip,actions=NORMAL\n',
      ],
      ['--bundle --strict mod-flows br-int -', 'table=1,priority=2,cookie=0x5/-1,ip,actions=drop\n'],
      ['--bundle del-flows br-int -', 'table=1,cookie=0x5/-1\n'],
      ['--bundle del-flows br-int -', 'cookie=0/0\n'],
      ['dump-flows br-int table=0', undefined],
    ],
  );
  assert.deepEqual(calls[0]?.opts?.env, { OVS_RUNDIR: '/x' });
  assert.equal(calls[0]?.opts?.timeoutMs, 7);
});

test('COOKIE_ANY selects every flow with a line ovs-ofctl does not skip (an empty line deletes nothing)', () => {
  assert.equal(filterLine({ cookie: COOKIE_ANY }, false, 0xan), 'cookie=0/0');
  assert.equal(modFlowLine({ cookie: COOKIE_ANY, actions: 'drop' }, false, 0xan), 'cookie=0/0,actions=drop');
});

test('a match can never set the table, priority, cookie, timeouts or flags, in any spelling', () => {
  const smuggled = [
    'cookie=0/0',
    'ip cookie:0/0',
    'ip,COOKIE=0x1/0',
    'cookie(0/0)',
    '\tcookie=1',
    'table=3',
    'in_port=1 table:0',
    'priority=5',
    'idle_timeout=5',
    'hard_timeout=5',
    'importance=3',
    'out_port=1',
    'out_group=1',
    'send_flow_rem',
    'check_overlap',
    'reset_counts',
    'n_packets=0',
    'ip # comment hides the rest',
  ];
  for (const match of smuggled) {
    assert.throws(() => filterLine({ match }, false, 1n), InvalidInputError, match);
    assert.throws(() => addFlowLine({ match, actions: 'drop' }, 1n), InvalidInputError, match);
  }
  const dicts: Record<string, string | number>[] = [{ cookie: '0/0' }, { table: 1 }, { priority: 1 }];
  for (const match of dicts) {
    assert.throws(() => filterLine({ match }, false, 1n), InvalidInputError, JSON.stringify(match));
  }
  // Real match fields, including values with colons, slashes and parentheses, still pass.
  for (const match of [
    'ip,nw_src=10.0.0.0/24',
    'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00',
    'tcp,tp_dst=80',
    'ct_state=+trk-new',
    'reg0=0x5/0xff',
    'in_port=LOCAL',
  ]) {
    assert.match(filterLine({ match }, false, 1n), /^cookie=0x1\/-1,/);
  }
});

test('flow text is split into keys exactly as ovs-ofctl splits it', () => {
  assert.deepEqual(flowKeys('a=b(c,d),e:f g(h) ,, i'), ['a', 'e', 'g', 'i']);
  assert.deepEqual(flowKeys('x=1(2,cookie=3)'), ['x'], 'parentheses keep a value together');
  assert.deepEqual(flowKeys('x=(unbalanced,cookie=0/0'), ['x'], 'an open parenthesis runs to the end');
  assert.deepEqual(flowKeys('\tip\rtcp'), ['ip', 'tcp']);
});

test('control characters and "#" are refused in matches and actions', () => {
  for (const bad of ['ip\0', 'ip\tcookie=1', 'ip\u2028', 'ip\u0085']) {
    assert.throws(() => filterLine({ match: bad }, false, 1n), InvalidInputError, JSON.stringify(bad));
  }
  assert.throws(() => addFlowLine({ actions: 'drop\0' }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ actions: ['NORMAL', 'drop#x'] }, 1n), InvalidInputError);
  assert.throws(() => addFlowLine({ actions: 'drop\nadd,actions=NORMAL' }, 1n), InvalidInputError);
});

test('dump-flows output parses into entries; header lines are skipped', () => {
  const out = `NXST_FLOW reply (xid=0x4):
 cookie=0x0, duration=0.112s, table=0, n_packets=7, n_bytes=546, idle_age=0, priority=0 actions=NORMAL
 cookie=0x0, duration=0.006s, table=0, n_packets=0, n_bytes=0, hard_timeout=30, idle_age=0, actions=drop
 cookie=0x11, duration=0.006s, table=3, n_packets=2, n_bytes=84, idle_age=0, priority=7,in_port=1,dl_vlan=5 actions=mod_vlan_vid:9,output:2
`;
  assert.deepEqual(parseDumpFlows(out), [
    { cookie: 0n, table: 0, priority: 0, match: '', actions: 'NORMAL', nPackets: 7, nBytes: 546 },
    { cookie: 0n, table: 0, priority: 32768, match: '', actions: 'drop', nPackets: 0, nBytes: 0 },
    {
      cookie: 0x11n,
      table: 3,
      priority: 7,
      match: 'in_port=1,dl_vlan=5',
      actions: 'mod_vlan_vid:9,output:2',
      nPackets: 2,
      nBytes: 84,
    },
  ]);
});

test('a VIF port spec carries iface-id, attached-mac and the dead VLAN until bound', () => {
  assert.deepEqual(vifPortSpec({ name: 'tap1', ifaceId: 'p1', mac: 'FA:16:3E:00:00:01' }), {
    name: 'tap1',
    type: 'internal',
    tag: 4095,
    externalIds: { 'iface-id': 'p1', 'attached-mac': 'fa:16:3e:00:00:01', 'iface-status': 'active' },
  });
  assert.throws(
    () => vifPortSpec({ name: 'tap1', ifaceId: '', mac: 'fa:16:3e:00:00:01' }),
    InvalidInputError,
  );
});

test('polling: always-poll always polls; the minimizer polls on monitor updates and until acknowledged', async () => {
  const always = new AlwaysPoll();
  assert.equal(always.isPollingRequired(), true);
  always.pollingCompleted();
  assert.equal(always.isPollingRequired(), true);

  const fake = {
    hasUpdates: false,
    started: false,
    start: async () => {
      fake.started = true;
    },
    stop: async () => {
      throw new Error('not running');
    },
  };
  const m = new InterfacePollingMinimizer(fake);
  await m.start();
  assert.equal(fake.started, true);
  assert.equal(m.isPollingRequired(), false);
  fake.hasUpdates = true;
  assert.equal(m.isPollingRequired(), true);
  fake.hasUpdates = false;
  assert.equal(m.isPollingRequired(), true, 'still required: the scan was not acknowledged');
  m.pollingCompleted();
  assert.equal(m.isPollingRequired(), false);
  m.forcePolling();
  assert.equal(m.isPollingRequired(), true);
  m.pollingCompleted();
  assert.equal(m.isPollingRequired(), false, 'force is consumed once');
  await m.stop(); // tolerates "not running"
});
