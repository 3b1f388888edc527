import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { buildModel, ModelError } from '../../src/model/index.js';
import { demoTopology, edit, expectProblem, inst, net, problemsOf, router, rule } from './model-fixtures.js';

test('the demo topology is valid', () => {
  assert.equal(buildModel(demoTopology()).topology, 'demo');
});

test('a ModelError lists every problem at once, in input order, each with its path; it is an InvalidInputError', () => {
  const t = edit((t) => {
    t.name = 'Demo';
    net(t, 0).cidr = '10.10.1.5/24';
    inst(t, 0).mac = 'ff:ff:ff:ff:ff:ff';
    router(t).gateway = { network: 'web' };
    rule(t, 0).port = '90-80';
  });
  let error: unknown;
  try {
    buildModel(t);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ModelError && error instanceof InvalidInputError);
  // every problem, in the order of the input: sections as a file lists them, then by item
  assert.deepEqual(
    error.problems.map((p) => p.path),
    [
      ['name'],
      ['networks', 0, 'cidr'],
      ['routers', 0, 'gateway', 'network'],
      ['securityGroups', 0, 'rules', 0, 'port'],
      ['instances', 0, 'mac'],
    ],
  );
  assert.match(error.message, /^5 problems in the topology, the first: /);
  assert.equal(error.where, error.problems[0]!.path.join('.'));
});

test('one problem: the message is the path and the problem', () => {
  const t = edit((t) => {
    t.name = 'x_y';
  });
  assert.throws(() => buildModel(t), /^ModelError: name: "x_y" is not a topology name/);
});

// --- names ---------------------------------------------------------------------------------------

test('names: topology and resource names follow [a-z0-9-], 1-32; each kind once', () => {
  expectProblem(
    edit((t) => {
      t.name = '';
    }),
    ['name'],
    'not a topology name',
  );
  expectProblem(
    edit((t) => {
      delete (t as Record<string, unknown>).name;
    }),
    ['name'],
    'needs a name',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).name = 'web_1';
    }),
    ['networks', 0, 'name'],
    '"web_1"',
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).name = 'web';
    }),
    ['networks', 1, 'name'],
    'used twice',
    'networks[0]',
  );
  expectProblem(
    edit((t) => {
      router(t).name = 'R1';
    }),
    ['routers', 0, 'name'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      t.routers!.push({ name: 'r1' });
    }),
    ['routers', 1, 'name'],
    'router name "r1" is used twice',
  );
  expectProblem(
    edit((t) => {
      t.securityGroups!.push({ name: 'web' });
    }),
    ['securityGroups', 1, 'name'],
    'used twice',
  );
  expectProblem(
    edit((t) => {
      inst(t, 1).name = 'web1';
    }),
    ['instances', 1, 'name'],
    'instance name "web1" is used twice',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).name = 'a'.repeat(33);
    }),
    ['instances', 0, 'name'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).host = 'Host 1';
    }),
    ['instances', 0, 'host'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      t.defaults = { host: '-h' };
    }),
    ['defaults', 'host'],
    'not a valid name',
  );
});

test('a network and a router may share a name (owners differ by kind)', () => {
  const m = buildModel(
    edit((t) => {
      router(t).name = 'web';
    }),
  );
  assert.equal(m.routers[0]!.name, 'web');
});

test('unknown fields and wrong types are problems, not silently ignored', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).securityGroup = ['web'];
    }),
    ['instances', 0, 'securityGroup'],
    'unknown field "securityGroup"',
  );
  expectProblem(
    edit((t) => {
      (t as Record<string, unknown>).network = [];
    }),
    ['network'],
    'unknown field',
  );
  expectProblem(
    edit((t) => {
      (t as Record<string, unknown>).networks = {};
    }),
    ['networks'],
    'is not a list',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).portSecurity = 'yes';
    }),
    ['instances', 0, 'portSecurity'],
    'not true or false',
  );
  expectProblem(
    edit((t) => {
      (t.instances as unknown[])[0] = 'web1';
    }),
    ['instances', 0],
    'not an instance',
  );
  expectProblem(
    edit((t) => {
      t.backend = 'ovn' as never;
    }),
    ['backend'],
    'not one of ovs, linuxbridge',
  );
  assert.throws(
    () => buildModel(null as never),
    (e: unknown) => e instanceof ModelError && e.problems[0]!.path.length === 0,
  );
});

// --- references ----------------------------------------------------------------------------------

test('unknown references: networks, security groups, remote groups, floating-IP instances', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).network = 'nope';
    }),
    ['instances', 0, 'network'],
    'there is no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', 'nope'];
    }),
    ['routers', 0, 'interfaces', 1],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = [{ network: 'nope' }];
    }),
    ['routers', 0, 'interfaces', 0, 'network'],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'nope' };
    }),
    ['routers', 0, 'gateway', 'network'],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).securityGroups = ['web', 'db'];
    }),
    ['instances', 0, 'securityGroups', 1],
    'there is no security group "db"',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).remoteGroup = 'db';
    }),
    ['securityGroups', 0, 'rules', 1, 'remoteGroup'],
    'no security group "db"',
  );
  expectProblem(
    edit((t) => {
      t.floatingIps![0]!.instance = 'web9';
    }),
    ['floatingIps', 0, 'instance'],
    'there is no instance "web9"',
  );
});

test('a mistake in a network is reported once, not again at everything that refers to it', () => {
  const problems = problemsOf(
    edit((t) => {
      net(t, 0).cidr = '10.10.1.0/33';
    }),
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    [['networks', 0, 'cidr']],
  );
});
