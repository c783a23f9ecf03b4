import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

/** Every .ts file under a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const SRC = resolve(__dirname, '../../../src');
const CLI = join(SRC, 'cli');

/** The modules a file imports (static `from '…'` and dynamic `import('…')`), relative ones resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

describe('layers', () => {
  it('nothing below cli/ imports from cli/ (the CLI calls into the domain, never the other way round)', () => {
    const below = sources(SRC).filter((f) => !f.startsWith(CLI + sep));
    expect(below.length).toBeGreaterThan(50);
    const offending = below.flatMap((f) => importsOf(f).filter((i) => i.startsWith(CLI + sep)).map((i) => `${relative(SRC, f)} → ${relative(SRC, i)}`));
    expect(offending).toEqual([]);
  });

  it('the scan sees an import from cli/ when there is one', () => {
    // The scanner itself, on a file that does import from cli/: so the test above can fail.
    const cliFile = join(CLI, 'commands', 'status.ts');
    expect(importsOf(cliFile).some((i) => i.startsWith(CLI + sep))).toBe(true);
  });
});
