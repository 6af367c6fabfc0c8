// The raw-socket floors: one bare net.Socket per server, each batch encoded and sent in one write,
// replies only counted by their terminators (no parsing, no values handed back). Nothing a client
// does can cost less, so they are the lower bounds for cases 2-4 on this machine.
//
// The text floor sends what a text client sends: `get k` per key, `get k1 .. kN` per multi-get,
// `set` per item (each answered STORED). The quiet-meta floor sends a batch of sets as quiet
// `ms <key> <len> T0 q O<n>` commands (a stored item is answered by nothing) and one `mn`, and
// waits for its `MN`; it has no gets (meta clients read with text `get`, as the text floor does).
// The mg floor bounds fetch, which reads with `mg`: 256 `mg <key> v f O<n>` and one `mn` per batch.
import net from 'node:net';
import { ReplyCounter } from './reply-counter.js';

export function openSocket(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host);
    socket.setNoDelay(true);
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

/**
 * `(request, terminator, expected, exactBytes?)`: sends `request` and resolves once `expected`
 * terminators came back; `tally` counts batches and socket reads. One batch at a time. With
 * `exactBytes`, a batch whose replies add up to any other length is refused: for a quiet batch,
 * anything besides the closing `MN` is a command that failed.
 */
export function makeExchange(socket, tally) {
  const counters = new Map();
  let counter = null;
  let remaining = 0;
  let received = 0;
  let exact = 0;
  let done = null;
  let fail = null;
  socket.on('data', (chunk) => {
    tally.reads++;
    received += chunk.length;
    remaining -= counter.count(chunk);
    if (remaining > 0) return;
    if (exact && received !== exact) fail(new Error(`a quiet batch was answered with ${received} bytes, not ${exact}: some command failed`));
    else done();
  });
  socket.on('error', (err) => fail?.(err));
  socket.on('close', () => fail?.(new Error('the server closed the connection')));
  return (request, terminator, expected, exactBytes = 0) => new Promise((resolve, reject) => {
    if (!counters.has(terminator)) counters.set(terminator, new ReplyCounter(terminator));
    counter = counters.get(terminator);
    remaining = expected;
    received = 0;
    exact = exactBytes;
    done = resolve;
    fail = reject;
    tally.batches++;
    socket.write(request);
  });
}

const textSets = (keys, values) => keys.map((k, i) => `set ${k} 0 0 ${Buffer.byteLength(values[i])}\r\n${values[i]}\r\n`).join('');
const quietMetaSets = (keys, values) => `${keys.map((k, i) => `ms ${k} ${Buffer.byteLength(values[i])} T0 q O${i}\r\n${values[i]}\r\n`).join('')}mn\r\n`;

// Every key is a hit (the values never hold `MN\r\n`), so the batch's `mn` is answered last.
const pipelinedMetaGets = (keys) => `${keys.map((k, i) => `mg ${k} v f O${i}\r\n`).join('')}mn\r\n`;

/**
 * `dialect`: 'text' (gets, multi-gets and sets), 'meta' (sets only, quiet, one `mn` per batch) or
 * 'mg' (gets as pipelined `mg … v f`, one `mn` per batch; the fetch case's floor).
 */
export function createFloor(dialect = 'text') {
  let socket;
  let exchange;
  const tally = { reads: 0, batches: 0 };
  const floor = {
    name: `raw socket floor (${dialect})`,
    async connect(servers) {
      if (servers.length !== 1) throw new Error('the raw floor talks to one server');
      socket = await openSocket(servers[0]);
      exchange = makeExchange(socket, tally);
    },
    async close() { socket?.destroy(); },
    /** Socket reads per batch: how finely memcached's replies arrived, which moves the floor's CPU. */
    stats: () => ({ readsPerBatch: tally.reads / tally.batches }),
  };
  if (dialect === 'mg') {
    floor.setBatch = (keys, values) => exchange(quietMetaSets(keys, values), 'MN\r\n', 1, 'MN\r\n'.length);
    floor.getBatch = (keys) => exchange(pipelinedMetaGets(keys), 'MN\r\n', 1);
    return floor;
  }
  if (dialect === 'meta') {
    floor.setBatch = (keys, values) => exchange(quietMetaSets(keys, values), 'MN\r\n', 1, 'MN\r\n'.length);
    return floor;
  }
  if (dialect !== 'text') throw new Error(`unknown floor dialect ${dialect}`);
  floor.getBatch = (keys) => exchange(keys.map((k) => `get ${k}\r\n`).join(''), 'END\r\n', keys.length);
  floor.setBatch = (keys, values) => exchange(textSets(keys, values), 'STORED\r\n', keys.length);
  floor.multiGetBatch = (groups) => exchange(groups.map((g) => `get ${g.join(' ')}\r\n`).join(''), 'END\r\n', groups.length);
  return floor;
}
