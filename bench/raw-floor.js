// The raw-socket floor: one bare net.Socket per server, each batch encoded as text and sent in
// one write, replies only counted by their terminators (no parsing, no values handed back).
// Nothing a client does can cost less, so it is the lower bound for cases 2-4 on this machine.
import net from 'node:net';
import { ReplyCounter } from './reply-counter.js';

function openSocket(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host);
    socket.setNoDelay(true);
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

/** Sends `request` and resolves once `expected` terminators came back. One batch at a time. */
function makeExchange(socket, tally) {
  const counters = { 'END\r\n': new ReplyCounter('END\r\n'), 'STORED\r\n': new ReplyCounter('STORED\r\n') };
  let counter = null;
  let remaining = 0;
  let done = null;
  let fail = null;
  socket.on('data', (chunk) => {
    tally.reads++;
    remaining -= counter.count(chunk);
    if (remaining <= 0) done();
  });
  socket.on('error', (err) => fail?.(err));
  socket.on('close', () => fail?.(new Error('the server closed the connection')));
  return (request, terminator, expected) => new Promise((resolve, reject) => {
    counter = counters[terminator];
    remaining = expected;
    done = resolve;
    fail = reject;
    tally.batches++;
    socket.write(request);
  });
}

export function createFloor() {
  let socket;
  let exchange;
  const tally = { reads: 0, batches: 0 };
  return {
    name: 'raw socket floor',
    async connect(servers) {
      if (servers.length !== 1) throw new Error('the raw floor talks to one server');
      socket = await openSocket(servers[0]);
      exchange = makeExchange(socket, tally);
    },
    getBatch: (keys) => exchange(keys.map((k) => `get ${k}\r\n`).join(''), 'END\r\n', keys.length),
    setBatch: (keys, values) => exchange(
      keys.map((k, i) => `set ${k} 0 0 ${Buffer.byteLength(values[i])}\r\n${values[i]}\r\n`).join(''),
      'STORED\r\n', keys.length,
    ),
    multiGetBatch: (groups) => exchange(groups.map((g) => `get ${g.join(' ')}\r\n`).join(''), 'END\r\n', groups.length),
    async close() { socket?.destroy(); },
    /** Socket reads per batch: how finely memcached's replies arrived, which moves the floor's CPU. */
    stats: () => ({ readsPerBatch: tally.reads / tally.batches }),
  };
}
