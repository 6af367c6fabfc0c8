/**
 * Which request a reply record answers, once quiet meta commands are in flight. Replies come in
 * the order the commands were written, but a quiet command (ReplyMode.ON_FAILURE) is answered
 * only when it fails, and a meta reply echoes the opaque of its request:
 * - a quiet request at the head owns a reply with one of its opaques; any other reply passes it
 *   over, which proves it succeeded (it is settled and leaves the queue);
 * - a request that always answers must be the owner: a meta reply must carry its opaque (a text
 *   one none), else the stream is out of step and the connection must go (ProtocolError);
 * - an error line carries no opaque. Arriving while quiet requests lead the queue, it belongs to
 *   one of them (a quiet run always ends with an `mn`, see RequestQueue.sendUnsent): every one of
 *   them fails with it, so a write the server refused never resolves as stored, and they stay
 *   queued to take the failure replies that may still come for them. A CLIENT_ERROR among
 *   commands that store may mean a value ran as commands: the connection must go.
 * The common case (a text request at the head, a text reply) never gets here: see
 * Connection.onRecords.
 */
import { ReplyKind } from '../core/index.js';
import { ProtocolError, type MemcacheError } from '../errors.js';
import { isErrorLine, isMetaReply, replyOpaque } from '../protocol/meta/replies.js';
import { errorReply } from '../protocol/replies.js';
import { ReplyMode, type Request } from '../protocol/request.js';
import type { RequestQueue } from './request-queue.js';

/**
 * The request that takes this record, after settling the quiet requests it passes over; undefined
 * when the record was an error line shared out among quiet requests. Throws a ProtocolError when
 * no request can own it.
 */
export function matchReply(queue: RequestQueue, kind: number, buf: Buffer, rec: Uint32Array, off: number, server: string): Request | undefined {
  const opaque = isMetaReply(kind) ? replyOpaque(buf, rec, off) : -1;
  for (;;) {
    const head = queue.head;
    if (head === undefined) throw new ProtocolError(`a ${ReplyKind[kind] ?? kind} reply with no request waiting for it`, { server });
    if (head.replyMode === ReplyMode.ON_FAILURE) {
      if (opaque >= 0 && head.ownsOpaque(opaque)) return head;
      if (isErrorLine(kind)) {
        failQuietRun(queue, errorReply(kind, buf, rec, off, server)!, server);
        return undefined;
      }
      queue.shift();
      head.onQuietSuccess();
      continue;
    }
    if (isErrorLine(kind) || answeredBy(head, opaque)) return head;
    throw mismatch(head, kind, opaque, server);
  }
}

/**
 * Whether a record can be `head`'s own reply: a meta request's carries its opaque; a text
 * request's (or `mn`'s) carries none, and its kind is for the request itself to judge.
 */
function answeredBy(head: Request, opaque: number): boolean {
  return head.opaque !== 0 ? opaque >= 0 && head.ownsOpaque(opaque) : opaque < 0;
}

/** Fails every quiet request leading the queue with an error line that any of them may own. */
function failQuietRun(queue: RequestQueue, error: MemcacheError, server: string): void {
  let stores = false;
  for (let r = queue.head; r !== undefined && r.replyMode === ReplyMode.ON_FAILURE; r = r.next) {
    stores ||= r.stores;
    if (r.settled) r.reportLateFailure(error);
    else r.fail(error);
  }
  if (stores && error.code === 'MEMCACHE_CLIENT_ERROR') {
    throw new ProtocolError(`${error.message} in reply to a batch of quiet storage commands; a value may have been read as commands, so the connection was closed`, {
      server,
      cause: error,
    });
  }
}

function mismatch(head: Request, kind: number, opaque: number, server: string): ProtocolError {
  const got = opaque >= 0 ? `opaque ${opaque}` : 'no opaque';
  const wanted = head.opaque !== 0 ? `opaque ${head.opaque}` : 'a reply without one';
  return new ProtocolError(`a ${ReplyKind[kind] ?? kind} reply with ${got} where ${wanted} was due`, { server });
}
