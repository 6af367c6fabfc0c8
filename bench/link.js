// A real link for the latency benchmark: a memcached in a network namespace of its own, reached
// over a veth pair whose two ends are each shaped to 1 Gbit/s with a token bucket (tbf), so values
// cross a link of a real network's bandwidth instead of loopback's memory copy. Linux only, and
// root (or CAP_NET_ADMIN) only; where a namespace cannot be made, `createLink` says why and the
// benchmark skips the link.
//
// What it runs (N = mcbench-<pid>, H/S = the veth ends, 10.213.X.1/.2 a free /30):
//   ip netns add N
//   ip link add H type veth peer name S;  ip link set S netns N
//   ip addr add 10.213.X.1/30 dev H;  ip link set H up
//   ip -n N addr add 10.213.X.2/30 dev S;  ip -n N link set S up
//   tc qdisc add dev H root tbf rate 1gbit burst 128kb latency 10ms          (client → server)
//   tc -n N qdisc add dev S root tbf rate 1gbit burst 128kb latency 10ms     (server → client)
//   ip netns exec N memcached -l 10.213.X.2 -p 11211 -t 1 …
// and on the way out (also on Ctrl-C, on errors, and for namespaces left by a run that was killed):
// stop memcached, `ip link del H` (takes S with it), `ip netns del N`.
//
// The shaping. burst 32 KB, ~0.26 ms of traffic at 1 Gbit/s: the bucket lets that much through at
// once after a pause, so it must stay well below the values measured (64 KB sets, 256 KB values)
// for them to pay their wire time; but the shaper's timer wakes late by tens of µs on a VM, and a
// smaller bucket then cannot sustain the rate (4 KB gave ~0.6 Gbit/s of payload here, 32 KB ~0.8,
// 128 KB ~0.95 but lets half a 256 KB value through free). latency 10 ms caps the queue at
// ~1.25 MB + burst (a switch port's buffer), so a burst of large values queues rather than drops.
// `createLink` measures what the link delivers, each way, and the report shows it.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntilListening } from './server.js';

export const SHAPE = { rate: '1gbit', burst: '32kb', latency: '10ms' };
const PREFIX = 'mcbench-';
const PORT = 11211;
const BINARY = process.env.MEMCACHED_BIN ?? 'memcached';

function run(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function quietly(cmd, args) {
  try { run(cmd, args); } catch { /* already gone */ }
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (err) { return err.code === 'EPERM'; } };

/** Removes namespaces (and what runs in them) left by earlier runs whose process is gone. */
function removeStale() {
  let names = [];
  try { names = run('ip', ['netns', 'list']).split('\n').map((line) => line.split(' ')[0]); } catch { return; }
  for (const name of names.filter((n) => n.startsWith(PREFIX))) {
    const owner = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(owner) || alive(owner)) continue;
    try {
      for (const pid of run('ip', ['netns', 'pids', name]).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch { /* none */ }
    quietly('ip', ['link', 'del', `mcb${owner}h`]);
    quietly('ip', ['netns', 'del', name]);
  }
}

/** A /30 in 10.213.0.0/16 that no interface here uses yet. */
function freeSubnet() {
  const used = run('ip', ['-o', '-4', 'addr', 'show']);
  for (let i = 0; i < 256; i++) {
    const third = (process.pid + i) % 256;
    if (!used.includes(`10.213.${third}.`)) return `10.213.${third}`;
  }
  throw new Error('no free /30 in 10.213.0.0/16');
}

/** Payload Gbit/s each way: 32 MB of 256 KB values stored (`noreply`), then read back. */
function measureThroughput(host) {
  const value = Buffer.alloc(256 * 1024, 'x');
  const count = 128;
  const bytes = count * value.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(PORT, host);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('the throughput probe took over 20 s')); }, 20_000);
    const gbits = (since) => (bytes * 8) / ((performance.now() - since) / 1000) / 1e9;
    let up = null;
    let t = 0;
    let received = 0;
    let tail = Buffer.alloc(0);
    socket.once('connect', () => {
      t = performance.now();
      for (let i = 0; i < count; i++) socket.write(Buffer.concat([Buffer.from(`set link:probe:${i} 0 0 ${value.length} noreply\r\n`), value, Buffer.from('\r\n')]));
      socket.write('mn\r\n'); // answered once every set before it is done
    });
    socket.on('data', (chunk) => {
      received += chunk.length;
      tail = Buffer.concat([tail, chunk]).subarray(-5);
      if (up === null && tail.includes('MN\r\n')) {
        up = gbits(t);
        received = 0;
        t = performance.now();
        for (let i = 0; i < count; i++) socket.write(`get link:probe:${i}\r\n`);
      } else if (up !== null && received >= bytes && tail.equals(Buffer.from('END\r\n'))) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ up, down: gbits(t) });
      }
    });
    socket.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/**
 * Makes the namespace, the shaped veth pair and a memcached inside. Resolves with
 * `{ address, describe, stop }`, or `{ skipped: reason }` where namespaces cannot be made here.
 * Whatever was made is removed by `stop()`, and also when this process exits or is interrupted.
 */
export async function createLink() {
  if (process.platform !== 'linux') return { skipped: `network namespaces are Linux only (this is ${process.platform})` };
  removeStale();
  const ns = `${PREFIX}${process.pid}`;
  const hostEnd = `mcb${process.pid}h`;
  const serverEnd = `mcb${process.pid}s`;
  let server = null;
  let removed = false;
  const teardown = () => {
    if (removed) return;
    removed = true;
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    quietly('ip', ['link', 'del', hostEnd]);
    quietly('ip', ['netns', 'del', ns]);
  };
  const onSignal = (signal) => { teardown(); process.exit(signal === 'SIGINT' ? 130 : 143); };
  const unhook = () => {
    process.off('exit', teardown);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  try {
    run('ip', ['netns', 'add', ns]);
  } catch (err) {
    return { skipped: `cannot make a network namespace here (\`ip netns add\`: ${String(err.stderr || err.message).trim().split('\n')[0]})` };
  }
  process.on('exit', teardown);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let serverAddr;
  let measured;
  try {
    const subnet = freeSubnet();
    const hostAddr = `${subnet}.1`;
    serverAddr = `${subnet}.2`;
    run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', serverEnd]);
    run('ip', ['link', 'set', serverEnd, 'netns', ns]);
    run('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostEnd]);
    run('ip', ['link', 'set', hostEnd, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${serverAddr}/30`, 'dev', serverEnd]);
    run('ip', ['-n', ns, 'link', 'set', serverEnd, 'up']);
    const shape = ['root', 'tbf', 'rate', SHAPE.rate, 'burst', SHAPE.burst, 'latency', SHAPE.latency];
    run('tc', ['qdisc', 'add', 'dev', hostEnd, ...shape]);
    run('tc', ['-n', ns, 'qdisc', 'add', 'dev', serverEnd, ...shape]);
    const args = ['netns', 'exec', ns, BINARY, '-p', String(PORT), '-U', '0', '-l', serverAddr, '-t', '1', '-m', '256', '-c', '4096'];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    server = spawn('ip', args, { stdio: 'ignore' }); // `ip netns exec` execs memcached: same pid
    await waitUntilListening(serverAddr, PORT, server, 5000);
    measured = await measureThroughput(serverAddr);
  } catch (err) {
    teardown();
    unhook();
    const reason = String(err.stderr || err.message).trim().split('\n')[0];
    return { skipped: `could not set up the shaped link (${reason})` };
  }
  return {
    address: `${serverAddr}:${PORT}`,
    describe: `veth pair into network namespace ${ns}, each end shaped with \`tc qdisc add … root tbf rate ${SHAPE.rate} burst ${SHAPE.burst} latency ${SHAPE.latency}\`, memcached \`-t 1\` inside; measured before the run: ${measured.up.toFixed(2)} Gbit/s of payload to the server, ${measured.down.toFixed(2)} Gbit/s back`,
    async stop() {
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await Promise.race([exited, sleep(2000)]);
      }
      teardown();
      unhook();
    },
  };
}
