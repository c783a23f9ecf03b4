import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireLock } from '../../../src/engine/lock.js';
import { StateFile, defaultStateDir, emptyState, parseState, readState, stateFilePath, writeFileAtomic } from '../../../src/engine/state.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import { tempDir } from '../../support/stack.js';

/** The state file's refusals one by one, and the lock's less travelled paths. */

const FILE = '/state/shop.json';
const refusal = (text: string): WizardError => {
  try {
    parseState(text, FILE);
  } catch (err) {
    return err as WizardError;
  }
  throw new Error(`accepted: ${text}`);
};
const valid = (over: Record<string, unknown> = {}): string => JSON.stringify({ version: 1, stack: 'shop', createdAt: 'a', updatedAt: 'b', resources: {}, ...over });

describe('parseState refuses what it cannot trust, naming the file, and says the file was left alone', () => {
  it.each([
    ['not JSON', '{"version": 1,', /^State file \/state\/shop\.json is corrupt \(not valid JSON: /],
    ['null', 'null', /^State file \/state\/shop\.json is corrupt \(not a JSON object\)\.$/],
    ['an array', '[]', /corrupt \(not a JSON object\)/],
    ['a string', '"shop"', /corrupt \(not a JSON object\)/],
    ['without a version', JSON.stringify({ stack: 'shop', resources: {} }), /^State file \/state\/shop\.json has no schema version\.$/],
    ['with a string version', valid({ version: '1' }), /has no schema version/],
    ['of a newer version', valid({ version: 2 }), /has schema version 2; this ecs-wizard understands version 1 and older\.$/],
    ['of version 0', valid({ version: 0 }), /has schema version 0;/],
    ['of a fractional version', valid({ version: 0.5 }), /has schema version 0\.5;/],
    ['without a stack name', valid({ stack: 7 }), /corrupt \(missing "stack" or "resources"\)/],
    ['without resources', valid({ resources: undefined }), /corrupt \(missing "stack" or "resources"\)/],
    ['with resources null', valid({ resources: null }), /corrupt \(missing "stack" or "resources"\)/],
    ['with resources a string', valid({ resources: 'x' }), /corrupt \(missing "stack" or "resources"\)/],
  ])('%s', (_what, text, message) => {
    const err = refusal(text);
    expect(isWizardError(err, 'STATE_INVALID')).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(/It was left untouched; inspect it, or move it away and run `ecs-wizard destroy --discover`/);
  });

  it('a newer version also says to upgrade', () => {
    expect(refusal(valid({ version: 2 })).hint).toMatch(/^Upgrade ecs-wizard to manage this stack\. It was left untouched/);
  });

  it('accepts a sound document as it is', () => {
    expect(parseState(valid({ region: 'eu-west-1' }), FILE)).toEqual({ version: 1, stack: 'shop', createdAt: 'a', updatedAt: 'b', resources: {}, region: 'eu-west-1' });
  });
});

describe('reading and writing state files', () => {
  it('a state path that cannot be read (a directory) is an error naming it, not "no state"', async () => {
    const dir = tempDir();
    const err = await readState(dir).catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^Cannot read state file ${dir}: EISDIR`));
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('writes end with a newline, pretty-printed, stamped with the clock, in a directory made for it', async () => {
    const file = path.join(tempDir(), 'deeper', 'shop.json');
    const s = new StateFile(file, emptyState('shop', new Date('2025-01-01T00:00:00Z')), () => new Date('2025-06-01T12:00:00Z'));
    await s.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-1' }, updatedAt: 'x' });
    const text = await fs.readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "stack": "shop",\n');
    expect(JSON.parse(text)).toMatchObject({ createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-06-01T12:00:00.000Z', resources: { vpc: { outputs: { vpcId: 'vpc-1' } } } });
    expect(s.get('vpc')?.status).toBe('created');
    expect(s.get('subnets')).toBeUndefined();
  });

  it('update changes the document and writes it', async () => {
    const file = path.join(tempDir(), 'shop.json');
    const s = new StateFile(file, emptyState('shop'));
    await s.update((d) => (d.region = 'eu-west-1'));
    expect((await readState(file))?.region).toBe('eu-west-1');
  });

  it('a write that cannot complete leaves no temp file behind, and the old file as it was', async () => {
    // GIVEN a target that is a directory: the rename over it fails
    const dir = tempDir();
    const target = path.join(dir, 'shop.json');
    await fs.mkdir(target);
    // WHEN a write is attempted  THEN it fails, and no temp file is left in the directory
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['shop.json']);
  });

  it('a failed write does not stop the next one', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shop.json');
    await fs.mkdir(file);
    const s = new StateFile(file, emptyState('shop'));
    await expect(s.save()).rejects.toThrow();
    await fs.rm(file, { recursive: true });
    await s.save();
    expect((await readState(file))?.stack).toBe('shop');
  });

  it('remove deletes the file once pending writes are done, and a missing file is fine', async () => {
    const file = path.join(tempDir(), 'shop.json');
    const s = new StateFile(file, emptyState('shop'));
    void s.save();
    await s.remove();
    expect(existsSync(file)).toBe(false);
    await s.remove();
  });

  it('the state directory: ECS_WIZARD_STATE_DIR, else ./.ecs-wizard, resolved from the working directory', () => {
    expect(defaultStateDir({ ECS_WIZARD_STATE_DIR: 'states' }, '/work')).toBe('/work/states');
    expect(defaultStateDir({ ECS_WIZARD_STATE_DIR: '/abs' }, '/work')).toBe('/abs');
    expect(defaultStateDir({}, '/work')).toBe('/work/.ecs-wizard');
    expect(defaultStateDir({ ECS_WIZARD_STATE_DIR: '' }, '/work')).toBe('/work/.ecs-wizard');
    expect(stateFilePath('/work/.ecs-wizard', 'shop')).toBe('/work/.ecs-wizard/shop.json');
  });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('stack lock: the less travelled paths', () => {
  it('the lock file names this process, host and command, as one JSON line, mode 0600', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'shop', 'create');
    const text = await fs.readFile(lock.location, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'create' });
    expect((await fs.stat(lock.location)).mode & 0o777).toBe(0o600);
    await lock.release();
  });

  it('names the holder and hints at removing the file', async () => {
    const dir = tempDir();
    const held = await acquireLock(dir, 'shop', 'create');
    const err = (await acquireLock(dir, 'shop', 'destroy').catch((e: unknown) => e)) as WizardError;
    expect(err.message).toMatch(new RegExp(`^Stack "shop" is locked by another ecs-wizard run: user [^,]+, pid ${process.pid} on ${os.hostname()} \\(create\\), since `));
    expect(err.hint).toBe(`Wait for it to finish, or pass --lock-timeout 5m to wait for it. If that run is gone, clear the lock (${held.location}) with: ecs-wizard unlock shop --state-dir ${dir}`);
    await held.release();
  });

  it('a lock of a dead process on another host is not taken over: that process may be alive there', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ pid: await deadPid(), host: 'another-host', command: 'create', startedAt: 'then' }));
    const err = await acquireLock(dir, 'shop', 'create').catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect((err as Error).message).toContain('on another-host');
    expect(existsSync(path.join(dir, 'shop.lock'))).toBe(true);
  });

  it('a lock file nobody can read is refused, naming it, and left alone', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shop.lock');
    await fs.writeFile(file, 'garbage');
    const err = await acquireLock(dir, 'shop', 'create').catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect((err as Error).message).toBe(`Stack "shop" has an unreadable lock file ${file}.`);
    expect((err as WizardError).hint).toBe(`If no other ecs-wizard run is active, clear it with: ecs-wizard unlock shop --state-dir ${dir}`);
    expect(await fs.readFile(file, 'utf8')).toBe('garbage');
  });

  it('a takeover abandoned by a dead process does not block the takeover of a stale lock', async () => {
    const dir = tempDir();
    const host = os.hostname();
    const dead = await deadPid();
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ pid: dead, host, command: 'create', startedAt: 'then' }));
    await fs.writeFile(path.join(dir, 'shop.lock.takeover'), JSON.stringify({ pid: dead, host, command: 'create (taking over a stale lock)', startedAt: 'then' }));
    const lock = await acquireLock(dir, 'shop', 'destroy');
    expect(JSON.parse(await fs.readFile(lock.location, 'utf8'))).toMatchObject({ pid: process.pid, command: 'destroy' });
    expect(existsSync(path.join(dir, 'shop.lock.takeover'))).toBe(false);
    await lock.release();
  });

  it('release removes the lock once, even if called twice', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'shop', 'create');
    await lock.release();
    expect(existsSync(lock.location)).toBe(false);
    // A second release must not remove a lock another run has taken since.
    const next = await acquireLock(dir, 'shop', 'destroy');
    await lock.release();
    expect(existsSync(next.location)).toBe(true);
    await next.release();
  });

  it('a lock file caught half-written (empty for a moment) is waited for, not called unreadable', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shop.lock');
    await fs.writeFile(file, '');
    // The contender that was writing it gives up a moment later.
    setTimeout(() => void fs.rm(file, { force: true }), 40);
    const lock = await acquireLock(dir, 'shop', 'create');
    expect(JSON.parse(await fs.readFile(lock.location, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('a lock file without a pid is unreadable, not a holder', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ host: os.hostname(), command: 'create' }));
    const err = await acquireLock(dir, 'shop', 'create').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/has an unreadable lock file/);
  });

  it('a stale lock whose takeover a live process holds is left alone, and the lock is given up on', async () => {
    const dir = tempDir();
    const host = os.hostname();
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ pid: await deadPid(), host, command: 'create', startedAt: 'then' }));
    const takeover = path.join(dir, 'shop.lock.takeover');
    await fs.writeFile(takeover, JSON.stringify({ pid: process.pid, host, command: 'destroy (taking over a stale lock)', startedAt: 'now' }));
    const err = (await acquireLock(dir, 'shop', 'create').catch((e: unknown) => e)) as WizardError;
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect(err.message).toBe(`Could not take the lock of stack "shop" (${path.join(dir, 'shop.lock')}).`);
    expect(err.hint).toBe(`If no other ecs-wizard run is active, remove ${path.join(dir, 'shop.lock')} and ${takeover}.`);
    expect(existsSync(takeover)).toBe(true);
  });

  it('a lock that cannot be created for another reason than "exists" is that error, at once', async () => {
    const err = await acquireLock(tempDir(), 'x'.repeat(300), 'create').catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG');
  });

  it('release tolerates a lock file someone already removed', async () => {
    const lock = await acquireLock(tempDir(), 'shop', 'create');
    await fs.rm(lock.location);
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it('one exit hook watches every lock, however many are held (no MaxListenersExceededWarning), and none once released', async () => {
    // GIVEN one lock taken (the hook is installed with the first)
    const first = await acquireLock(tempDir(), 'shop', 'create');
    const before = process.listenerCount('exit');
    // WHEN 20 more are held at once
    const many = await Promise.all(Array.from({ length: 20 }, () => acquireLock(tempDir(), 'shop', 'create')));
    // THEN no listener was added for them, and releasing them all removes their files
    expect(process.listenerCount('exit')).toBe(before);
    await Promise.all([first, ...many].map((l) => l.release()));
    expect([first, ...many].filter((l) => existsSync(l.location))).toEqual([]);
  });

  it('a hard exit while holding locks removes them on the way out (the exit hook); a release after it is a no-op', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'shop', 'create');
    const other = await acquireLock(tempDir(), 'shop', 'deploy');
    const onExit = process.listeners('exit').find((l) => l.name === 'removeHeldFilesOnExit') as () => void;
    // WHEN the process exits (its exit hook runs)  THEN both locks are gone
    onExit();
    expect(existsSync(lock.location)).toBe(false);
    expect(existsSync(other.location)).toBe(false);
    // AND a lock taken since is not the old one's to remove
    const next = await acquireLock(dir, 'shop', 'destroy');
    await lock.release();
    expect(existsSync(next.location)).toBe(true);
    await next.release();
  });
});
