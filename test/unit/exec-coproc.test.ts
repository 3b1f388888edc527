import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coproc, CoprocExitedError, CoprocTimeoutError, type Exchange } from '../../src/exec/coproc.js';

// A line-echo child; a request is one line, its response the echoed line.
const ECHO = ['sh', '-c', 'while IFS= read -r l; do echo "$l"; done'];

function echo(text: string): () => Exchange<string> {
  return () => ({
    write: `${text}\n`,
    onLine: (line) => (line === text ? { done: true, value: line } : undefined),
  });
}

test('pipelined requests are answered in order by one child', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.request(echo(`r${i}`))));
  assert.deepEqual(
    answers,
    Array.from({ length: 200 }, (_, i) => `r${i}`),
  );
  assert.equal(c.generation, 1);
});

test('the exchange context counts input lines since the child started', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  const seen: number[] = [];
  for (const text of ['a\nb', 'c', 'd\ne\nf']) {
    await c.request((ctx) => {
      seen.push(ctx.firstLine);
      const last = text.split('\n').pop()!;
      return { write: `${text}\n`, onLine: (l) => (l === last ? { done: true, value: l } : undefined) };
    });
  }
  assert.deepEqual(seen, [1, 3, 4]);
});

test('when the child dies, every request in flight fails and the next request restarts it', async (t) => {
  // This child answers nothing: requests stay in flight until it is killed.
  const c = new Coproc(['sh', '-c', 'echo boom >&2; exec sleep 60'], { root: false });
  t.after(() => c.close());
  const inflight = [c.request(echo('x')), c.request(echo('y')), c.request(echo('z'))];
  const firstPid = c.pid;
  assert.ok(firstPid);
  await new Promise((r) => setTimeout(r, 100));
  process.kill(firstPid!, 'SIGKILL');
  for (const p of inflight) {
    const e = await p.catch((x) => x);
    assert.ok(e instanceof CoprocExitedError, String(e));
    assert.equal(e.signal, 'SIGKILL');
    assert.match(e.message, /killed by SIGKILL with requests in flight.*boom/);
  }
  const late = c.request(echo('w'));
  assert.ok(c.pid && c.pid !== firstPid, 'a new child was started');
  assert.equal(c.generation, 2);
  await c.kill();
  await assert.rejects(late, CoprocExitedError);
});

test('a request whose framing reports an error fails alone, after its whole response; the child keeps serving', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  // A two-line response that the framing turns into an error once both lines are read.
  const bad = c.request(() => ({
    write: 'oops\nend-oops\n',
    onLine: (l) => (l === 'end-oops' ? { done: true, error: new Error('framing said no') } : undefined),
  }));
  const good = c.request(echo('fine'));
  await assert.rejects(bad, /framing said no/);
  assert.equal(await good, 'fine', 'the next request did not get the rest of the failed response');
  assert.equal(c.generation, 1);
});

test('a throwing onLine means the framing is lost: the child restarts and the others in flight fail', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  const bad = c.request(() => ({
    write: 'oops\nmore\n',
    onLine: () => {
      throw new Error('cannot parse');
    },
  }));
  const behind = c.request(echo('behind'));
  await assert.rejects(bad, /cannot parse/);
  await assert.rejects(behind, CoprocExitedError);
  assert.equal(await c.request(echo('after')), 'after', 'a new child serves the next request');
  assert.equal(c.generation, 2);
});

test('a request timeout fails what is in flight and restarts the child', async (t) => {
  const c = new Coproc(['sleep', '60'], { root: false, requestTimeoutMs: 150 });
  t.after(() => c.close());
  const stuck = c.request(echo('never'));
  const first = c.pid;
  await assert.rejects(stuck, CoprocTimeoutError);
  const next = c.request(echo('again'));
  assert.ok(c.pid && c.pid !== first, 'the next request runs in a new child');
  assert.equal(c.generation, 2);
  await assert.rejects(next, CoprocTimeoutError);
});

test('mergeStderr keeps stderr and stdout lines in the order they were written', async (t) => {
  const c = new Coproc(
    ['sh', '-c', 'while IFS= read -r l; do echo "out $l"; echo "err $l" >&2; echo "end $l"; done'],
    {
      root: false,
      mergeStderr: true,
    },
  );
  t.after(() => c.close());
  const lines = await c.request(() => {
    const got: string[] = [];
    return {
      write: 'q\n',
      onLine: (l) => {
        got.push(l);
        return l === 'end q' ? { done: true, value: got } : undefined;
      },
    };
  });
  assert.deepEqual(lines, ['out q', 'err q', 'end q']);
});

test('a closed coprocess refuses new requests', async () => {
  const c = new Coproc(ECHO, { root: false });
  await c.request(echo('one'));
  await c.close();
  await assert.rejects(c.request(echo('two')), /closed/);
});

test('a request made while a killed child is still exiting goes to a new child and succeeds', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  await c.request(echo('before'));
  const first = c.pid;
  const dying = c.kill();
  const answer = c.request(echo('after')); // not awaiting kill(): the old child may not have exited yet
  assert.notEqual(c.pid, first);
  await dying;
  assert.equal(await answer, 'after', 'the old child exiting does not fail the new child’s request');
  assert.equal(c.generation, 2);
});

test("a dying child's error carries its own last output, not its successor's", async (t) => {
  const c = new Coproc(['sh', '-c', 'echo "started $$" >&2; exec sleep 60'], { root: false });
  t.after(() => c.close());
  const old = c.request(echo('x'));
  const first = c.pid!;
  await new Promise((r) => setTimeout(r, 200)); // its stderr line has arrived
  const dying = c.kill();
  const next = c.request(echo('y')); // a successor starts while the old child is still exiting
  const second = c.pid!;
  const e = await old.catch((x) => x);
  assert.ok(e instanceof CoprocExitedError, String(e));
  assert.match(e.lastOutput, new RegExp(`started ${first}`));
  assert.doesNotMatch(e.lastOutput, new RegExp(`started ${second}`));
  await dying;
  await c.kill();
  await assert.rejects(next, CoprocExitedError);
});

test('a request whose build throws is rejected, never thrown, and the child keeps serving', async (t) => {
  const c = new Coproc(ECHO, { root: false });
  t.after(() => c.close());
  let pending: Promise<unknown> | undefined;
  assert.doesNotThrow(() => {
    pending = c.request(() => {
      throw new Error('cannot frame this');
    });
  });
  await assert.rejects(pending!, /cannot frame this/);
  assert.equal(await c.request(echo('still here')), 'still here');
});
