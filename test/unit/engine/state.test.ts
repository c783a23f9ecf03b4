import { spawn } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/engine/lock.js';
import { StateFile, emptyState, readState, stateFilePath, STATE_VERSION } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { tempDir } from '../../support/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('state file', () => {
  it('is written with mode 0600 and reads back with its version', async () => {
    const dir = tempDir();
    const s = new StateFile(stateFilePath(dir, 'shop'), emptyState('shop'));
    await s.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-1' }, updatedAt: 'now' });
    expect(statSync(s.file).mode & 0o777).toBe(0o600);
    const back = await readState(s.file);
    expect(back).toMatchObject({ version: STATE_VERSION, stack: 'shop', resources: { vpc: { outputs: { vpcId: 'vpc-1' } } } });
  });

  it('a missing file is "no state", not an error', async () => {
    expect(await readState(path.join(tempDir(), 'nope.json'))).toBeUndefined();
  });

  it.each([
    ['truncated', '{"version": 1, "stack": "shop", "resou'],
    ['not JSON', 'hello'],
    ['not an object', '[1,2]'],
    ['no version', '{"stack":"shop","resources":{}}'],
    ['unknown version', '{"version": 99, "stack":"shop","resources":{}}'],
  ])('refuses a %s file with a clear error and leaves it untouched', async (_what, text) => {
    const file = path.join(tempDir(), 'shop.json');
    await fs.writeFile(file, text);
    const err = await readState(file).catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('parallel writes never interleave: the last one wins and the file is valid JSON', async () => {
    const dir = tempDir();
    const s = new StateFile(stateFilePath(dir, 'shop'), emptyState('shop'));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => s.put({ stepId: `s${i}`, status: 'created', outputs: { i }, updatedAt: 'now' })),
    );
    const back = await readState(s.file);
    expect(Object.keys(back!.resources)).toHaveLength(30);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  // It runs the built dist/, which mutation testing does not mutate: there it could only cost time.
  it.skipIf(process.env.ECS_WIZARD_MUTATION_RUN === '1')('survives a SIGKILL at any moment of a write: the file is always the old or the new document', async () => {
    // The child rewrites a large state file in a loop through the built code; we kill it at varying moments.
    const built = path.join(root, 'dist/engine/state.js');
    expect(existsSync(built), 'run `npm run build` first (npm test does)').toBe(true);
    const dir = tempDir();
    const file = stateFilePath(dir, 'big');
    const script = `
      import { StateFile, emptyState } from ${JSON.stringify(built)};
      const s = new StateFile(${JSON.stringify(file)}, emptyState('big'));
      const pad = 'x'.repeat(200000);
      for (let gen = 1; ; gen++) {
        s.state.answers = { gen, pad };
        await s.save();
        if (gen === 1) process.stdout.write('ready\\n');
      }`;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + round * 7));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const state = await readState(file);
      expect(state?.stack).toBe('big');
      expect((state?.answers as { gen: number }).gen).toBeGreaterThanOrEqual(1);
      expect((state?.answers as { pad: string }).pad).toHaveLength(200000);
    }
  });
});

describe('stack lock', () => {
  it('a second lock on the same stack fails at once naming the stack and the holder pid', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, 'shop', 'create');
    const err = await acquireLock(dir, 'shop', 'destroy').catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect((err as Error).message).toContain('"shop"');
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    await first.release();
    const again = await acquireLock(dir, 'shop', 'destroy');
    await again.release();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = tempDir();
    // A pid that is certainly dead: a child that already exited.
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), command: 'create', startedAt: 'then' }));
    const lock = await acquireLock(dir, 'shop', 'create');
    const info = JSON.parse(await fs.readFile(lock.location, 'utf8'));
    expect(info.pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(lock.location)).toBe(false);
  });

  it('of several contenders for a stale lock, exactly one wins (20 rounds of 8)', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    const host = (await import('node:os')).hostname();
    for (let round = 0; round < 20; round++) {
      const dir = tempDir();
      await fs.writeFile(path.join(dir, 'shop.lock'), JSON.stringify({ pid: child.pid, host, command: 'create', startedAt: 'then' }));
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(dir, 'shop', 'create')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isWizardError(r.reason, 'STATE_LOCKED')).toBe(true);
      expect(existsSync(path.join(dir, 'shop.lock.takeover'))).toBe(false);
    }
  });
});
