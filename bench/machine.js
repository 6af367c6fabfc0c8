// What the report says about where it ran: date, Node, CPU, OS and memcached version.
import os from 'node:os';
import { memcachedVersion } from './server.js';

export function describeMachine() {
  return {
    date: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memcached: memcachedVersion(),
  };
}
