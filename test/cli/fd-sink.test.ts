import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fdSink } from '../../src/cli/fd-sink.js';
import { tempDir } from '../helpers.js';

/** A stand-in for process.stdout that records what it got and whether it was built. */
function fakeStream(isTTY?: boolean) {
  const got: string[] = [];
  let built = 0;
  const stream = {
    isTTY,
    write(chunk: string | Uint8Array) {
      got.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return {
    got,
    built: () => built,
    streamOf: () => {
      built += 1;
      return stream;
    },
  };
}

describe('fdSink', () => {
  test('writes to the descriptor, in order, without building the stream', async () => {
    const file = join(await tempDir(), 'out.txt');
    const fd = openSync(file, 'w');
    const fake = fakeStream();
    const sink = fdSink(fd, fake.streamOf, 'linux');
    sink.write('22226\n');
    sink.write('café 東京\n');
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('22226\ncafé 東京\n');
    expect(fake.built()).toBe(0);
    expect(sink.fd).toBe(fd);
  });

  test('asking isTTY builds the stream once, and later writes go through it', async () => {
    const file = join(await tempDir(), 'out.txt');
    const fd = openSync(file, 'w');
    const fake = fakeStream(true);
    const sink = fdSink(fd, fake.streamOf, 'linux');
    sink.write('first\n');
    expect(sink.isTTY).toBe(true);
    sink.write('second\n');
    expect(sink.isTTY).toBe(true);
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expect(fake.got).toEqual(['second\n']);
    expect(fake.built()).toBe(1);
  });

  test('a write the descriptor refuses goes to the stream (which reports it as before), and so does every later one', async () => {
    const file = join(await tempDir(), 'out.txt');
    const fd = openSync(file, 'w');
    closeSync(fd); // EBADF: the stand-in for EAGAIN or EPIPE, which a test cannot cause at will
    const fake = fakeStream();
    const sink = fdSink(fd, fake.streamOf, 'linux');
    sink.write('lost?\n');
    sink.write('no\n');
    expect(fake.got).toEqual(['lost?\n', 'no\n']);
    expect(fake.built()).toBe(1);
  });

  test('a stream that is not a terminal says so with false', () => {
    expect(fdSink(1, fakeStream().streamOf, 'linux').isTTY).toBe(false);
  });

  test('on Windows every write goes through the stream (a console wants its own writes)', () => {
    const fake = fakeStream();
    const sink = fdSink(1, fake.streamOf, 'win32');
    sink.write('22226\n');
    expect(fake.got).toEqual(['22226\n']);
  });
});
