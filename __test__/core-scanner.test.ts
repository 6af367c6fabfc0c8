import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH, ReplyKind, SCAN_STRIDE } from '../ts/core/contract.js';
import { describeEachCore } from './support/cores.js';
import { CAPTURED_META_REPLIES, junkStream, replyStream } from './support/reply-streams.js';
import { type Reply, scanArrivals, scanOnce } from './support/scan-records.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** An expected record; fields default to empty. */
function reply(kind: Reply['kind'], start: number, end: number, fields: Partial<Pick<Reply, 'a' | 'b' | 'flags' | 'c'>> = {}): Reply {
  return { kind, start, end, a: '', b: '', flags: 0, c: '', ...fields };
}

/**
 * The MALFORMED record for `judged`, the bytes the scanner examined from `start` (the line with
 * its `\n`, a VALUE with its data and the 2 bytes after it, or MAX_LINE_LENGTH + 2 bytes).
 * Scanner decision 10: nothing is consumed (F_END = F_START); A shows at most 256 bytes.
 */
function malformed(start: number, judged: string): Reply {
  return reply('MALFORMED', start, start, { a: judged.slice(0, 256) });
}

/** A single reply spanning all of `line`. */
function only(kind: Reply['kind'], line: string, fields: Partial<Pick<Reply, 'a' | 'b' | 'flags' | 'c'>> = {}): Reply[] {
  return [reply(kind, 0, line.length, fields)];
}

const BARE_KINDS = ['END', 'STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'RESET'] as const;

/** A stream with every kind of reply, for the split and capacity tests. */
const MIXED_STREAM = [
  'STORED\r\n',
  'VALUE user:1 42 10 9001\r\nhello\r\nEND\r\n',
  'VALUE empty 0 0\r\n\r\n',
  'VALUE bin 4294967295 7\r\n\r\n\r\nEND\r\n',
  'END\r\n',
  '18446744073709551615  \r\n',
  'STAT pid 1234\r\n',
  'STAT empty \r\n',
  'VERSION 1.6.21\r\n',
  'SERVER_ERROR out of memory storing object\r\n',
  'CLIENT_ERROR\r\n',
  'NOT_FOUND\r\n',
  'DELETED\r\n',
  'TOUCHED\r\n',
  'EXISTS\r\n',
  'NOT_STORED\r\n',
  'OK\r\n',
  'RESET\r\n',
  'ERROR\r\n',
  '0\r\n',
  'HD c1 O1 kfoo\r\n',
  'VA 8 f42 c1 t-1 s8 O123 kfoo\r\nEN\r\nHD\r\n\r\n',
  'EN O7 kmissing\r\n',
  'NS\r\n',
  'EX O3\r\n',
  'NF O6\r\n',
  'VA 0 c6 Z X\r\n\r\n',
  'ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\n',
  'MN\r\n',
].join('');

/** Lines that are no valid reply, each with the A the MALFORMED record shows. */
const MALFORMED_LINES: ReadonlyArray<readonly [string, string]> = [
  ['stored\r\n', 'lowercase keyword'],
  ['END \r\n', 'bare keyword with a trailing space'],
  ['OK  \r\n', 'bare keyword with trailing spaces'],
  ['STOREDX\r\n', 'keyword with extra text'],
  ['DELETED now\r\n', 'bare keyword with a word after it'],
  ['VERSIONX\r\n', 'message keyword glued to text'],
  ['\r\n', 'empty line'],
  ['STORED\n', 'bare \\n ending'],
  ['\n', 'lone \\n'],
  ['STORED\r\r\n', 'stray \\r before \\r\\n'],
  ['HTTP/1.1 400 Bad Request\r\n', 'not memcached at all'],
  ['STAT\r\n', 'STAT without a name'],
  ['STAT \r\n', 'STAT with an empty name'],
  ['STAT  uptime 5\r\n', 'STAT with a double space'],
  ['18446744073709551616\r\n', 'NUMBER just past 2^64-1'],
  ['99999999999999999999\r\n', 'NUMBER of 20 nines'],
  ['123456789012345678901\r\n', 'NUMBER of 21 digits'],
  ['12a\r\n', 'NUMBER with a letter'],
  ['12 3\r\n', 'NUMBER with a space inside'],
  [' 12\r\n', 'NUMBER with a leading space'],
  ['VALUE\r\n', 'VALUE without fields'],
  ['VALUE k 0\r\n', 'VALUE without bytes'],
  ['VALUE k 0 3 1 2\r\n', 'VALUE with five fields'],
  ['VALUE k 0 3 \r\n', 'VALUE with a trailing space'],
  ['VALUE  k 0 3\r\n', 'VALUE with an empty key'],
  ['VALUE k  0 3\r\n', 'VALUE with a double space'],
  ['VALUE k x 3\r\n', 'VALUE with non-decimal flags'],
  ['VALUE k -1 3\r\n', 'VALUE with negative flags'],
  ['VALUE k 4294967296 3\r\n', 'VALUE flags past u32'],
  ['VALUE k 0 4294967296\r\n', 'VALUE bytes past u32'],
  ['VALUE k 0 3 18446744073709551616\r\n', 'VALUE cas past u64'],
  ['VALUE k 00000004294967296 3\r\n', 'VALUE flags past u32 after leading zeros'],
  ['VALUE k 0 0000009999999999\r\n', 'VALUE bytes past u32 after leading zeros'],
  ['VALUE k 0 3 00018446744073709551616\r\n', 'VALUE cas past u64 after leading zeros'],
  ['VALUE k 0 3 0x10\r\n', 'VALUE hexadecimal cas'],
  ['value k 0 3\r\n', 'lowercase VALUE'],
  ['HD \r\n', 'meta code with a trailing space'],
  ['HD  c1\r\n', 'meta flags after a double space'],
  ['HD c1  O2\r\n', 'meta flags with a double space'],
  ['EN O1 \r\n', 'meta flags with a trailing space'],
  ['HDX\r\n', 'meta code glued to text'],
  ['hd\r\n', 'lowercase meta code'],
  ['HD\tc1\r\n', 'meta code and a tab'],
  ['HD fx\r\n', 'client flags not decimal'],
  ['HD f\r\n', 'client flags empty'],
  ['NS f4294967296\r\n', 'client flags past u32'],
  ['VA\r\n', 'VA without datalen'],
  ['VA \r\n', 'VA with an empty datalen'],
  ['VA x\r\n', 'VA with a non-decimal datalen'],
  ['VA 4294967296\r\n', 'VA datalen past u32'],
  ['VA 1  f1\r\n', 'VA flags after a double space'],
  ['VA 1 f-1\r\n', 'VA with negative client flags'],
  ['VA 1 f00004294967296\r\n', 'VA client flags past u32 after leading zeros'],
  ['VA 1 f1x\r\n', 'VA client flags with a letter after the digits'],
  ['VA 1 c1 \r\n', 'VA flags with a trailing space'],
  ['VA 1\rZa\r\n', 'VA datalen with a lone \\r after it'],
  ['VALUE k 0 1\rZa\r\n', 'VALUE bytes with a lone \\r after them'],
  ['MN \r\n', 'MN with a trailing space'],
  ['MN O1\r\n', 'MN with flags'],
  ['ME\r\n', 'ME without a key'],
  ['ME  foo x\r\n', 'ME with an empty key'],
  ['OK c1\r\n', 'pre-1.6.10 meta OK'],
];

describeEachCore('reply scanner', (core) => {
  describe('bare replies', () => {
    it.each(BARE_KINDS)('%s', (kind) => {
      const line = `${kind}\r\n`;
      const result = scanOnce(core, bytes(line));
      expect(result.words).toEqual([ReplyKind[kind], 0, line.length, 0, 0, 0, 0, 0, 0, 0]);
      expect(result.consumed).toBe(line.length);
    });
  });

  describe('message replies', () => {
    it('reads the text after the keyword, inner and trailing spaces kept', () => {
      expect(scanOnce(core, bytes('SERVER_ERROR  out of  memory \r\n')).replies).toEqual(
        only('SERVER_ERROR', 'SERVER_ERROR  out of  memory \r\n', { a: ' out of  memory ' }),
      );
      expect(scanOnce(core, bytes('CLIENT_ERROR bad data chunk\r\n')).replies).toEqual(
        only('CLIENT_ERROR', 'CLIENT_ERROR bad data chunk\r\n', { a: 'bad data chunk' }),
      );
      expect(scanOnce(core, bytes('VERSION 1.6.21\r\n')).replies).toEqual(only('VERSION', 'VERSION 1.6.21\r\n', { a: '1.6.21' }));
      expect(scanOnce(core, bytes('ERROR unknown command\r\n')).replies).toEqual(
        only('ERROR', 'ERROR unknown command\r\n', { a: 'unknown command' }),
      );
    });

    it('gives an empty text at the line end when the keyword stands alone or ends in a space', () => {
      expect(scanOnce(core, bytes('VERSION\r\n')).words).toEqual([ReplyKind.VERSION, 0, 9, 7, 0, 0, 0, 0, 0, 0]);
      expect(scanOnce(core, bytes('CLIENT_ERROR \r\n')).words).toEqual([ReplyKind.CLIENT_ERROR, 0, 15, 13, 0, 0, 0, 0, 0, 0]);
      expect(scanOnce(core, bytes('SERVER_ERROR\r\n')).words).toEqual([ReplyKind.SERVER_ERROR, 0, 14, 12, 0, 0, 0, 0, 0, 0]);
      expect(scanOnce(core, bytes('ERROR\r\n')).words).toEqual([ReplyKind.ERROR, 0, 7, 5, 0, 0, 0, 0, 0, 0]);
    });

    it('keeps a lone \\r inside the text', () => {
      expect(scanOnce(core, bytes('SERVER_ERROR a\rb\r\n')).replies).toEqual(only('SERVER_ERROR', 'SERVER_ERROR a\rb\r\n', { a: 'a\rb' }));
    });
  });

  describe('NUMBER', () => {
    it.each([
      ['42\r\n', '42'],
      ['0\r\n', '0'],
      ['18446744073709551615\r\n', '18446744073709551615'],
      ['7   \r\n', '7'],
      ['000018446744073709551615\r\n', '000018446744073709551615'],
    ])('%j gives the digits %j', (line, digits) => {
      expect(scanOnce(core, bytes(line)).replies).toEqual(only('NUMBER', line, { a: digits }));
    });
  });

  describe('STAT', () => {
    it('splits the name from the rest of the line', () => {
      const stream = 'STAT pid 1234\r\nSTAT version 1.6.21\r\nSTAT text with  spaces \r\nEND\r\n';
      expect(scanOnce(core, bytes(stream)).replies).toEqual([
        reply('STAT', 0, 15, { a: 'pid', b: '1234' }),
        reply('STAT', 15, 36, { a: 'version', b: '1.6.21' }),
        reply('STAT', 36, 61, { a: 'text', b: 'with  spaces ' }),
        reply('END', 61, 66),
      ]);
    });

    it('gives an empty value at the line end for `STAT name` and `STAT name `', () => {
      expect(scanOnce(core, bytes('STAT name\r\n')).words).toEqual([ReplyKind.STAT, 0, 11, 5, 4, 9, 0, 0, 0, 0]);
      expect(scanOnce(core, bytes('STAT name \r\n')).words).toEqual([ReplyKind.STAT, 0, 12, 5, 4, 10, 0, 0, 0, 0]);
    });
  });

  describe('VALUE', () => {
    it('reads key, flags, data and no cas', () => {
      const stream = 'VALUE foo 5 3\r\nbar\r\nEND\r\n';
      expect(scanOnce(core, bytes(stream)).replies).toEqual([reply('VALUE', 0, 20, { a: 'foo', b: 'bar', flags: 5 }), reply('END', 20, 25)]);
      // An absent cas is an empty span at the header's line end.
      expect(scanOnce(core, bytes(stream)).words.slice(0, SCAN_STRIDE)).toEqual([ReplyKind.VALUE, 0, 20, 6, 3, 15, 3, 5, 13, 0]);
    });

    it('reads the cas digits of a gets reply', () => {
      const stream = 'VALUE foo 0 3 18446744073709551615\r\nbar\r\n';
      expect(scanOnce(core, bytes(stream)).replies).toEqual(only('VALUE', stream, { a: 'foo', b: 'bar', c: '18446744073709551615' }));
    });

    it('reads data by its length only, whatever it contains', () => {
      const data = 'a\r\nEND\r\nVALUE x 0 1\r\nb\r\n\n\r';
      const stream = `VALUE k 1 ${data.length}\r\n${data}\r\nEND\r\n`;
      const header = `VALUE k 1 ${data.length}\r\n`.length;
      expect(scanOnce(core, bytes(stream)).replies).toEqual([
        reply('VALUE', 0, header + data.length + 2, { a: 'k', b: data, flags: 1 }),
        reply('END', header + data.length + 2, stream.length),
      ]);
    });

    it('gives an empty value an empty span at the data start', () => {
      expect(scanOnce(core, bytes('VALUE k 0 0\r\n\r\n')).words).toEqual([ReplyKind.VALUE, 0, 15, 6, 1, 13, 0, 0, 11, 0]);
    });

    it('accepts the largest flags, any non-space key bytes and leading zeros', () => {
      const stream = 'VALUE k\xe9y\x01 4294967295 0003\r\nabc\r\n';
      expect(scanOnce(core, bytes(stream)).replies).toEqual(only('VALUE', stream, { a: 'k\xe9y\x01', b: 'abc', flags: 4294967295 }));
    });

    it('reads the headers its fast path leaves to the careful one: numbers padded to the edge of their range, odd key bytes', () => {
      const padded = 'VALUE k 00000004294967295 000000000003 00018446744073709551615\r\nabc\r\n';
      expect(scanOnce(core, bytes(padded)).replies).toEqual(only('VALUE', padded, { a: 'k', b: 'abc', flags: 4294967295, c: '00018446744073709551615' }));
      const loneCr = 'VALUE k\ry\x00 0 3\r\nabc\r\n';
      expect(scanOnce(core, bytes(loneCr)).replies).toEqual(only('VALUE', loneCr, { a: 'k\ry\x00', b: 'abc' }));
      const long = `VALUE ${'k'.repeat(600)} 7 3\r\nabc\r\n`;
      expect(scanOnce(core, bytes(long)).replies).toEqual(only('VALUE', long, { a: 'k'.repeat(600), b: 'abc', flags: 7 }));
    });

    it('reads every item of a multi-get', () => {
      const items = Array.from({ length: 50 }, (_, i) => `VALUE key:${i} ${i} ${i}\r\n${'x'.repeat(i)}\r\n`);
      const result = scanOnce(core, bytes(`${items.join('')}END\r\n`));
      expect(result.replies).toHaveLength(51);
      result.replies.slice(0, 50).forEach((r, i) => expect([r.kind, r.a, r.flags, r.b]).toEqual(['VALUE', `key:${i}`, i, 'x'.repeat(i)]));
      expect(result.replies[50].kind).toBe('END');
    });

    it('is MALFORMED when the data is not followed by \\r\\n, showing header and data', () => {
      const stream = 'VALUE k 0 3\r\nbarX\r\n';
      expect(scanOnce(core, bytes(stream)).replies).toEqual([malformed(0, 'VALUE k 0 3\r\nbarX\r')]);
      expect(scanOnce(core, bytes('VALUE k 0 3\r\nbar\n\r')).replies[0].kind).toBe('MALFORMED');
    });

    it('waits for the whole data block and its \\r\\n', () => {
      const stream = 'VALUE k 0 5\r\nhello\r\n';
      for (let end = 0; end < stream.length; end++) expect(scanOnce(core, bytes(stream), 0, end).replies).toEqual([]);
      expect(scanOnce(core, bytes(stream)).replies).toHaveLength(1);
    });

    it('takes data blocks far longer than the line limit', () => {
      const data = 'v'.repeat(100_000);
      const stream = `VALUE big 0 ${data.length}\r\n${data}\r\n`;
      expect(scanOnce(core, bytes(stream)).replies).toEqual(only('VALUE', stream, { a: 'big', b: data }));
    });
  });

  describe('meta replies', () => {
    it.each([
      ['HD', 'META_HD'],
      ['EN', 'META_EN'],
      ['NS', 'META_NS'],
      ['EX', 'META_EX'],
      ['NF', 'META_NF'],
    ] as const)('%s alone has empty flags and opaque at the line end', (code, kind) => {
      expect(scanOnce(core, bytes(`${code}\r\n`)).words).toEqual([ReplyKind[kind], 0, 4, 2, 0, 0, 0, 0, 2, 0]);
    });

    it('MN has no fields', () => {
      expect(scanOnce(core, bytes('MN\r\n')).words).toEqual([ReplyKind.META_MN, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
    });

    it('tells meta codes from the text keywords that start alike', () => {
      const stream = 'END\r\nEN\r\nEXISTS\r\nEX\r\nNOT_FOUND\r\nNF\r\nNOT_STORED\r\nNS\r\nOK\r\nHD\r\n';
      expect(scanOnce(core, bytes(stream)).replies.map((r) => r.kind)).toEqual([
        'END', 'META_EN', 'EXISTS', 'META_EX', 'NOT_FOUND', 'META_NF', 'NOT_STORED', 'META_NS', 'OK', 'META_HD',
      ]);
    });

    it('gives the flags as A, the client flags as FLAGS and the opaque as C, wherever they stand', () => {
      expect(scanOnce(core, bytes('HD c1 O1 kfoo\r\n')).replies).toEqual(only('META_HD', 'HD c1 O1 kfoo\r\n', { a: 'c1 O1 kfoo', c: '1' }));
      expect(scanOnce(core, bytes('EN Oabc\r\n')).replies).toEqual(only('META_EN', 'EN Oabc\r\n', { a: 'Oabc', c: 'abc' }));
      expect(scanOnce(core, bytes('NS t-1 f4294967295 W\r\n')).replies).toEqual(
        only('META_NS', 'NS t-1 f4294967295 W\r\n', { a: 't-1 f4294967295 W', flags: 4294967295 }),
      );
      // The first `f` and `O` count; later ones stay in A, unchecked.
      expect(scanOnce(core, bytes('EX f007 Ox fy Oz\r\n')).replies).toEqual(only('META_EX', 'EX f007 Ox fy Oz\r\n', { a: 'f007 Ox fy Oz', flags: 7, c: 'x' }));
    });

    it('reads a flag that is not an ASCII letter and then printable ASCII as MALFORMED (a garbled f or W passes for no other, nor for none)', () => {
      for (const garbled of ['NF O\xff\r1 k\x00\r\n', 'HD W\x80 O1\r\n', 'HD 1W\r\n', 'VA 3 \x80f16 c7 O1\r\nabc\r\n', 'VA 0 f0 c7 \x80W O1\r\n\r\n', 'VA 3 k\rx f2 O1\r\nabc\r\n']) {
        const replies = scanOnce(core, bytes(garbled)).replies;
        expect(replies.map((r) => r.kind), JSON.stringify(garbled)).toEqual(['MALFORMED']);
      }
    });

    it('starts an absent opaque at the line end and an empty one just after its O', () => {
      expect(scanOnce(core, bytes('HD c1\r\n')).words).toEqual([ReplyKind.META_HD, 0, 7, 3, 2, 0, 0, 0, 5, 0]);
      expect(scanOnce(core, bytes('HD O c1\r\n')).words).toEqual([ReplyKind.META_HD, 0, 9, 3, 4, 0, 0, 0, 4, 0]);
    });

    it('reads the VA headers its fast path leaves to the careful one: padded numbers, a second f', () => {
      const padded = 'VA 0000000003 f00004294967295 O7\r\nabc\r\n';
      expect(scanOnce(core, bytes(padded)).replies).toEqual(only('META_VA', padded, { a: 'f00004294967295 O7', b: 'abc', flags: 4294967295, c: '7' }));
      expect(scanOnce(core, bytes('VA 3 O1 f5 O2 f6\r\nabc\r\n')).replies).toEqual(only('META_VA', 'VA 3 O1 f5 O2 f6\r\nabc\r\n', { a: 'O1 f5 O2 f6', b: 'abc', flags: 5, c: '1' }));
      for (const header of ['VA 1 c1 \r\n', 'VA 1 c1  O2\r\n', 'VA 1 \r\n']) expect(scanOnce(core, bytes(`${header}x\r\n`)).replies).toEqual([malformed(0, header)]);
      const odd = 'VA 3 kx f2 f9x O1 Oz\r\nabc\r\n';
      expect(scanOnce(core, bytes(odd)).replies).toEqual(only('META_VA', odd, { a: 'kx f2 f9x O1 Oz', b: 'abc', flags: 2, c: '1' }));
    });

    it('reads VA data by its declared length, with the flags after the datalen', () => {
      const data = 'EN\r\nVA 1\r\n\n\r';
      const stream = `VA ${data.length} f42 c1 O9\r\n${data}\r\nMN\r\n`;
      const header = `VA ${data.length} f42 c1 O9\r\n`.length;
      expect(scanOnce(core, bytes(stream)).replies).toEqual([
        reply('META_VA', 0, header + data.length + 2, { a: 'f42 c1 O9', b: data, flags: 42, c: '9' }),
        reply('META_MN', header + data.length + 2, stream.length),
      ]);
    });

    it('gives an empty VA an empty B at the data start, and flags at the line end when none', () => {
      expect(scanOnce(core, bytes('VA 0\r\n\r\n')).words).toEqual([ReplyKind.META_VA, 0, 8, 4, 0, 6, 0, 0, 4, 0]);
      expect(scanOnce(core, bytes('VA 00\r\n\r\n')).replies).toEqual(only('META_VA', 'VA 00\r\n\r\n'));
    });

    it('waits for the whole VA data block and is MALFORMED when \\r\\n does not follow it', () => {
      const stream = 'VA 5 O1\r\nhello\r\n';
      for (let end = 0; end < stream.length; end++) expect(scanOnce(core, bytes(stream), 0, end).replies).toEqual([]);
      expect(scanOnce(core, bytes('VA 3 O1\r\nbarX\r\n')).replies).toEqual([malformed(0, 'VA 3 O1\r\nbarX\r')]);
    });

    it('takes VA data far longer than the line limit', () => {
      const data = 'v'.repeat(100_000);
      const stream = `VA ${data.length} f3\r\n${data}\r\n`;
      expect(scanOnce(core, bytes(stream)).replies).toEqual(only('META_VA', stream, { a: 'f3', b: data, flags: 3 }));
    });

    it('reads ME as STAT: the key, then the rest of the line', () => {
      const line = 'ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\n';
      expect(scanOnce(core, bytes(line)).replies).toEqual(only('META_ME', line, { a: 'foo', b: 'exp=-1 la=0 cas=1 fetch=yes cls=1 size=71' }));
      expect(scanOnce(core, bytes('ME foo\r\n')).words).toEqual([ReplyKind.META_ME, 0, 8, 3, 3, 6, 0, 0, 0, 0]);
    });

    it('applies the line limit to meta lines', () => {
      const line = (length: number): string => `HD O${'x'.repeat(length - 4)}\r\n`;
      expect(scanOnce(core, bytes(line(MAX_LINE_LENGTH))).replies[0].c).toHaveLength(MAX_LINE_LENGTH - 4);
      expect(scanOnce(core, bytes(line(MAX_LINE_LENGTH + 1))).replies[0].kind).toBe('MALFORMED');
    });

    describe.each(CAPTURED_META_REPLIES)('as memcached 1.6.18 sent them to `$request`', ({ reply: text }) => {
      const stream = bytes(text);
      const full = scanOnce(core, stream);

      it('reads every reply, none MALFORMED', () => {
        expect(full.consumed).toBe(stream.length);
        expect(full.replies.map((r) => r.kind)).not.toContain('MALFORMED');
        expect(full.replies.map((r) => text.slice(r.start, r.end)).join('')).toBe(text);
      });

      it('gives the same records cut at any byte, and arriving byte by byte', () => {
        for (let cut = 0; cut <= stream.length; cut++) {
          expect(scanArrivals(core, stream, [cut, stream.length]), `cut at ${cut}`).toEqual(full.words);
        }
        expect(scanArrivals(core, stream, Array.from({ length: stream.length }, (_, i) => i + 1))).toEqual(full.words);
      });
    });

    it('finds the opaque and client flags memcached returned', () => {
      const [, hit, , counters] = CAPTURED_META_REPLIES.map(({ reply: text }) => scanOnce(core, bytes(text)).replies);
      expect(hit[1]).toMatchObject({ kind: 'META_VA', a: 'f42 c1 t-1 s5 O123 kfoo', b: 'hello', flags: 42, c: '123' });
      expect(counters.map((r) => [r.kind, r.c])).toEqual([
        ['META_NF', '1'], ['META_VA', '2'], ['META_VA', ''], ['META_VA', '1'], ['META_VA', '2'], ['META_HD', ''], ['META_VA', ''],
        ['META_VA', ''], ['META_VA', ''], ['CLIENT_ERROR', ''], ['META_HD', ''], ['ERROR', ''], ['META_MN', ''],
      ]);
    });
  });

  describe('MALFORMED', () => {
    it.each(MALFORMED_LINES)('%j (%s) is MALFORMED and ends the scan', (line) => {
      const result = scanOnce(core, bytes(`STORED\r\n${line}END\r\n`));
      expect(result.replies).toEqual([reply('STORED', 0, 8), malformed(8, line)]);
      expect(result.consumed).toBe(malformed(8, line).end);
    });

    it('shows at most 256 bytes of the offending line', () => {
      const line = `${'G'.repeat(300)}\r\n`;
      expect(scanOnce(core, bytes(line)).replies).toEqual([malformed(0, line)]);
    });

    it('ends a line at its first \\n', () => {
      expect(scanOnce(core, bytes('STO\nRED\r\n')).replies).toEqual([malformed(0, 'STO\n')]);
    });
  });

  describe('line length limit', () => {
    const message = (length: number): string => `SERVER_ERROR ${'x'.repeat(length - 'SERVER_ERROR '.length)}`;

    it('accepts a line of exactly MAX_LINE_LENGTH bytes before its \\r\\n', () => {
      const line = `${message(MAX_LINE_LENGTH)}\r\n`;
      expect(scanOnce(core, bytes(line)).replies).toEqual(only('SERVER_ERROR', line, { a: line.slice(13, -2) }));
    });

    it('is MALFORMED once MAX_LINE_LENGTH + 2 bytes hold no \\n, and waits before that', () => {
      const line = `${message(MAX_LINE_LENGTH + 1)}\r\n`;
      const buf = bytes(line);
      expect(scanOnce(core, buf, 0, MAX_LINE_LENGTH + 1).replies).toEqual([]);
      const tooLong = [malformed(0, line.slice(0, MAX_LINE_LENGTH + 2))];
      expect(scanOnce(core, buf, 0, MAX_LINE_LENGTH + 2).replies).toEqual(tooLong);
      expect(scanOnce(core, buf).replies).toEqual(tooLong);
    });

    it('applies to a garbage stream without any \\n', () => {
      const buf = Buffer.alloc(100_000, 0x41);
      expect(scanOnce(core, buf, 0, MAX_LINE_LENGTH + 1).replies).toEqual([]);
      expect(scanOnce(core, buf).replies).toEqual([malformed(0, 'A'.repeat(MAX_LINE_LENGTH + 2))]);
    });
  });

  describe('partial input', () => {
    const stream = bytes(MIXED_STREAM);
    const full = scanOnce(core, stream);

    it('reads the whole mixed stream', () => {
      expect(full.replies.map((r) => r.kind)).toEqual([
        'STORED', 'VALUE', 'VALUE', 'VALUE', 'END', 'NUMBER', 'STAT', 'STAT', 'VERSION', 'SERVER_ERROR',
        'CLIENT_ERROR', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'EXISTS', 'NOT_STORED', 'OK', 'RESET', 'ERROR', 'NUMBER',
        'META_HD', 'META_VA', 'META_EN', 'META_NS', 'META_EX', 'META_NF', 'META_VA', 'META_ME', 'META_MN',
      ]);
      expect(full.consumed).toBe(stream.length);
    });

    it('gives, cut at any byte, the complete replies before the cut and the rest from where it stopped', () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        const head = scanOnce(core, stream, 0, cut);
        const before = full.replies.filter((r) => r.end <= cut);
        expect(head.replies, `cut at ${cut}`).toEqual(before);
        expect(head.consumed).toBe(before.at(-1)?.end ?? 0);
        const tail = scanOnce(core, stream, head.consumed, stream.length);
        expect([...head.words, ...tail.words], `cut at ${cut}`).toEqual(full.words);
      }
    });

    it('gives the same records when the stream arrives one byte at a time', () => {
      const arrivals = Array.from({ length: stream.length }, (_, i) => i + 1);
      expect(scanArrivals(core, stream, arrivals)).toEqual(full.words);
    });

    it('ignores bytes past `end`, even ones that would complete a reply', () => {
      const buf = bytes('STORED\r\nEND\r\n');
      expect(scanOnce(core, buf, 0, 12).replies).toEqual([reply('STORED', 0, 8)]);
      expect(scanOnce(core, buf, 0, 7).replies).toEqual([]);
    });

    it('starts at `start` and writes absolute offsets', () => {
      const buf = bytes('garbage\nSTORED\r\nEND\r\n');
      expect(scanOnce(core, buf, 8).replies).toEqual([reply('STORED', 8, 16), reply('END', 16, 21)]);
    });

    it('clamps `end` to the buffer and scans nothing when `start` is not before `end`', () => {
      const buf = bytes('STORED\r\n');
      expect(scanOnce(core, buf, 0, 1000).replies).toEqual([reply('STORED', 0, 8)]);
      expect(scanOnce(core, buf, 8, 8).replies).toEqual([]);
      expect(scanOnce(core, buf, 5, 2).replies).toEqual([]);
    });

    it('scans a view into a larger buffer by the view’s own offsets', () => {
      const backing = bytes('xxxxSTORED\r\n');
      const view = backing.subarray(4);
      expect(scanOnce(core, view).replies).toEqual([reply('STORED', 0, 8)]);
    });
  });

  describe('output capacity', () => {
    const stream = bytes(MIXED_STREAM);
    const full = scanOnce(core, stream);

    it.each([1, 2, 3, 7])('stops when %i records fill the output and resumes from there', (capacity) => {
      expect(scanArrivals(core, stream, [stream.length], capacity)).toEqual(full.words);
      expect(scanOnce(core, stream, 0, stream.length, capacity).words).toEqual(full.words.slice(0, capacity * SCAN_STRIDE));
    });

    it('uses only whole records of an output whose length is no multiple of SCAN_STRIDE', () => {
      const out = new Uint32Array(2 * SCAN_STRIDE + 9).fill(0xdead);
      expect(core.scan(stream, 0, stream.length, out)).toBe(2);
      expect(Array.from(out.subarray(2 * SCAN_STRIDE))).toEqual(new Array(9).fill(0xdead));
    });

    it('writes nothing into an output without room for one record', () => {
      const out = new Uint32Array(SCAN_STRIDE - 1);
      expect(core.scan(stream, 0, stream.length, out)).toBe(0);
      expect(out.every((w) => w === 0)).toBe(true);
    });
  });

  describe('on arbitrary bytes', () => {
    /** A buffer, a range in it, and junk after the range. */
    const scanCase = fc.tuple(fc.oneof(junkStream, replyStream), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 20 })).map(([data, x, y, after]) => {
      const start = x % (data.length + 1);
      const end = start + (y % (data.length - start + 1));
      return { buf: Buffer.concat([data.subarray(0, end), after]), start, end };
    });

    it('never throws, chains records from `start` and keeps every field inside [start, end)', () => {
      fc.assert(
        fc.property(scanCase, ({ buf, start, end }) => {
          const { words } = scanOnce(core, buf, start, end, 16);
          let at = start;
          for (let o = 0; o < words.length; o += SCAN_STRIDE) {
            const [kind, first, last, aStart, aLen, bStart, bLen, , cStart, cLen] = words.slice(o, o + SCAN_STRIDE);
            expect(first).toBe(at);
            expect(last).toBeLessThanOrEqual(end);
            for (const [from, length] of [[aStart, aLen], [bStart, bLen], [cStart, cLen]]) {
              if (length > 0) expect(from >= start && from + length <= end).toBe(true);
            }
            if (kind === ReplyKind.MALFORMED) expect(o).toBe(words.length - SCAN_STRIDE);
            at = last;
          }
        }),
        { numRuns: 500 },
      );
    });

    it('reads nothing past `end`: the bytes after it never change the records', () => {
      fc.assert(
        fc.property(scanCase, fc.uint8Array({ minLength: 1, maxLength: 20 }), ({ buf, start, end }, other) => {
          const changed = Buffer.concat([buf.subarray(0, end), other]);
          expect(scanOnce(core, changed, start, end).words).toEqual(scanOnce(core, buf, start, end).words);
        }),
        { numRuns: 300 },
      );
    });

    it('gives for any prefix of the input a prefix of the records', () => {
      fc.assert(
        fc.property(scanCase, fc.nat(), ({ buf, start, end }, k) => {
          const cut = start + (k % (end - start + 1));
          const whole = scanOnce(core, buf, start, end).words;
          const prefix = scanOnce(core, buf, start, cut).words;
          expect(prefix).toEqual(whole.slice(0, prefix.length));
        }),
        { numRuns: 300 },
      );
    });
  });
});
