import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTALL_HINT, WARM_MOTO_ENV, startMoto } from '../../support/moto.js';

/** The suite never skips for a missing moto: it fails and says how to install it. */
describe('startMoto without moto', () => {
  const path = process.env.PATH;
  // (moto started the way it is without the suite's warm moto process: from PATH)
  beforeEach(() => vi.stubEnv(WARM_MOTO_ENV, ''));
  afterEach(() => {
    process.env.PATH = path;
    vi.unstubAllEnvs();
  });

  it('fails with the install hint when neither moto_server nor python3 is on PATH', async () => {
    // GIVEN a PATH with nothing on it
    process.env.PATH = mkdtempSync(join(tmpdir(), 'no-moto-'));
    // WHEN a test starts moto  THEN it fails, saying how to install it
    await expect(startMoto()).rejects.toThrow(INSTALL_HINT);
  });

  it('fails with the install hint when the moto_server on PATH does not start', async () => {
    // GIVEN a moto_server that exits at once (a broken install)
    const dir = mkdtempSync(join(tmpdir(), 'broken-moto-'));
    writeFileSync(join(dir, 'moto_server'), '#!/bin/sh\necho "ModuleNotFoundError: No module named werkzeug" >&2\nexit 1\n');
    chmodSync(join(dir, 'moto_server'), 0o755);
    process.env.PATH = `${dir}:/usr/bin:/bin`;
    // WHEN a test starts moto  THEN it fails with moto's own words and the hint
    const started = startMoto();
    await expect(started).rejects.toThrow(/exited \(1\): ModuleNotFoundError: No module named werkzeug/);
    await expect(started).rejects.toThrow(INSTALL_HINT);
  });
});
