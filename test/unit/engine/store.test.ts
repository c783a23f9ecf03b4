import { describe, expect, it } from 'vitest';
import { describeHolder, parseLockBody, releaseHeldLocks, trackLock, untrackLock, type StackLock } from '../../../src/engine/store.js';

/** What every store shares: reading a lock body leniently, saying who holds it, and releasing held locks on a second Ctrl-C. */
describe('lock bodies', () => {
  const HOLDER = { host: 'build-7', pid: 4242, user: 'alice', command: 'create', since: '2025-01-02T03:04:05.000Z' };

  it('reads exactly the five keys, with the revision given', () => {
    expect(parseLockBody(JSON.stringify({ ...HOLDER, extra: 'ignored' }), '"e1"')).toEqual({ ...HOLDER, revision: '"e1"' });
  });

  it('a field missing or of the wrong type is empty; a lock of ecs-wizard 0.1 names its start startedAt', () => {
    expect(parseLockBody(JSON.stringify({ pid: 7, host: 3, startedAt: 'then' }), 'r')).toEqual({ host: '', pid: 7, user: '', command: '', since: 'then', revision: 'r' });
    expect(parseLockBody(JSON.stringify({ pid: 7, since: 'now', startedAt: 'then' }), 'r').since).toBe('now');
  });

  it('a body that is no JSON object, or has no numeric pid, is unreadable (its fields empty)', () => {
    for (const text of ['not json', '[1,2]', 'null', '42', '"text"', JSON.stringify({ ...HOLDER, pid: '4242' })]) {
      const held = parseLockBody(text, 'r');
      expect(held.unreadable, text).toBe(true);
      expect(held.revision).toBe('r');
    }
    expect(parseLockBody('[1,2]', 'r')).toEqual({ host: '', pid: 0, user: '', command: '', since: '', unreadable: true, revision: 'r' });
    expect(parseLockBody(JSON.stringify(HOLDER), 'r')).not.toHaveProperty('unreadable');
  });

  it('describes a holder in one line, leaving out what the lock does not say', () => {
    expect(describeHolder({ ...HOLDER, revision: 'r' })).toBe('user alice, pid 4242 on build-7 (create), since 2025-01-02T03:04:05.000Z');
    expect(describeHolder({ host: '', pid: 7, user: '', command: '', since: '', revision: 'r' })).toBe('pid 7 on an unknown host, since an unknown time');
    expect(describeHolder({ ...parseLockBody('x', 'r') })).toBe('an unreadable lock (no holder recorded in it)');
  });
});

describe('locks held by this process', () => {
  /** A lock whose release takes `ms` (a network call) and is counted. */
  const lock = (ms: number, released: string[], name: string): StackLock => ({
    location: name,
    release: () => new Promise<void>((r) => setTimeout(() => (released.push(name), r()), ms)),
  });

  it('are all released on request, a failing release not stopping the others; one released already is not released again', async () => {
    const released: string[] = [];
    const a = lock(1, released, 'a');
    const failing: StackLock = { location: 'f', release: async () => Promise.reject(new Error('network down')) };
    const gone = lock(1, released, 'gone');
    const b = lock(5, released, 'b');
    for (const l of [a, failing, gone, b]) trackLock(l);
    untrackLock(gone);
    await releaseHeldLocks(5_000);
    expect(released.sort()).toEqual(['a', 'b']);
    for (const l of [a, failing, b]) untrackLock(l);
  });

  it('stops waiting for a release that never ends after the time given', async () => {
    // GIVEN a lock whose release hangs (a network call that never answers)
    const hung: StackLock = { location: 'hung', release: () => new Promise<void>(() => undefined) };
    trackLock(hung);
    // WHEN every held lock is released, waiting 50 ms  THEN that returns (the test would time out otherwise)
    await expect(releaseHeldLocks(50)).resolves.toBeUndefined();
    untrackLock(hung);
  });
});
