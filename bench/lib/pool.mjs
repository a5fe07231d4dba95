/**
 * Runs one task in `n` child processes at once (see child.mjs for the protocol): all
 * children prepare, then start together, and hold what they got until all have reported.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/**
 * @param {number} n how many processes
 * @param {string} task a task name of child.mjs
 * @param {(index: number) => object} config each child's config
 * @param {{ env?: Record<string, string>, timeoutMs?: number, phases?: unknown[] }} [options]
 *   phases: run the task's go(phase) once per phase, all children together each time
 * @returns {Promise<object[]>} each child's result, in order (with phases: one such array per phase)
 */
export async function runPool(n, task, config, options = {}) {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const children = Array.from({ length: n }, () =>
    fork(CHILD, [], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }),
  );
  const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  const next = (child, type) => {
    const promise = new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message.type === 'error') reject(new Error(`child ${child.pid}: ${message.error}`));
        else if (message.type === type) resolve(message);
        else return;
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onExit = (code) => reject(new Error(`child ${child.pid} exited with ${code} while waiting for '${type}'`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    // A child killed after another one failed must not become an unhandled rejection.
    promise.catch(() => {});
    return promise;
  };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${task} × ${n} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const work = (async () => {
      const ready = children.map((child) => next(child, 'ready'));
      for (const [index, child] of children.entries()) child.send({ type: 'setup', task, config: config(index) });
      await Promise.all(ready);
      const phases = options.phases ?? [undefined];
      const done = [];
      for (const phase of phases) {
        const results = children.map((child) => next(child, 'result'));
        for (const child of children) child.send({ type: 'go', phase });
        done.push((await Promise.all(results)).map((message) => message.result));
      }
      for (const child of children) child.send({ type: 'finish' });
      await Promise.all(exited);
      return options.phases ? done : done[0];
    })();
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
