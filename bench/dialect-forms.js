// The wire forms bench/dialects.js compares: per operation, its text command(s) and its meta
// command(s), each as a batch of 256 pipelined commands in one write. Every form says which reply
// terminator ends each command (or the batch) and how many to wait for; a quiet batch ends with
// `mn` and must be answered by its `MN` alone (`exact`), so a form that fails shows.
import { makeKeys, makeValue } from './fixtures.js';

export const BATCH = 256;
const KEY_COUNT = 1024;
const TTL = 3600;

const KEYS = makeKeys(KEY_COUNT);
const COUNTERS = makeKeys(KEY_COUNT, 'bench:ctr');
export const VALUE = makeValue(0, 100); // every item 100 bytes, as in the end-to-end benchmark
const batchOf = (keys, b) => keys.slice((b * BATCH) % keys.length, ((b * BATCH) % keys.length) + BATCH);

const MN = { terminator: 'MN\r\n', perBatch: 1 };
const QUIET = { ...MN, exact: 4 };

/** `line(key, i)` per key, `tail` after the batch. */
const each = (line, tail = '') => (keys) => keys.map(line).join('') + tail;

/** Quiet `ms` of every key in `keys` with a closing `mn`: stores (or re-stores) a batch, answered by `MN` alone. */
export const quietStore = each((k, i) => `ms ${k} ${VALUE.length} T0 q O${i}\r\n${VALUE}\r\n`, 'mn\r\n');

/**
 * Per operation: `keys(b)` the keys of batch b; `pool` (deletes) how many batches of distinct keys
 * one measurement goes through, stored before it; `setup` the items every form starts from.
 * Per form: `encode(keys)`, the reply `terminator`, how many per command (`perCommand`) or per
 * batch (`perBatch`), and `exact` bytes where the batch must be answered by nothing else; `base`
 * marks what the client sends on protocol 'text', which the other forms are compared with.
 */
export const OPERATIONS = [
  {
    id: 'get', title: 'get (hits)', keys: (b) => batchOf(KEYS, b),
    setup: () => [...Array(KEY_COUNT / BATCH).keys()].map((b) => quietStore(batchOf(KEYS, b))),
    forms: [
      { id: 'text get', dialect: 'text', wire: '`get k` ×256', encode: each((k) => `get ${k}\r\n`), terminator: 'END\r\n', perCommand: 1 },
      { id: 'text merged get', base: true, dialect: 'text', wire: '`get k1 … k256` (what the client sends)', encode: (keys) => `get ${keys.join(' ')}\r\n`, terminator: 'END\r\n', perBatch: 1 },
      { id: 'mg', dialect: 'meta', wire: '`mg k v f O<n>` ×256', encode: each((k, i) => `mg ${k} v f O${i}\r\n`), terminator: 'VA ', perCommand: 1 },
      { id: 'mg q', dialect: 'meta', wire: '`mg k v f q O<n>` ×256 + `mn`', encode: each((k, i) => `mg ${k} v f q O${i}\r\n`, 'mn\r\n'), ...MN },
    ],
  },
  {
    id: 'set', title: 'set (100 B)', keys: (b) => batchOf(KEYS, b),
    forms: [
      { id: 'text set', base: true, dialect: 'text', wire: '`set k 0 0 100` ×256', encode: each((k) => `set ${k} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`), terminator: 'STORED\r\n', perCommand: 1 },
      { id: 'text set noreply', dialect: 'text', wire: '`set k 0 0 100 noreply` ×256 + `mn` (failures unseen)', encode: each((k) => `set ${k} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`, 'mn\r\n'), ...QUIET },
      { id: 'ms', dialect: 'meta', wire: '`ms k 100 F0 T0 O<n>` ×256', encode: each((k, i) => `ms ${k} ${VALUE.length} F0 T0 O${i}\r\n${VALUE}\r\n`), terminator: 'HD ', perCommand: 1 },
      { id: 'ms q', dialect: 'meta', wire: '`ms k 100 F0 T0 q O<n>` ×256 + `mn` (what the client sends)', encode: each((k, i) => `ms ${k} ${VALUE.length} F0 T0 q O${i}\r\n${VALUE}\r\n`, 'mn\r\n'), ...QUIET },
    ],
  },
  {
    id: 'delete', title: 'delete (hits)', keys: (b) => makeKeys(BATCH, `bench:del:${b}`), pool: 1000,
    forms: [
      { id: 'text delete', base: true, dialect: 'text', wire: '`delete k` ×256', encode: each((k) => `delete ${k}\r\n`), terminator: 'DELETED\r\n', perCommand: 1 },
      { id: 'text delete noreply', dialect: 'text', wire: '`delete k noreply` ×256 + `mn` (failures unseen)', encode: each((k) => `delete ${k} noreply\r\n`, 'mn\r\n'), ...QUIET },
      { id: 'md', dialect: 'meta', wire: '`md k O<n>` ×256', encode: each((k, i) => `md ${k} O${i}\r\n`), terminator: 'HD ', perCommand: 1 },
      { id: 'md q', dialect: 'meta', wire: '`md k q O<n>` ×256 + `mn` (what the client sends)', encode: each((k, i) => `md ${k} q O${i}\r\n`, 'mn\r\n'), ...QUIET },
    ],
  },
  {
    id: 'touch', title: 'touch (hits)', keys: (b) => batchOf(KEYS, b),
    setup: () => [...Array(KEY_COUNT / BATCH).keys()].map((b) => quietStore(batchOf(KEYS, b))),
    forms: [
      { id: 'text touch', base: true, dialect: 'text', wire: `\`touch k ${TTL}\` ×256 (what the client sends)`, encode: each((k) => `touch ${k} ${TTL}\r\n`), terminator: 'TOUCHED\r\n', perCommand: 1 },
      { id: 'text touch noreply', dialect: 'text', wire: `\`touch k ${TTL} noreply\` ×256 + \`mn\` (failures unseen)`, encode: each((k) => `touch ${k} ${TTL} noreply\r\n`, 'mn\r\n'), ...QUIET },
      { id: 'mg T', dialect: 'meta', wire: `\`mg k T${TTL} O<n>\` ×256`, encode: each((k, i) => `mg ${k} T${TTL} O${i}\r\n`), terminator: 'HD ', perCommand: 1 },
      // q on mg hides only misses (EN): every hit is still answered HD, so this is not quiet.
      { id: 'mg T q', dialect: 'meta', wire: `\`mg k T${TTL} q O<n>\` ×256 + \`mn\` (hits still answered)`, encode: each((k, i) => `mg ${k} T${TTL} q O${i}\r\n`, 'mn\r\n'), ...MN },
    ],
  },
  {
    id: 'incr', title: 'incr by 1', keys: (b) => batchOf(COUNTERS, b),
    setup: () => [...Array(KEY_COUNT / BATCH).keys()].map((b) => each((k, i) => `ms ${k} 1 T0 q O${i}\r\n0\r\n`, 'mn\r\n')(batchOf(COUNTERS, b))),
    forms: [
      { id: 'text incr', base: true, dialect: 'text', wire: '`incr k 1` ×256', encode: each((k) => `incr ${k} 1\r\n`), terminator: '\r\n', perCommand: 1 },
      { id: 'text incr noreply', dialect: 'text', wire: '`incr k 1 noreply` ×256 + `mn` (no value back)', encode: each((k) => `incr ${k} 1 noreply\r\n`, 'mn\r\n'), ...QUIET },
      { id: 'ma v', dialect: 'meta', wire: '`ma k D1 v O<n>` ×256 (what the client sends)', encode: each((k, i) => `ma ${k} D1 v O${i}\r\n`), terminator: 'VA ', perCommand: 1 },
      { id: 'ma q', dialect: 'meta', wire: '`ma k D1 q O<n>` ×256 + `mn` (no value back; the client\'s noreply)', encode: each((k, i) => `ma ${k} D1 q O${i}\r\n`, 'mn\r\n'), ...QUIET },
    ],
  },
];
