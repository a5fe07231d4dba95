import { describe, expect, test } from 'vitest';
import { parseProcNetTcp } from '../../src/cli/listeners.js';

// Shapes copied from a Linux /proc/net/tcp and /proc/net/tcp6.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:4E21 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:4E22 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:4E23 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:4E24 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 666 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:4E25 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  test('keeps listening IPv4 sockets, decodes little-endian addresses and hex ports', () => {
    expect(parseProcNetTcp(TCP)).toEqual([
      { address: '127.0.0.1', port: 20001, inode: '111' },
      { address: '0.0.0.0', port: 8080, inode: '222' },
    ]);
  });

  test('decodes IPv6: ::, ::1, v4-mapped and a full address', () => {
    expect(parseProcNetTcp(TCP6)).toEqual([
      { address: '::', port: 20002, inode: '444' },
      { address: '::1', port: 20003, inode: '555' },
      { address: '::ffff:127.0.0.1', port: 20004, inode: '666' },
      { address: '2001:db8:0:0:0:0:0:1', port: 20005, inode: '777' },
    ]);
  });

  test('empty or garbage text gives nothing', () => {
    expect(parseProcNetTcp('')).toEqual([]);
    expect(parseProcNetTcp('header\nnot a socket line\n')).toEqual([]);
  });
});
