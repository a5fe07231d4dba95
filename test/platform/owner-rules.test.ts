/**
 * The owner-identity rules, one table of cases run against every platform module over a
 * fake machine (pid table, boot, clock) rendered as that OS shows it.
 */
import { describe, expect, test } from 'vitest';
import { ownerRules, type OwnerRules } from '../../src/owner.js';
import { darwinPlatform } from '../../src/platform/darwin.js';
import { linuxPlatform } from '../../src/platform/linux.js';
import type { Platform } from '../../src/platform/types.js';
import { win32Platform } from '../../src/platform/win32.js';
import { FakeMachine } from './fakes.js';

const SELF = 1000;

/** A platform module over the fake machine. */
const PLATFORMS: Record<string, (machine: FakeMachine) => Platform> = {
  linux: (machine) => linuxPlatform({ ...machine.linuxDeps(), warn: () => {} }),
  darwin: (machine) => darwinPlatform({ run: machine.runner(), clocks: machine.clocks(), warn: () => {} }),
  win32: (machine) => win32Platform({ run: machine.runner(), clocks: machine.clocks(), warn: () => {} }),
};

/** A checking process on the machine: its own rules, as a new portlease process would have. */
function checker(machine: FakeMachine, os: string, host = 'box'): OwnerRules {
  if (!machine.exists(SELF)) machine.start(SELF);
  return ownerRules(PLATFORMS[os]!(machine), { host, pid: SELF, exists: (pid) => machine.exists(pid) });
}

interface Case {
  name: string;
  /** Platforms where the case does not apply, with the reason. */
  skip?: Record<string, string>;
  /** Builds the situation and returns whether the owner is alive. */
  run(machine: FakeMachine, os: string): boolean;
  /** The verdict, or one per platform where they differ. */
  alive: boolean | Record<string, boolean>;
}

const CASES: Case[] = [
  {
    name: 'the checking process itself',
    run: (machine, os) => {
      const rules = checker(machine, os);
      return rules.isAlive(rules.ownerOf()) && rules.isSelf(rules.ownerOf());
    },
    alive: true,
  },
  {
    name: 'another running process',
    run: (machine, os) => {
      machine.start(4242);
      machine.tick(5_000);
      const rules = checker(machine, os);
      return rules.isAlive(rules.ownerOf(4242));
    },
    alive: true,
  },
  {
    name: 'an exited process',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.tick(5_000);
      machine.exit(4242);
      return checker(machine, os).isAlive(owner);
    },
    alive: false,
  },
  {
    name: 'a pid reused by a newer process (same boot)',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.tick(5_000);
      machine.exit(4242);
      machine.start(4242);
      return checker(machine, os).isAlive(owner);
    },
    alive: false,
  },
  {
    name: 'a pid reused within the same second (start times of whole seconds cannot tell)',
    skip: { linux: 'clock ticks (10 ms) tell them apart', win32: 'FILETIMEs (100 ns) tell them apart' },
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.tick(200);
      machine.start(4242);
      return checker(machine, os).isAlive(owner);
    },
    alive: true,
  },
  {
    name: 'a zombie (exited, not yet reaped)',
    skip: { win32: 'Windows has no zombies: an exited process leaves the table' },
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.tick(5_000);
      machine.processes.get(4242)!.zombie = true;
      return checker(machine, os).isAlive(owner);
    },
    alive: false,
  },
  {
    name: "another user's process (its start time hidden or shown)",
    run: (machine, os) => {
      machine.start(4242, { otherUser: true });
      machine.tick(5_000);
      const rules = checker(machine, os);
      return rules.isAlive({ ...rules.ownerOf(), pid: 4242, start: rules.ownerOf(4242).start ?? '12345' });
    },
    alive: true,
  },
  {
    name: 'an owner of the previous boot whose pid and start time came back after a reboot',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      const offset = machine.processes.get(4242)!.startedAt - machine.bootedAt;
      machine.reboot();
      machine.now = machine.bootedAt + offset;
      machine.start(4242); // same pid, same time after boot: Linux's start ticks are equal
      machine.tick(1_000);
      return checker(machine, os).isAlive(owner);
    },
    alive: false,
  },
  {
    name: 'an owner of the previous boot whose pid is free',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.reboot();
      return checker(machine, os).isAlive(owner);
    },
    alive: false,
  },
  {
    name: 'a process started after the checker read its table (reused within the transaction)',
    run: (machine, os) => {
      const rules = checker(machine, os);
      rules.ownerOf(); // reads the table
      machine.tick(300);
      machine.start(4242);
      return rules.isAlive(rules.ownerOf(4242));
    },
    alive: true,
  },
  {
    name: 'an owner on another host (its pid means nothing here)',
    run: (machine, os) => {
      const rules = checker(machine, os);
      return rules.isAlive({ ...rules.ownerOf(), host: 'laptop', pid: 4242 });
    },
    alive: true,
  },
  {
    name: 'the tool is missing: a reused pid looks alive (the documented weaker check)',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.tick(5_000);
      machine.start(4242);
      machine.toolsMissing = true;
      return checker(machine, os).isAlive(owner);
    },
    alive: true,
  },
  {
    name: 'the tool is missing: an exited pid is dead (kill(0)); without /proc Linux knows no boot id either, so cannot judge',
    run: (machine, os) => {
      machine.start(4242);
      const owner = checker(machine, os).ownerOf(4242);
      machine.exit(4242);
      machine.toolsMissing = true;
      return checker(machine, os).isAlive(owner);
    },
    alive: { linux: true, darwin: false, win32: false },
  },
];

describe.each(Object.keys(PLATFORMS))('owner rules on %s', (os) => {
  for (const testCase of CASES) {
    const reason = testCase.skip?.[os];
    const alive = typeof testCase.alive === 'boolean' ? testCase.alive : testCase.alive[os]!;
    test.skipIf(reason !== undefined)(`${testCase.name}: ${alive ? 'alive' : 'dead'}${reason ? ` (n/a: ${reason})` : ''}`, () => {
      expect(testCase.run(new FakeMachine(), os)).toBe(alive);
    });
  }

  test('many owners in one transaction: one table read', () => {
    const machine = new FakeMachine();
    for (let pid = 2000; pid < 2050; pid++) machine.start(pid);
    machine.tick(5_000);
    const rules = checker(machine, os);
    const owners = Array.from({ length: 50 }, (_, index) => rules.ownerOf(2000 + index));
    machine.exit(2010);
    const before = machine.tableReads;
    const alive = owners.map((owner) => rules.isAlive(owner));
    expect(alive.filter(Boolean)).toHaveLength(os === 'linux' ? 49 : 50); // the reused table still shows 2010
    expect(machine.tableReads - before).toBe(0);
  });
});
