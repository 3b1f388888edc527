import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { hostDevice, linkMark, networkBridge, plugRequest } from '../../src/interface/layout.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { topologyName } from '../../src/net/ownership.js';
import { linkGroup } from '../../src/net/types.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { network, request } from './interface-fixtures.js';

describe('plug names and marks', () => {
  test('every topology link group is one ip accepts (1-2147483647): larger ones end the ip batch', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/), (name) => {
        const g = linkMark({ topology: topologyName(name), kind: 'port', name: 'p' } as never).group;
        return g >= 0x1000_0000 && g <= 0x7fff_ffff;
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => linkGroup(0x8000_0000), InvalidInputError);
    assert.equal(linkGroup(0x7fff_ffff), 0x7fff_ffff);
  });

  test('host-side names are a lead plus 11 characters of the id; brq for the network', () => {
    const req = request('p1', network('n1'), 'x', 'eth0', { style: 'hybrid' });
    const id = req.port.id;
    assert.equal(hostDevice('qvo', `${id}zzzz`), `qvo${id}`);
    assert.deepEqual(new OvsInterfaceDriver().layout(req), {
      style: 'hybrid',
      device: 'eth0',
      namespace: 'x',
      ovsPort: `qvo${id}`,
      hostLinks: [`qbr${id}`, `tap${id}`, `qvb${id}`, `qvo${id}`],
      filter: { bridge: `qbr${id}`, device: `tap${id}` },
    });
    assert.deepEqual(new LinuxBridgeInterfaceDriver().layout(req).filter, {
      bridge: networkBridge(req.network),
      device: `tap${id}`,
    });
    assert.equal(new OvsInterfaceDriver().layout({ ...req, style: undefined }).ovsPort, 'eth0');
  });

  test('a request with a hostile string anywhere is InvalidInputError naming the field', () => {
    const base = request('p1', network('n1'), 'x', 'eth0');
    const paths: [string, (v: string) => unknown][] = [
      ['plug.device', (v) => ({ ...base, device: v })],
      ['plug.namespace', (v) => ({ ...base, namespace: v })],
      ['plug.style', (v) => ({ ...base, style: v })],
      ['plug.port.id', (v) => ({ ...base, port: { ...base.port, id: v } })],
      ['plug.port.mac', (v) => ({ ...base, port: { ...base.port, mac: v } })],
      [
        'plug.port.owner.name',
        (v) => ({ ...base, port: { ...base.port, owner: { ...base.port.owner, name: v } } }),
      ],
      [
        'plug.network.owner.topology',
        (v) => ({ ...base, network: { ...base.network, owner: { ...base.network.owner, topology: v } } }),
      ],
      ['plug.network.id', (v) => ({ ...base, network: { ...base.network, id: v } })],
    ];
    fc.assert(
      fc.property(hostileString(), fc.constantFrom(...paths), (value, [where, make]) => {
        try {
          plugRequest(make(value) as never);
          return true; // some hostile strings are valid values (e.g. a plain word)
        } catch (e) {
          return e instanceof InvalidInputError && e.message.startsWith(where);
        }
      }),
      { numRuns: 500 },
    );
  });
});
