import { describe, expect, test } from 'vitest';
import { errorReport, exitCodeOf, formatErrorLine, formatJsonError } from '../../src/cli/failure.js';
import { formatLeaseTable, formatRelative, formatSpan, formatTable, portVariable, styleFor } from '../../src/cli/output.js';
import { PortleaseError } from '../../src/index.js';
import { UsageError } from '../../src/cli/args.js';

describe('output', () => {
  test('formatTable aligns columns without trailing spaces', () => {
    expect(
      formatTable(
        ['ID', 'NAME', 'PORT'],
        [
          ['1', 'web', '20001'],
          ['12', 'postgres', '2'],
        ],
      ),
    ).toBe('ID  NAME      PORT\n1   web       20001\n12  postgres  2\n');
  });

  test('formatLeaseTable', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const text = formatLeaseTable(
      [
        { id: 1, port: 20001, app: 'shop', instance: 'default', service: 'web', owner: null, expiresAt: null, createdAt: '2026-01-01T11:55:00Z' },
        {
          id: 2,
          port: 20002,
          app: 'shop',
          instance: 'x',
          service: null,
          label: 'fixture',
          owner: { pid: 42, start: null, boot: null, ns: null, host: 'elsewhere' },
          expiresAt: '2026-01-01T14:00:00Z',
          createdAt: '2026-01-01T12:00:00Z',
        },
      ],
      { now, hostname: 'here' },
    );
    expect(text).toBe(
      [
        'ID  APP   INSTANCE  SERVICE    PORT   OWNER             EXPIRES  CREATED',
        '1   shop  default   web        20001  -                 never    5m ago',
        '2   shop  x         (fixture)  20002  pid 42@elsewhere  in 2h    now',
        '',
      ].join('\n'),
    );
  });

  test('durations', () => {
    expect(formatSpan(0)).toBe('now');
    expect(formatSpan(12_000)).toBe('12s');
    expect(formatSpan(90_000)).toBe('1m30s');
    expect(formatSpan(7_199_000)).toBe('1h59m');
    expect(formatSpan(3_600_000 + 12_000)).toBe('1h');
    expect(formatSpan(4 * 86_400_000 + 3 * 3_600_000)).toBe('4d3h');
    expect(formatRelative(-90_000)).toBe('1m30s ago');
    expect(formatRelative(7_200_000)).toBe('in 2h');
    expect(formatRelative(Number.NaN)).toBe('?');
  });

  test('errors: codes, exit codes, one line, json', () => {
    const busy = errorReport(new PortleaseError('E_PORT_BUSY', 'Port 5 is in use\non this machine.', { port: 5 }));
    expect(busy).toEqual({ code: 'E_PORT_BUSY', message: 'Port 5 is in use on this machine.', port: 5 });
    expect(exitCodeOf(busy)).toBe(1);
    expect(formatErrorLine(busy)).toBe('portlease: E_PORT_BUSY: Port 5 is in use on this machine. (`portlease check 5` shows what listens there.)\n');
    expect(formatJsonError(busy)).toBe('{"error":{"code":"E_PORT_BUSY","message":"Port 5 is in use on this machine."}}\n');
    expect(exitCodeOf(errorReport(new UsageError('bad')))).toBe(2);
    expect(errorReport(Object.assign(new RangeError('ttl bad'), { code: 'ERR_OUT_OF_RANGE' }))).toEqual({ code: 'E_USAGE', message: 'ttl bad' });
    // A TypeError without an argument code is a bug, not a usage error.
    expect(errorReport(new TypeError("Cannot read properties of undefined (reading 'port')"))).toMatchObject({ code: 'E_UNEXPECTED' });
    expect(errorReport(new Error('boom'))).toEqual({ code: 'E_UNEXPECTED', message: 'boom' });
    expect(exitCodeOf(errorReport('weird'))).toBe(1);
  });

  test('portVariable', () => {
    expect(portVariable('web')).toBe('WEB_PORT');
    expect(portVariable('api-gw.v2')).toBe('API_GW_V2_PORT');
    expect(portVariable('3d')).toBe('_3D_PORT');
  });

  test('styleFor: colours on a TTY only, never with NO_COLOR or TERM=dumb', () => {
    expect(styleFor({ write: () => true, isTTY: true }, {}).red('x')).toBe('\u001B[31mx\u001B[39m');
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '' }).red('x')).not.toBe('x');
    expect(styleFor({ write: () => true, isTTY: true }, { TERM: 'dumb' }).red('x')).toBe('x');
    expect(styleFor({ write: () => true }, {}).red('x')).toBe('x');
  });
});
