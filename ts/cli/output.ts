/**
 * How results and errors look: plain text for people (and shell pipes), or JSON with --json.
 * Values keep their type in JSON: text, numbers, bigints as decimal strings, bytes as base64.
 */
import { MemcacheError } from '../index.js';

/** What a command produced. */
export interface Report {
  /** 0: done; 1: a miss, not stored, not found, or a server failed. */
  exitCode: 0 | 1;
  /** Printed with --json. */
  json: unknown;
  /** Printed otherwise: text (a newline is added) or raw bytes (a bytes value, written as is). */
  text: string | Buffer;
}

/** A stored value as JSON-safe data. */
export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonValue(v)]));
  if (value instanceof Set) return [...value].map(jsonValue);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

/** A stored value for a terminal or a pipe: text and bytes as they are, numbers in decimal, the rest as JSON. */
export function textValue(value: unknown): string | Buffer {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(jsonValue(value));
}

/** An error as JSON: its stable code, message and server. */
export function errorJson(error: unknown): { code: string; message: string; server?: string } {
  if (error instanceof MemcacheError) {
    return { code: error.code, message: error.message, ...(error.server === undefined ? {} : { server: error.server }) };
  }
  return { code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
}

/** One line for an error: `CODE: message (server)`. */
export function errorText(error: unknown): string {
  const { code, message, server } = errorJson(error);
  return `${code}: ${message}${server === undefined ? '' : ` (${server})`}`;
}

export function writeReport(out: NodeJS.WritableStream, report: Report, json: boolean): void {
  if (json) out.write(`${JSON.stringify(report.json)}\n`);
  else if (typeof report.text === 'string') out.write(report.text === '' ? '' : `${report.text}\n`);
  else out.write(report.text);
}

/** Rows of cells as aligned columns. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}
