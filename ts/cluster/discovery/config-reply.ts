/**
 * The reply to `config get cluster`, as an ElastiCache (memcached) configuration endpoint sends it:
 *
 *     CONFIG cluster 0 <length>\r\n
 *     <version>\n
 *     <host>|<ip>|<port> <host>|<ip>|<port> ...\n
 *     \r\n
 *     END\r\n
 *
 * `<length>` counts the bytes of the two lines between. Pure functions over the bytes received so
 * far: the discovery client calls `scanConfigReply` after every read until it is complete. The
 * core's reply scanner knows no CONFIG line (to it, one is a malformed reply), hence this reader.
 */
import net from 'node:net';
import { DiscoveryError } from '../../errors.js';

export interface ConfigNode {
  /** The node's DNS name (may be empty when the endpoint lists only addresses). */
  readonly host: string;
  /** Its IP address (may be empty when the endpoint lists only names). */
  readonly ip: string;
  readonly port: number;
}

export interface ClusterConfig {
  /** Raised by the endpoint on every change of the node list. */
  readonly version: number;
  readonly nodes: readonly ConfigNode[];
}

export type ConfigScan = { readonly complete: false } | { readonly complete: true; readonly config: ClusterConfig };

/** A reply this large (1 MiB, some 15 000 nodes) is no configuration: it is refused, not buffered on. */
export const MAX_CONFIG_REPLY = 1024 * 1024;
/** The header line is short; this many bytes without `\r\n` are garbage. */
const MAX_HEADER = 256;
const HEADER = /^CONFIG cluster (\d+) (\d+)$/;
const TRAILER = '\r\nEND\r\n';
const INCOMPLETE: ConfigScan = Object.freeze({ complete: false });

/**
 * Reads `bytes` (everything the endpoint sent so far): incomplete, or the configuration. Throws a
 * DiscoveryError: 'unsupported' for `ERROR` (the endpoint does not know the command: plain
 * memcached), 'malformed' for anything else that is not such a reply. `endpoint` names it in errors.
 */
export function scanConfigReply(bytes: Buffer, endpoint: string): ConfigScan {
  if (bytes.length > MAX_CONFIG_REPLY) throw malformed(endpoint, `the reply passes ${MAX_CONFIG_REPLY} bytes`);
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd < 0) {
    if (bytes.length > MAX_HEADER) throw malformed(endpoint, `no header line within ${MAX_HEADER} bytes`);
    return INCOMPLETE;
  }
  const header = bytes.toString('latin1', 0, lineEnd);
  if (header === 'ERROR') throw new DiscoveryError('unsupported', `${endpoint} does not know \`config get cluster\` (it answered ERROR): not a configuration endpoint`, { server: endpoint });
  const match = HEADER.exec(header);
  if (match === null) throw malformed(endpoint, `not a CONFIG cluster reply: ${quote(header)}`);
  const length = Number(match[2]);
  if (length > MAX_CONFIG_REPLY) throw malformed(endpoint, `declares ${length} bytes of data`);
  const dataEnd = lineEnd + 2 + length;
  if (bytes.length < dataEnd + TRAILER.length) return INCOMPLETE;
  if (bytes.toString('latin1', dataEnd, dataEnd + TRAILER.length) !== TRAILER) throw malformed(endpoint, 'the data is not followed by \\r\\nEND\\r\\n (a wrong length?)');
  return { complete: true, config: parseConfigData(bytes.toString('latin1', lineEnd + 2, dataEnd), endpoint) };
}

/** The data block: the version line, then the node line, each ending with `\n`. */
export function parseConfigData(text: string, endpoint: string): ClusterConfig {
  if (!text.endsWith('\n')) throw malformed(endpoint, 'the node line does not end with \\n');
  const lines = text.slice(0, -1).split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length !== 2) throw malformed(endpoint, `expected a version line and a node line, got ${lines.length} line(s)`);
  const [versionText, nodeText] = lines;
  if (!/^\d{1,15}$/.test(versionText)) throw malformed(endpoint, `the version is not a decimal number: ${quote(versionText)}`);
  const entries = nodeText.split(' ').filter((entry) => entry !== '');
  if (entries.length === 0) throw malformed(endpoint, 'it lists no node');
  return { version: Number(versionText), nodes: entries.map((entry) => parseNode(entry, endpoint)) };
}

/** `host|ip|port`: a name, an address, or both. */
function parseNode(entry: string, endpoint: string): ConfigNode {
  const parts = entry.split('|');
  if (parts.length !== 3) throw malformed(endpoint, `a node is host|ip|port: ${quote(entry)}`);
  const [host, ip, portText] = parts;
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) throw malformed(endpoint, `bad port in ${quote(entry)}`);
  if (ip !== '' && net.isIP(ip) === 0) throw malformed(endpoint, `not an IP address in ${quote(entry)}`);
  if (!/^[A-Za-z0-9._-]*$/.test(host) || (host === '' && ip === '')) throw malformed(endpoint, `bad host name in ${quote(entry)}`);
  return { host, ip, port };
}

/**
 * The server a node is connected to: its IP address (no DNS lookup per connection, as AWS's own
 * clients do), else its name; with TLS its name, which its certificate names.
 */
export function nodeServer(node: ConfigNode, tls: boolean): { host: string; port: number } {
  const host = (tls && node.host !== '') || node.ip === '' ? node.host : node.ip;
  return { host, port: node.port };
}

function malformed(endpoint: string, why: string): DiscoveryError {
  return new DiscoveryError('malformed', `${endpoint} sent no usable cluster configuration: ${why}`, { server: endpoint });
}

/** At most 80 characters of reply text, control bytes escaped. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
