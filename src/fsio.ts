/**
 * The file-system calls of the lock and the registry storage, in one place, so that a
 * test can make any one of them fail and check what the next process finds.
 *
 * `PORTLEASE_FAULT=<call>:<action>[,…]` (read once, at load) acts on calls of this process:
 * `<call>` is its number (1-based), `<op>#<k>`, the k-th call of one kind (`link#1`), or
 * `<op>#<k>+`, that call and every later one of its kind (`readdir#4+`).
 * `EIO`, `ENOSPC`, `EROFS` make it fail without touching the disk, `kill` SIGKILLs the
 * process just before it, `kill-after` just after it, `stop` SIGSTOPs it just before it
 * (a test resumes it with SIGCONT, to replay an interleaving step by step).
 * `PORTLEASE_FAULT=count` prints `PORTLEASE_FAULT_CALLS <n> <op,op,…>` on stderr at exit,
 * so a test learns how many injection points one operation has. Unset, every call goes
 * straight to `node:fs`: one integer increment is the cost.
 */
import { constants, promises as fs, type BigIntStats, type Stats } from 'node:fs';

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

async function call<T>(name: string, path: string, run: () => Promise<T>): Promise<T> {
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
    const result = await run();
    process.kill(process.pid, 'SIGKILL');
    return result;
  }
  throw Object.assign(new Error(`${plan.action}: injected fault, ${name} '${path}'`), { code: plan.action, syscall: name, path });
}

/**
 * On Windows a virus scanner or indexer that has a file open makes link, unlink and rename
 * fail for a moment (EPERM, EBUSY, EACCES): try again a few times before giving up. Elsewhere
 * those errors mean what they say.
 */
async function busyRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 5 || !(code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
    }
  }
}

/** A file opened for reading: its stat and a bounded read. */
export interface ReadHandle {
  stat(): Promise<Stats>;
  read(size: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Every file-system call the lock and the storage make. */
export const io = {
  /** Opens for reading without following a symlink, and without blocking on a FIFO. */
  async openRead(path: string): Promise<ReadHandle> {
    const handle = await call('open', path, () => fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK));
    return {
      stat: () => call('fstat', path, () => handle.stat()),
      async read(size) {
        const buffer = Buffer.alloc(size);
        let filled = 0;
        while (filled < size) {
          const { bytesRead } = await call('read', path, () => handle.read(buffer, filled, size - filled, filled));
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled === size ? buffer : buffer.subarray(0, filled);
      },
      close: () => call('close', path, () => handle.close()),
    };
  },
  /** Creates a new file (never an existing one, never through a symlink) and writes it durably. */
  async writeNew(path: string, bytes: Buffer, mode: number): Promise<void> {
    const handle = await call('open', path, () => fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode));
    try {
      await call('write', path, () => handle.writeFile(bytes));
      // The umask may have removed bits that the owner needs (a umask such as 0277).
      await call('fchmod', path, () => handle.chmod(mode));
      await call('fsync', path, () => handle.sync());
    } finally {
      await call('close', path, () => handle.close());
    }
  },
  /** fsyncs a directory, so that the names created in it survive a power cut. */
  async syncDir(path: string): Promise<void> {
    const handle = await call('open', path, () => fs.open(path, constants.O_RDONLY));
    try {
      await call('fsync', path, () => handle.sync());
    } finally {
      await call('close', path, () => handle.close());
    }
  },
  link: (from: string, to: string) => call('link', to, () => busyRetry(() => fs.link(from, to))),
  unlink: (path: string) => call('unlink', path, () => busyRetry(() => fs.unlink(path))),
  rename: (from: string, to: string) => call('rename', to, () => busyRetry(() => fs.rename(from, to))),
  mkdir: (path: string, mode: number, recursive = false) => call('mkdir', path, () => fs.mkdir(path, { mode, recursive })),
  rmdir: (path: string) => call('rmdir', path, () => fs.rmdir(path)),
  readdir: (path: string) => call('readdir', path, () => fs.readdir(path)),
  lstat: (path: string): Promise<BigIntStats> => call('lstat', path, () => fs.lstat(path, { bigint: true })),
  chmod: (path: string, mode: number) => call('chmod', path, () => fs.chmod(path, mode)),
  utimes: (path: string, time: Date) => call('utimes', path, () => fs.utimes(path, time, time)),
};

/** The error code of a failed call. */
export const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
