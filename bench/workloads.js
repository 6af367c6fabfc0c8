// The benchmark's cases (issue 6). Each prepares its keys through the client under test (so every
// client reads back its own encoding), checks one round trip is right, then offers a `step` that
// does one unit of work and resolves with how many operations (or keys) it completed.
import { makeJson, makeKeys, makeValue } from './fixtures.js';

const KEY_COUNT = 1024; // a power of two: `i & MASK` picks keys round-robin
const MASK = KEY_COUNT - 1;
const CONCURRENCY = 256;
const MULTI_KEYS = 100;
const MULTI_IN_FLIGHT = 8;

const KEYS = makeKeys(KEY_COUNT);
const VALUES = KEYS.map((_, i) => makeValue(i, 100));
const BATCHES = Array.from({ length: KEY_COUNT / CONCURRENCY }, (_, b) => KEYS.slice(b * CONCURRENCY, (b + 1) * CONCURRENCY));
const BATCH_VALUES = BATCHES.map((_, b) => VALUES.slice(b * CONCURRENCY, (b + 1) * CONCURRENCY));
const GROUPS = Array.from({ length: Math.floor(KEY_COUNT / MULTI_KEYS) }, (_, g) => KEYS.slice(g * MULTI_KEYS, (g + 1) * MULTI_KEYS));

function expectEqual(actual, expected, what) {
  if (actual !== expected) {
    const show = (v) => (v === undefined ? 'undefined' : `${String(v).slice(0, 40)}… (${String(v).length} chars)`);
    throw new Error(`${what}: read back ${show(actual)}, expected ${show(expected)}`);
  }
}

async function populate(adapter) {
  for (let i = 0; i < KEY_COUNT; i += 64) {
    await Promise.all(KEYS.slice(i, i + 64).map((key, j) => adapter.set(key, VALUES[i + j])));
  }
}

async function verifyGet(adapter) {
  for (const i of [0, 513, MASK]) expectEqual(adapter.value(await adapter.get(KEYS[i])), VALUES[i], `get ${KEYS[i]}`);
}

async function verifyMulti(adapter) {
  const group = GROUPS[1];
  const results = await adapter.getMulti(group);
  group.forEach((key, i) => expectEqual(adapter.multiValue(results, key, i), VALUES[MULTI_KEYS + i], `multi-get ${key}`));
}

// Steps for the client adapters.

function serialGet(adapter) {
  let i = 0;
  return async () => { await adapter.get(KEYS[i++ & MASK]); return 1; };
}

/** 256 calls of `issue(key, value)` started in one tick, all awaited, then the next 256 keys. */
function concurrent(issue) {
  const inFlight = new Array(CONCURRENCY);
  let batch = 0;
  return async () => {
    const keys = BATCHES[batch];
    const values = BATCH_VALUES[batch];
    batch = (batch + 1) % BATCHES.length;
    for (let i = 0; i < CONCURRENCY; i++) inFlight[i] = issue(keys[i], values[i]);
    await Promise.all(inFlight);
    return CONCURRENCY;
  };
}

/**
 * Keeps MULTI_IN_FLIGHT multi-gets outstanding: each step waits for the oldest and starts the next
 * in its place, so the window never drains between steps (as a server with that many concurrent
 * handlers would drive it). Replies on one connection come back in order, so the oldest is next.
 */
function multiGet(adapter) {
  const window = [];
  let group = 0;
  const issue = () => {
    const pending = adapter.getMulti(GROUPS[group++ % GROUPS.length]);
    pending.catch(() => {}); // still in the window when the measurement ends: not unhandled
    return pending;
  };
  return async () => {
    while (window.length < MULTI_IN_FLIGHT) window.push(issue());
    await window.shift();
    window.push(issue());
    return MULTI_KEYS;
  };
}

function largeSetGet(size) {
  const key = `bench:json:${size}`;
  const text = makeJson(size).toString();
  return {
    async prepare(adapter) {
      await adapter.set(key, text);
      expectEqual(adapter.value(await adapter.get(key)), text, `get ${key}`);
      return async () => { await adapter.set(key, text); await adapter.get(key); return 1; };
    },
  };
}

// Steps for the raw floor: the same batches, as one write each.

function floorGets(floor) {
  let batch = 0;
  return async () => { await floor.getBatch(BATCHES[batch++ % BATCHES.length]); return CONCURRENCY; };
}

function floorSets(floor) {
  let batch = 0;
  return async () => { const b = batch++ % BATCHES.length; await floor.setBatch(BATCHES[b], BATCH_VALUES[b]); return CONCURRENCY; };
}

function floorMultiGets(floor) {
  let group = 0;
  return async () => {
    const groups = Array.from({ length: MULTI_IN_FLIGHT }, () => GROUPS[group++ % GROUPS.length]);
    await floor.multiGetBatch(groups);
    return MULTI_IN_FLIGHT * MULTI_KEYS;
  };
}

async function populateFloor(floor) {
  for (let b = 0; b < BATCHES.length; b++) await floor.setBatch(BATCHES[b], BATCH_VALUES[b]);
}

function verifyFetch(adapter) {
  return Promise.all([0, 513, MASK].map(async (i) => expectEqual(adapter.value(await adapter.fetch(KEYS[i])), VALUES[i], `fetch ${KEYS[i]}`)));
}

const getCase = {
  async prepare(adapter) { await populate(adapter); await verifyGet(adapter); return concurrent((key) => adapter.get(key)); },
  async prepareFloor(floor) { await populateFloor(floor); return floorGets(floor); },
};
const multiCase = {
  async prepare(adapter) { await populate(adapter); await verifyMulti(adapter); return multiGet(adapter); },
  async prepareFloor(floor) { await populateFloor(floor); return floorMultiGets(floor); },
};

/**
 * Every case, in report order. `short` labels the chart; `unit` names what one counted operation
 * is; `servers` how many memcached instances it spreads keys over; `prepareFloor` exists where the
 * raw floor runs too.
 */
export const CASES = [
  { id: 'serial-get', short: '1 serial get', title: '1. Serial get, 100 B values', unit: 'get', servers: 1,
    async prepare(adapter) { await populate(adapter); await verifyGet(adapter); return serialGet(adapter); } },
  { id: 'concurrent-get', short: '2 concurrent get', title: '2. 256 concurrent gets, 100 B values', unit: 'get', servers: 1, ...getCase },
  { id: 'concurrent-set', short: '3 concurrent set', title: '3. 256 concurrent sets, 100 B values', unit: 'set', servers: 1,
    async prepare(adapter) { await populate(adapter); await verifyGet(adapter); return concurrent((key, value) => adapter.set(key, value)); },
    async prepareFloor(floor) { await populateFloor(floor); return floorSets(floor); } },
  // Only clients with a `fetch` (ours on meta) and the pipelined-mg floor run it; its peers' row is their concurrent get (case 2).
  { id: 'concurrent-fetch', short: '3b concurrent fetch', title: '3b. 256 concurrent fetch hits, 100 B values (peers: their concurrent gets, case 2)', unit: 'fetch', servers: 1,
    peersFrom: 'concurrent-get', runs: (client) => client.fetch === true,
    async prepare(adapter) { await populate(adapter); await verifyFetch(adapter); return concurrent((key) => adapter.fetch(key)); },
    async prepareFloor(floor) { await populateFloor(floor); return floorGets(floor); } },
  { id: 'multi-get', short: '4 multi-get', title: '4. Multi-get of 100 keys, 8 in flight (per key)', unit: 'key', servers: 1, ...multiCase },
  { id: 'json-16k', short: '5a JSON 16 KB', title: '5a. Set+get of 16 KB compressible JSON (per pair)', unit: 'set+get', servers: 1, ...largeSetGet(16 * 1024) },
  { id: 'json-256k', short: '5b JSON 256 KB', title: '5b. Set+get of 256 KB compressible JSON (per pair)', unit: 'set+get', servers: 1, ...largeSetGet(256 * 1024) },
  { id: 'concurrent-get-3', short: '6a conc. get ×3', title: '6a. 256 concurrent gets over 3 servers', unit: 'get', servers: 3, prepare: getCase.prepare },
  { id: 'multi-get-3', short: '6b multi-get ×3', title: '6b. Multi-get of 100 keys, 8 in flight, over 3 servers (per key)', unit: 'key', servers: 3, prepare: multiCase.prepare },
];
