/**
 * The file-system calls of the lock and the registry storage, in one place, so that a
 * test can make any one of them fail and check what the next process finds.
 *
 * Synchronous calls, but for fsync. A locked write makes about twenty calls (open, fstat,
 * read, write, link, rename, mkdir, unlink, readdir, lstat, close) that the kernel serves
 * from its caches, mostly in a few µs (a create or a rename may wait for the journal for
 * longer). Through the thread pool each one cost a hand-off and a wake-up, 30–50 µs as
 * measured by the bench ("Where the time goes": a `close` 31 µs, an `fstat` 47 µs): more
 * than the call, and paid while the lock is held, so every waiter paid it too. So they run
 * on the calling thread; the event loop waits for them less than for the JSON.parse of the
 * same registry. The calls that wait on the device, the fsyncs of a file and of a
 * directory, stay in the thread pool: they take 0.1–10 ms and more on a busy disk, and the
 * event loop (a server's requests, a heartbeat) must not stall on them. Every call still
 * goes through one async seam (`call`), so a fault can be injected at each of them.
 *
 * `PORTLEASE_FAULT=<call>:<action>[,…]` (read once, at load) acts on calls of this process:
 * `<call>` is its number (1-based), `<op>#<k>`, the k-th call of one kind (`link#1`), or
 * `<op>#<k>+`, that call and every later one of its kind (`readdir#4+`).
 * `EIO`, `ENOSPC`, `EROFS` make it fail without touching the disk, `kill` SIGKILLs the
 * process just before it, `kill-after` just after it returned (also when it failed), `stop`
 * SIGSTOPs it just before it (a test resumes it with SIGCONT, to replay an interleaving
 * step by step).
 * `PORTLEASE_FAULT=count` prints `PORTLEASE_FAULT_CALLS <n> <op,op,…>` on stderr at exit,
 * so a test learns how many injection points one operation has. Unset, every call goes
 * straight to `node:fs`: one integer increment is the cost.
 */
import {
  type BigIntStats,
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  promises,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';

type Action = 'EIO' | 'ENOSPC' | 'EROFS' | 'kill' | 'kill-after' | 'stop';

const names: string[] = [];
const perOp = new Map<string, number>();
let calls = 0;

interface Plan {
  /** A call number, or the k-th call of one kind (and, with `from`, every later one). */
  at: number | { op: string; k: number; from: boolean };
  action: Action;
}
const plans = parsePlans(process.env['PORTLEASE_FAULT']);

function parsePlans(value: string | undefined): Plan[] | 'count' | null {
  if (!value) return null;
  if (value === 'count') {
    process.on('exit', () => process.stderr.write(`PORTLEASE_FAULT_CALLS ${calls} ${names.join(',')}\n`));
    return 'count';
  }
  const parsed: Plan[] = [];
  for (const part of value.split(',')) {
    const match = /^(?:(\d+)|([a-z]+)#(\d+)(\+?)):(EIO|ENOSPC|EROFS|kill|kill-after|stop)$/.exec(part);
    if (!match) continue;
    parsed.push({ at: match[1] ? Number(match[1]) : { op: match[2]!, k: Number(match[3]), from: match[4] === '+' }, action: match[5] as Action });
  }
  return parsed;
}

/** The plan that acts on this call, if any. Counts calls per kind as it goes. */
function planFor(list: Plan[], name: string): Plan | undefined {
  const k = (perOp.get(name) ?? 0) + 1;
  perOp.set(name, k);
  return list.find(({ at }) => (typeof at === 'number' ? at === calls : at.op === name && (at.from ? k >= at.k : k === at.k)));
}

async function call<T>(name: string, path: string, run: () => T | Promise<T>): Promise<T> {
  calls += 1;
  if (plans === null) return run();
  if (plans === 'count') {
    names.push(name);
    return run();
  }
  const plan = planFor(plans, name);
  if (plan === undefined) return run();
  if (plan.action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (plan.action === 'stop') {
    process.kill(process.pid, 'SIGSTOP');
    return run();
  }
  if (plan.action === 'kill-after') {
    // A kill right after the call returned, whatever it returned: a failing call too.
    try {
      return await run();
    } finally {
      process.kill(process.pid, 'SIGKILL');
    }
  }
  throw Object.assign(new Error(`${plan.action}: injected fault, ${name} '${path}'`), { code: plan.action, syscall: name, path });
}

/**
 * On Windows a virus scanner or indexer that has a file open makes link, unlink and rename
 * fail for a moment (EPERM, EBUSY, EACCES): try again a few times before giving up. Elsewhere
 * those errors mean what they say.
 */
async function busyRetry<T>(run: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 5 || !(code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
    }
  }
}

/** fsync through the thread pool: the one call that waits on the device, never on the event loop. */
const fsyncAsync = (fd: number) =>
  new Promise<void>((resolve, reject) => {
    fsync(fd, (error) => (error ? reject(error) : resolve()));
  });

/** Closes a descriptor, ignoring errors (after a failure that is already being reported). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the first error is the one that matters
  }
}

/** A file read whole: its stat, and its bytes unless it is no regular file or too large. */
export interface ReadResult {
  stat: Stats;
  /** `null` when the file is not a regular file or larger than the limit (not read). */
  bytes: Buffer | null;
}

/** Every file-system call the lock and the storage make. */
export const io = {
  /**
   * Reads a whole file without following a symlink and without blocking on a FIFO: open,
   * fstat, read (only a regular file within `limit` bytes), close.
   */
  async readWhole(path: string, limit: number): Promise<ReadResult> {
    const fd = await call('open', path, () => openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK));
    try {
      const stat = await call('fstat', path, () => fstatSync(fd));
      if (!stat.isFile() || stat.size > limit) return { stat, bytes: null };
      const buffer = Buffer.allocUnsafe(stat.size);
      let filled = 0;
      while (filled < stat.size) {
        const bytesRead = await call('read', path, () => readSync(fd, buffer, filled, stat.size - filled, filled));
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { stat, bytes: filled === stat.size ? buffer : buffer.subarray(0, filled) };
    } finally {
      await call('close', path, () => closeSync(fd)).catch(() => {});
    }
  },
  /**
   * Creates a new file (never an existing one, never through a symlink) and writes it, not
   * yet durably: returns its descriptor, for `syncClose` (which closes it). Closed when
   * anything fails.
   */
  async writeTemp(path: string, bytes: Buffer, mode: number): Promise<number> {
    const fd = await call('open', path, () => openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode));
    try {
      await call('write', path, () => {
        for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      });
      // The umask may have removed bits that the owner needs (a umask such as 0277): set the
      // mode only then (an fstat is not journalled; an fchmod is).
      const stat = await call('fstat', path, () => fstatSync(fd));
      if ((stat.mode & 0o7777) !== mode) await call('fchmod', path, () => fchmodSync(fd, mode));
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    return fd;
  },
  /** fsyncs a descriptor of `writeTemp`, then closes it (also when the fsync fails). */
  async syncClose(fd: number, path: string): Promise<void> {
    try {
      await call('fsync', path, () => fsyncAsync(fd));
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    await call('close', path, () => closeSync(fd));
  },
  /**
   * Creates a new empty file (never an existing one, never through a symlink) and returns
   * its ctime: the kernel's clock at that moment, which no process's clock can skew.
   */
  async createEmpty(path: string, mode: number): Promise<number> {
    const fd = await call('open', path, () => openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode));
    try {
      return (await call('fstat', path, () => fstatSync(fd))).ctimeMs;
    } finally {
      await call('close', path, () => closeSync(fd));
    }
  },
  /** fsyncs a directory, so that the names created in it survive a power cut. */
  async syncDir(path: string): Promise<void> {
    const fd = await call('open', path, () => openSync(path, constants.O_RDONLY));
    await io.syncClose(fd, path);
  },
  link: (from: string, to: string) => call('link', to, () => busyRetry(() => linkSync(from, to))),
  unlink: (path: string) => call('unlink', path, () => busyRetry(() => unlinkSync(path))),
  rename: (from: string, to: string) => call('rename', to, () => busyRetry(() => renameSync(from, to))),
  mkdir: (path: string, mode: number, recursive = false) => call('mkdir', path, () => mkdirSync(path, { mode, recursive })),
  rmdir: (path: string) => call('rmdir', path, () => rmdirSync(path)),
  readdir: (path: string) => call('readdir', path, () => readdirSync(path)),
  lstat: (path: string): Promise<BigIntStats> => call('lstat', path, () => lstatSync(path, { bigint: true })),
  /** lstat, or `undefined` when nothing is there: a missing file is an answer, not an error (whose making costs µs). */
  lstatIfAny: (path: string): Promise<BigIntStats | undefined> => call('lstat', path, () => lstatSync(path, { bigint: true, throwIfNoEntry: false })),
  chmod: (path: string, mode: number) => call('chmod', path, () => chmodSync(path, mode)),
  // The heartbeat of a lock holder: from a timer, off the critical path, so it may take the thread pool.
  utimes: (path: string, time: Date) => call('utimes', path, () => promises.utimes(path, time, time)),
};

/** The error code of a failed call. */
export const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
