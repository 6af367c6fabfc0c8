// Watches for CPU use by anything other than the benchmark's own processes (parent, child,
// memcached), hypervisor steal included: on a shared 2-core machine a compile in the background
// changes how client and server share the cores and can halve a row. Linux only (/proc);
// elsewhere it reports nothing.
import { readFileSync } from 'node:fs';

const PERIOD_MS = 200;

function machineJiffies() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  // Interrupt time is left out: loopback traffic lands there without being charged to our pids.
  // Steal is kept: time the hypervisor gave to another machine is noise too.
  const busy = user + nice + system + steal;
  return { busy, total: busy + idle + iowait + irq + softirq };
}

function processJiffies(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return null; // exited between samples
  }
}

/**
 * Samples every 200 ms while running. `ours()` lists the pids that belong to the benchmark.
 * `take()` returns the share of all CPU time (0..1) used by anyone else since the last take.
 */
export function startLoadMonitor(ours) {
  let machine;
  try { machine = machineJiffies(); } catch { return { take: () => null, stop() {} }; }
  const seen = new Map();
  let other = 0;
  let total = 0;
  const sample = () => {
    const now = machineJiffies();
    let mine = 0;
    for (const pid of ours()) {
      const jiffies = processJiffies(pid);
      if (jiffies === null) continue;
      mine += jiffies - (seen.get(pid) ?? jiffies);
      seen.set(pid, jiffies);
    }
    other += Math.max(0, now.busy - machine.busy - mine);
    total += now.total - machine.total;
    machine = now;
  };
  const timer = setInterval(sample, PERIOD_MS);
  timer.unref();
  return {
    take() {
      sample();
      const share = total > 0 ? other / total : 0;
      other = 0;
      total = 0;
      return share;
    },
    stop() { clearInterval(timer); },
  };
}
