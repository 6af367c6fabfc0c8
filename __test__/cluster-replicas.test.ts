/**
 * replicas: n. Each key lives on n servers (its own, then the next in the distribution's order);
 * writes reach every live replica, reads fall through a miss or an error to the next replica.
 * The figures: 4 servers, 2 000 keys, one server killed, restarted empty, then a second killed,
 * with and without replicas (the table is printed; the 0-miss steps are asserted).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Client, type ClientOptions, type MemcacheError } from '../ts/index.js';
import { startFakeServer } from './support/fake-server.js';
import type { MemcachedServer } from './support/memcached.js';
import { useClientOfEach, useServers } from './support/server-and-client.js';

const servers = useServers(4);
/** A client of each server alone: where a key really is. */
const single = useClientOfEach(servers);
beforeEach(async () => {
  await Promise.all(servers.map((s) => s.restart()));
});

const name = (server: MemcachedServer) => `${server.spec} (1)`;
const keys = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}:${i}`);
const singleOf = (server: string) => single[servers.findIndex((s) => name(s) === server)];

/** The keys missing from `mc`: a miss or an error. */
async function misses(mc: Client, list: readonly string[]): Promise<number> {
  const read = await Promise.all(list.map((k) => mc.get(k).catch(() => undefined)));
  return read.filter((value, i) => value !== list[i]).length;
}

async function missesMulti(mc: Client, list: readonly string[]): Promise<number> {
  const hits = await mc.getMulti(list);
  return list.filter((k) => hits.get(k) !== k).length;
}

interface Figures {
  allUp: number;
  oneDown: number;
  restartedEmpty: number;
  twoDown: number;
  /** Keys whose every replica is gone at the end (killed, or restarted empty and not repaired). */
  bothGone: number;
}

/** The scenario of the issue on a fresh set of servers. */
async function scenario(options: ClientOptions, multi: boolean): Promise<Figures> {
  await Promise.all(servers.map((s) => s.restart()));
  const mc = new Client(servers.map((s) => s.spec), { deadRetry: 60_000, ...options });
  const list = keys('fig', 2000);
  const count = multi ? missesMulti : misses;
  try {
    for (let i = 0; i < list.length; i += 250) await Promise.all(list.slice(i, i + 250).map((k) => mc.set(k, k)));
    const [a, b] = servers;
    const allUp = await count(mc, list);
    await a.kill();
    const oneDown = await count(mc, list);
    await a.restart();
    await mc.forgetDeadHosts();
    const restartedEmpty = await count(mc, list);
    await b.kill();
    const twoDown = await count(mc, list);
    const gone = new Set([name(a), name(b)]);
    const bothGone = list.filter((k) => mc.replicasFor(k).every((s) => gone.has(s))).length;
    return { allUp, oneDown, restartedEmpty, twoDown, bothGone };
  } finally {
    await mc.close();
  }
}

describe('replicas', () => {
  it('stores each key on its own server and the next distinct one, and nowhere else', async () => {
    const plain = new Client(servers.map((s) => s.spec));
    const mc = new Client(servers.map((s) => s.spec), { replicas: 2 });
    const three = new Client(servers.map((s) => s.spec), { replicas: 3 });
    try {
      const list = keys('where', 200);
      await mc.setMulti(Object.fromEntries(list.map((k) => [k, k])));
      for (const k of list) {
        const replicas = mc.replicasFor(k);
        expect(replicas).toHaveLength(2);
        expect(replicas[0]).toBe(plain.serverFor(k));
        expect(three.replicasFor(k).slice(0, 2)).toEqual(replicas);
        expect(new Set(three.replicasFor(k)).size).toBe(3);
      }
      const held = await Promise.all(list.map((k) => Promise.all(single.map((c) => c.get(k)))));
      list.forEach((k, i) => {
        const where = servers.filter((_, s) => held[i][s] === k).map(name);
        expect(new Set(where)).toEqual(new Set(mc.replicasFor(k)));
      });
      // The second replica is where the key fails over to when its own server is dead.
      const first = servers[0];
      const failover = new Client(servers.map((s) => s.spec), { deadRetry: 60_000 });
      await first.kill();
      await failover.getMulti(list).catch(() => undefined);
      for (const k of list.filter((key) => mc.replicasFor(key)[0] === name(first))) expect(failover.serverFor(k)).toBe(mc.replicasFor(k)[1]);
      await failover.close();
    } finally {
      await Promise.all([plain.close(), mc.close(), three.close()]);
    }
  });

  it('loses no key to one dead server or a restarted empty one; two dead lose only the keys both held', async () => {
    const rows: [string, Figures][] = [
      ['no replicas', await scenario({}, false)],
      ['replicas: 2', await scenario({ replicas: 2 }, false)],
      ['replicas: 2, readRepairTtl', await scenario({ replicas: 2, readRepairTtl: 300 }, false)],
      ['replicas: 2 (getMulti)', await scenario({ replicas: 2 }, true)],
    ];
    const table = rows.map(([label, f]) => ({ client: label, 'all up': f.allUp, '1 killed': f.oneDown, 'restarted empty': f.restartedEmpty, '2nd killed too': f.twoDown, 'replica set {A,B}': f.bothGone }));
    console.log('misses of 2000 keys over 4 servers (A killed, A restarted empty, then B killed too)');
    console.table(table);
    const [plain, replicated, repaired, multi] = rows.map(([, f]) => f);
    expect(plain.oneDown).toBeGreaterThan(300); // ~25%
    expect(plain.restartedEmpty).toBeGreaterThan(300);
    for (const f of [replicated, repaired, multi]) {
      expect(f.allUp).toBe(0);
      expect(f.oneDown).toBe(0);
      expect(f.restartedEmpty).toBe(0);
    }
    // Without read repair, exactly the keys whose two replicas are A (empty) and B (dead).
    expect(replicated.twoDown).toBe(replicated.bothGone);
    expect(multi.twoDown).toBe(multi.bothGone);
    // Read repair copied A's keys back while B was up: only those B served first are lost.
    expect(repaired.twoDown).toBeLessThan(repaired.bothGone);
  });

  it('resolves a write with the first replica’s answer when replicas disagree', async () => {
    const mc = new Client(servers.map((s) => s.spec), { replicas: 2 });
    try {
      const k = keys('disagree', 50).find((key) => mc.replicasFor(key).length === 2) as string;
      const [first, second] = mc.replicasFor(k).map(singleOf);
      await first.set(k, 'old');
      expect(await mc.add(k, 'new')).toBe(false); // the first replica had it
      expect(await second.get(k)).toBe('new'); // the other stored it: they differ until the next set
      await mc.set(k, 'same');
      expect([await first.get(k), await second.get(k)]).toEqual(['same', 'same']);
      await first.delete(k);
      expect(await mc.delete(k)).toBe(false); // the first said NOT_FOUND; the copy is deleted all the same
      expect(await second.get(k)).toBeUndefined();
    } finally {
      await mc.close();
    }
  });

  it('compares a cas on the first replica, then copies the value; counts a counter on the first replica only', async () => {
    const mc = new Client(servers.map((s) => s.spec), { replicas: 2 });
    try {
      const [first, second] = mc.replicasFor('cas-key').map(singleOf);
      await mc.set('cas-key', 'v1');
      const item = await mc.gets<string>('cas-key');
      expect(item?.value).toBe('v1');
      expect(await mc.cas('cas-key', 'v2', item!.cas)).toBe(true);
      expect([await first.get('cas-key'), await second.get('cas-key')]).toEqual(['v2', 'v2']);
      expect(await mc.cas('cas-key', 'v3', item!.cas)).toBe(false);
      expect(await second.get('cas-key')).toBe('v2');

      const [home, copy] = mc.replicasFor('counter').map(singleOf);
      await mc.set('counter', 5);
      expect(await mc.incr('counter', 2)).toBe(7);
      expect(await home.get('counter')).toBe(7);
      expect(await copy.get('counter')).toBe(5);
    } finally {
      await mc.close();
    }
  });

  it("setMulti's and deleteMulti's errors option gets the error of each key every replica of which failed, and only those", async () => {
    const silent = await Promise.all([startFakeServer(), startFakeServer()]);
    const specs = [servers[0].spec, ...silent.map((f) => f.spec)];
    const mc = new Client(specs, { replicas: 2, timeout: 200, failover: false });
    try {
      const list = keys('replica-errors', 120);
      const silentNames = new Set(silent.map((f) => `${f.spec} (1)`));
      const lost = list.filter((k) => mc.replicasFor(k).every((server) => silentNames.has(server)));
      expect(lost.length).toBeGreaterThan(0);
      const setErrors = new Map<string, MemcacheError>();
      expect((await mc.setMulti(Object.fromEntries(list.map((k) => [k, k])), { errors: setErrors })).sort()).toEqual([...lost].sort());
      expect([...setErrors.keys()].sort()).toEqual([...lost].sort());
      const deleteErrors = new Map<string, MemcacheError>();
      await mc.deleteMulti(list, { errors: deleteErrors });
      expect([...deleteErrors.keys()].sort()).toEqual([...lost].sort());
      for (const error of [...setErrors.values(), ...deleteErrors.values()]) expect(error.code).toMatch(/^MEMCACHE_(TIMEOUT|SERVER_DEAD)$/);
    } finally {
      await mc.close({ force: true });
      await Promise.all(silent.map((f) => f.close()));
    }
  });

  it('fails over as without replicas when every replica of a key is dead', async () => {
    const mc = new Client(servers.map((s) => s.spec), { replicas: 2, deadRetry: 60_000 });
    try {
      const list = keys('both', 400);
      const [a, b] = servers;
      const k = list.find((key) => new Set(mc.replicasFor(key)).size === 2 && mc.replicasFor(key).every((s) => s === name(a) || s === name(b))) as string;
      expect(k).toBeDefined();
      await Promise.all([a.kill(), b.kill()]);
      await mc.getMulti(list); // finds them dead
      expect(await mc.set(k, 'elsewhere')).toBe(true);
      expect(await mc.get(k)).toBe('elsewhere');
      expect([name(servers[2]), name(servers[3])]).toContain(mc.serverFor(k));
    } finally {
      await mc.close();
    }
  });
});
