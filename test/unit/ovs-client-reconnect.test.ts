import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { InterfaceMonitor } from '../../src/ovs/interface-monitor.js';
import { OvsdbClient } from '../../src/ovs/ovsdb/client.js';
import { OvsdbTimedOutError } from '../../src/ovs/ovsdb/errors.js';
import { JsonSplitter } from '../../src/ovs/ovsdb/framing.js';

type Msg = { method: string; params: unknown[]; id: number };

/** A scripted ovsdb-server on a unix socket: `answer` decides what each request gets. */
class FakeServer {
  readonly path: string;
  readonly open = new Set<Socket>();
  connections = 0;
  private server: Server | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tn-ovsdb-'));

  constructor(readonly answer: (m: Msg, s: Socket, conn: number) => void) {
    this.path = join(this.dir, 'db.sock');
  }

  listen(): Promise<void> {
    const server = createServer((s) => {
      const conn = ++this.connections;
      this.open.add(s);
      s.on('close', () => this.open.delete(s));
      s.on('error', () => {});
      const split = new JsonSplitter();
      s.on('data', (b) => {
        for (const m of split.push(b)) this.answer(m as Msg, s, conn);
      });
    });
    this.server = server;
    return new Promise((r) => server.listen(this.path, () => r()));
  }

  /** Stops accepting connections (those open stay open). */
  stopListening(): void {
    this.server?.close();
    this.server = null;
  }

  async stop(): Promise<void> {
    this.stopListening();
    for (const s of this.open) s.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const reply = (s: Socket, id: number, result: unknown) =>
  s.write(JSON.stringify({ id, result, error: null }));

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a connection lost again while monitors are re-created is retried until the monitors are back', async (t) => {
  const server = new FakeServer((m, s, conn) => {
    if (m.method === 'monitor' && conn === 2)
      s.destroy(); // drops while the monitor is re-created
    else reply(s, m.id, {});
  });
  await server.listen();
  t.after(() => server.stop());
  const client = await OvsdbClient.connect({ socketPath: server.path, requestTimeoutMs: 2000 });
  t.after(() => client.close());
  let initials = 0;
  await client.monitor({ Interface: { columns: ['name'] } }, (_u, initial) => {
    if (initial) initials++;
  });
  assert.equal(initials, 1);
  for (const s of server.open) s.destroy();
  await until('the monitor re-created on a third connection', () => initials === 2);
  assert.equal(server.connections, 3);
  await client.echo();
});

test('a client closed while it reconnects keeps no connection open', async (t) => {
  const server = new FakeServer((m, s) => reply(s, m.id, {}));
  await server.listen();
  t.after(() => server.stop());
  const client = await OvsdbClient.connect({ socketPath: server.path, requestTimeoutMs: 2000 });
  await client.monitor({ Interface: {} }, () => {});
  server.stopListening();
  for (const s of server.open) s.destroy();
  await new Promise((r) => setTimeout(r, 40)); // the client is between attempts now
  client.close();
  await server.listen();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(server.open.size, 0, 'no connection left open by a closed client');
});

test('waitForCurCfg longer than the request timeout is answered by the server, as OvsdbTimedOutError', async (t) => {
  const server = new FakeServer((m, s) => {
    if (m.method !== 'transact') return reply(s, m.id, {});
    // A server-side wait that times out answers after its own timeout with the error inside the result.
    const wait = m.params[1] as { timeout: number };
    setTimeout(() => reply(s, m.id, [{ error: 'timed out', details: 'wait timed out' }]), wait.timeout);
  });
  await server.listen();
  t.after(() => server.stop());
  const client = await OvsdbClient.connect({ socketPath: server.path, requestTimeoutMs: 100 });
  t.after(() => client.close());
  await assert.rejects(client.waitForCurCfg(5, 300), OvsdbTimedOutError);
});

test('InterfaceMonitor: concurrent starts make one monitor, and stop() during the start cancels it', async (t) => {
  const methods: string[] = [];
  const server = new FakeServer((m, s) => {
    methods.push(m.method);
    reply(s, m.id, {});
  });
  await server.listen();
  t.after(() => server.stop());
  const client = await OvsdbClient.connect({ socketPath: server.path, requestTimeoutMs: 2000 });
  t.after(() => client.close());
  const mon = new InterfaceMonitor(client);
  await Promise.all([mon.start(), mon.start()]);
  assert.deepEqual(methods, ['monitor']);
  const starting = mon.start();
  await mon.stop();
  await starting;
  const late = new InterfaceMonitor(client);
  const lateStart = late.start();
  await late.stop();
  await lateStart;
  assert.equal(late.active, false, 'a stop during the start wins');
  assert.deepEqual(methods, ['monitor', 'monitor_cancel', 'monitor', 'monitor_cancel']);
});

test('a string the server cannot take is refused before anything is sent; the connection stays', async (t) => {
  const methods: string[] = [];
  const server = new FakeServer((m, s) => {
    methods.push(m.method);
    reply(s, m.id, m.method === 'transact' ? [{}] : {});
  });
  await server.listen();
  t.after(() => server.stop());
  const client = await OvsdbClient.connect({ socketPath: server.path, requestTimeoutMs: 2000 });
  t.after(() => client.close());
  for (const bad of ['a\0b', '\udfff']) {
    await assert.rejects(client.transact([{ op: 'comment', comment: bad }]), InvalidInputError);
    await assert.rejects(
      client.monitor({ [`T${bad}`]: {} }, () => {}),
      InvalidInputError,
    );
  }
  assert.deepEqual(methods, [], 'nothing reached the server');
  await client.transact([{ op: 'comment', comment: 'fine' }]);
  assert.deepEqual(methods, ['transact']);
  assert.equal(server.connections, 1);
});
