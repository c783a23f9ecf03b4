import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileStore } from '../../../src/engine/file-store.js';
import { acquireLock } from '../../../src/engine/lock.js';
import { StateFile, emptyState } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { tempDir } from '../../support/stack.js';

describe('file store', () => {
  it('reads, writes, lists and removes states as <dir>/<stack>.json, behind the same interface as S3', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    expect(await store.read('shop')).toBeUndefined();
    await new StateFile({ store, stack: 'shop' }, emptyState('shop')).save();
    await new StateFile({ store, stack: 'blog' }, emptyState('blog')).save();
    await fs.writeFile(path.join(dir, 'blog.lock'), '{}');
    expect(await store.list()).toEqual(['blog', 'shop']);
    const read = await store.read('shop');
    expect(read?.state.stack).toBe('shop');
    expect(read?.text).toBe(await fs.readFile(path.join(dir, 'shop.json'), 'utf8'));
    expect(store.where('shop')).toBe(path.join(dir, 'shop.json'));
    await store.remove('shop');
    expect(await store.list()).toEqual(['blog']);
  });

  it('a scratch state (a dry run\'s verification) is never written anywhere', async () => {
    // GIVEN every file store's writes watched (stubbed: a scratch state that did write would write nothing here)
    // — spied rather than run in a scratch working directory: Stryker runs the unit tier in worker threads, where process.chdir is refused.
    const write = vi.spyOn(FileStore.prototype, 'write').mockResolvedValue(undefined);
    const remove = vi.spyOn(FileStore.prototype, 'remove').mockResolvedValue(undefined);
    try {
      // WHEN a scratch state records a resource and is removed
      const s = StateFile.scratch('shop');
      await s.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-1' }, updatedAt: 'now' });
      await s.remove();
      // THEN it holds the record in memory, names no file, and no store was written or removed
      expect(s.get('vpc')?.outputs).toEqual({ vpcId: 'vpc-1' });
      expect(s.file).toBe('(unsaved state of shop)');
      expect(write).not.toHaveBeenCalled();
      expect(remove).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
      remove.mockRestore();
    }
  });

  it('unlock removes only the lock it showed', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ host: 'a', pid: 1, user: 'u', command: 'create', since: 'then' }));
    const shown = (await store.holder('shop'))!;
    expect(shown).toMatchObject({ host: 'a', pid: 1, command: 'create', since: 'then' });
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ host: 'b', pid: 2, user: 'u', command: 'scale', since: 'now' }));
    expect(await store.unlock('shop', shown)).toBe(false);
    expect(existsSync(path.join(dir, 'shop.lock'))).toBe(true);
    expect(await store.unlock('shop', (await store.holder('shop'))!)).toBe(true);
    expect(existsSync(path.join(dir, 'shop.lock'))).toBe(false);
  });
  it('lists only <stack>.json — not locks, temp files or hidden files — and a directory not made yet holds no stacks', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    expect(store.location).toBe(dir);
    for (const f of ['shop.json', 'blog.json', 'shop.lock', '.shop.json.123.ab.tmp', '.hidden.json', 'notes.txt']) await fs.writeFile(path.join(dir, f), '{}');
    expect(await store.list()).toEqual(['blog', 'shop']);
    expect(await new FileStore(path.join(dir, 'not-yet')).list()).toEqual([]);
    // A path that is a file, not a directory, is an error, not an empty list.
    await expect(new FileStore(path.join(dir, 'notes.txt')).list()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('removing a state that is gone already is done; writing one needs no revision and returns none', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await expect(store.remove('shop')).resolves.toBeUndefined();
    expect(await store.write('shop', '{}\n')).toBeUndefined();
    expect(await fs.readFile(path.join(dir, 'shop.json'), 'utf8')).toBe('{}\n');
    store.close();
  });

  it('its lock names the unlock command for this directory', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    const first = await store.lock('shop', 'create');
    expect(first.location).toBe(path.join(dir, 'shop.lock'));
    const err = await store.lock('shop', 'scale').catch((e: unknown) => e);
    expect((err as { hint: string }).hint).toContain(`ecs-wizard unlock shop --state-dir ${dir}`);
    await first.release();
  });
});

describe('local lock', () => {
  it('holds exactly host, pid, user, command and since — the keys the S3 lock holds', async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, 'shop', 'create');
    const body = JSON.parse(await fs.readFile(lock.location, 'utf8'));
    expect(Object.keys(body).sort()).toEqual(['command', 'host', 'pid', 'since', 'user']);
    expect(body).toMatchObject({ host: os.hostname(), pid: process.pid, command: 'create' });
    await lock.release();
  });

  it('refused at once names who holds it since when, and the unlock command', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, 'shop', 'create');
    const err = await acquireLock(dir, 'shop', 'destroy').catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`pid ${process.pid} on ${os.hostname()} \\(create\\), since \\d{4}-`));
    expect((err as { hint: string }).hint).toContain(`ecs-wizard unlock shop --state-dir ${dir}`);
    await first.release();
  });

  it('with a timeout, waits for a live holder (telling once) and takes the lock when it is released', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, 'shop', 'create');
    const told: number[] = [];
    const second = acquireLock(dir, 'shop', 'scale', { timeoutMs: 20_000, onWait: (h) => told.push(h.pid) });
    await new Promise((r) => setTimeout(r, 500));
    await first.release();
    const lock = await second;
    expect(told).toEqual([process.pid]);
    expect(JSON.parse(await fs.readFile(lock.location, 'utf8')).command).toBe('scale');
    await lock.release();
  });

  it('gives up naming the holder when the timeout runs out, and stops waiting on Ctrl-C', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, 'shop', 'create');
    const late = await acquireLock(dir, 'shop', 'scale', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isWizardError(late, 'STATE_LOCKED')).toBe(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const stopped = await acquireLock(dir, 'shop', 'scale', { timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    expect(isWizardError(stopped, 'INTERRUPTED')).toBe(true);
    expect(JSON.parse(await fs.readFile(first.location, 'utf8')).command).toBe('create');
    await first.release();
  });
});
