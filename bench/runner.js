// Runs one client's cases in child processes (bench/child.js) and collects their results. A child
// that dies or goes quiet mid-case is killed; that case is reported as an error and a fresh
// child carries on with the cases left, so one misbehaving peer cannot stall the run.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const GRACE_MS = 40_000; // setup deadlines inside the child, plus slack

/** One child over `caseIds`; resolves with the results it sent and the case it was on when it ended. */
function runChild(job, env, hooks) {
  return new Promise((resolve) => {
    const child = fork(CHILD, [JSON.stringify(job)], { env: { ...process.env, ...env }, stdio: ['ignore', 2, 2, 'ipc'] });
    hooks.onSpawn?.(child.pid);
    const quietLimit = (job.warmup + job.seconds) * 1000 + GRACE_MS;
    let current = null;
    let fatal = null;
    let watchdog = null;
    const arm = () => { clearTimeout(watchdog); watchdog = setTimeout(() => child.kill('SIGKILL'), quietLimit); };
    child.on('message', (msg) => {
      arm();
      if (msg.type === 'start') current = msg.caseId;
      if (msg.type === 'result') { current = null; hooks.onResult(msg); }
      if (msg.type === 'fatal') fatal = msg.error;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      const how = signal ? `killed (${signal}) after ${quietLimit / 1000} s without progress` : `exited with code ${code}`;
      resolve({ current, exit: fatal ? `crashed: ${fatal}` : how });
    });
    arm();
  });
}

/**
 * `{ [caseId]: { result } | { error } }` for every case in `caseIds`. `log(client, msg)` hears each
 * case's end; `onSpawn(pid)` each child started.
 */
export async function measureClient(client, caseIds, settings, { log, onSpawn }) {
  const outcomes = {};
  let left = [...caseIds];
  let lastExit = '';
  while (left.length > 0) {
    const job = { client: client.id, cases: left, servers: settings.servers, seconds: settings.seconds, warmup: settings.warmup };
    const onResult = (msg) => {
      outcomes[msg.caseId] = msg.error ? { error: msg.error } : { result: msg.result };
      log(client, msg);
    };
    const { current, exit } = await runChild(job, client.env ?? {}, { onResult, onSpawn });
    lastExit = exit;
    if (current) {
      outcomes[current] = { error: `child ${exit}` };
      log(client, { caseId: current, error: outcomes[current].error });
    }
    const remaining = left.filter((id) => !(id in outcomes));
    if (remaining.length === left.length && !current) break; // ended without progress: give up
    left = remaining;
  }
  for (const id of caseIds) outcomes[id] ??= { error: `not run: its child process ${lastExit} before starting it` };
  return outcomes;
}
