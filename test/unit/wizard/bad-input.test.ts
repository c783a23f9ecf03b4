import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { AwsClients } from '../../../src/aws/clients.js';
import { DEFAULT_TIMING } from '../../../src/aws/poll.js';
import type { CliContext } from '../../../src/cli/context.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit.js';
import { buildProgram } from '../../../src/cli/main.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The bad-input corpus: every invalid answers file and bad flag combination must exit 2, name the
 * bad field, and make no AWS call — asserted by pointing the CLI (in-process) at a loopback server that
 * counts every request it receives.
 */
const ROOT = resolve(__dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/invalid');

interface Case {
  name: string;
  args: string[];
  expect: string;
  /** For an unknown key: the key the problem must name. */
  names?: string;
}

/**
 * Each fixture says, in a `# expect: <path>` comment, the one field path its problem must carry —
 * exactly — and, where the path alone does not tell the rule (an unknown key, one of several rules
 * on a field), in `# names: <text>`, what the message must say.
 */
const fixtureCases: Case[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const file = join(FIXTURES, f);
    const text = readFileSync(file, 'utf8');
    const expectField = /^# expect: (.+)$/m.exec(text)?.[1]?.trim();
    const names = /^# names: (.+)$/m.exec(text)?.[1]?.trim();
    const flags = /^# flags: (.+)$/m.exec(text)?.[1]?.trim();
    if (!expectField) throw new Error(`${f} lacks a "# expect: <field>" comment`);
    const args = flags ? flags.split(/\s+/).map((a) => (a === 'FILE' ? file : a)) : ['create', '--answers', file, '--yes', '--dry-run'];
    return { name: f, args, expect: expectField, ...(names ? { names } : {}) };
  });

const ok = join(FIXTURES, '..', 'valid-answers.yaml');
const flagCases: Case[] = [
  { name: '--output xml', args: ['create', '--answers', ok, '--yes', '--output', 'xml'], expect: '--output' },
  { name: '--wait-timeout -1', args: ['create', '--answers', ok, '--yes', '--wait-timeout', '-1'], expect: '--wait-timeout' },
  { name: '--wait-timeout abc', args: ['create', '--answers', ok, '--yes', '--wait-timeout', 'abc'], expect: '--wait-timeout' },
  { name: '--concurrency 0', args: ['create', '--answers', ok, '--yes', '--concurrency', '0'], expect: '--concurrency' },
  { name: '--concurrency 100', args: ['create', '--answers', ok, '--yes', '--concurrency', '100'], expect: '--concurrency' },
  { name: '--region nowhere', args: ['create', '--answers', ok, '--yes', '--region', 'nowhere'], expect: '--region' },
  { name: '--endpoint-url not a URL', args: ['create', '--answers', ok, '--yes', '--endpoint-url', 'localhost'], expect: '--endpoint-url' },
  { name: '--answers missing.yaml', args: ['create', '--answers', 'missing.yaml', '--yes'], expect: '--answers' },
  { name: '--answers without a file', args: ['create', '--answers'], expect: '--answers' },
  { name: 'unknown flag', args: ['create', '--answers', ok, '--yes', '--bogus'], expect: '--bogus' },
  { name: 'create without answers in a non-TTY', args: ['create'], expect: 'stack' },
  { name: 'create --yes without a stack name', args: ['create', '--yes'], expect: 'stack' },
  { name: 'destroy without a stack', args: ['destroy', '--yes'], expect: 'STACK' },
  { name: 'destroy without --yes in a non-TTY', args: ['destroy', 'shop-web'], expect: '--yes' },
  { name: 'status --output yaml', args: ['status', 'shop-web', '--output', 'yaml'], expect: '--output' },
];

let server: Server;
let requests = 0;
let endpoint = '';
const stateDir = mkdtempSync(join(tmpdir(), 'bad-input-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    res.statusCode = 403;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/**
 * Runs the CLI's command table in-process (one module load for the whole corpus), the way main()
 * does: commander errors exit 2, WizardErrors map through exitCodeFor. Every AWS client points at
 * the counting server.
 */
async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  let error: unknown;
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
  const ctx: CliContext = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
    env: { ECS_WIZARD_STATE_DIR: stateDir },
    cwd: stateDir,
    isTTY: false,
    makeClients: (t) => new AwsClients({ ...t, endpointUrl: t.endpointUrl ?? endpoint, region: t.region ?? 'us-east-1', maxAttempts: 1 }),
    timing: DEFAULT_TIMING,
    signal: new AbortController().signal,
  };
  const program = buildProgram(async (load) => {
    code = await load();
  }, () => ctx);
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  try {
    await program.parseAsync(['node', 'ecs-wizard', ...args]);
  } catch (err) {
    error = err;
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : EXIT.usage;
    else {
      code = exitCodeFor(err);
      stderr += `Error: ${(err as Error).message}\n${isWizardError(err) && err.hint ? `Hint: ${err.hint}\n` : ''}`;
      if (!isWizardError(err)) stderr += `${(err as Error).stack}\n`;
    }
  }
  return { code, stdout, stderr, error };
}

describe('bad input: exit 2, the bad field named, zero AWS requests', () => {
  it('has the whole corpus: 89 answers files and 15 flag cases', () => {
    expect(fixtureCases).toHaveLength(89);
    expect(flagCases).toHaveLength(15);
  });

  it('the valid control file is accepted (so the failures below are the bad field, not the base)', async () => {
    // GIVEN the file the flag cases build on WHEN it runs with --dry-run THEN the CLI gets as far as calling AWS
    const before = requests;
    const r = await run(['create', '--answers', ok, '--yes', '--dry-run', '--output', 'json']);
    expect(r.code).not.toBe(2);
    expect(requests).toBeGreaterThan(before);
  });

  it.each(fixtureCases.map((c) => [c.name, c] as const))('%s names exactly its field', async (_name, c) => {
    // GIVEN an answers file with one bad field  WHEN create runs
    const before = requests;
    const r = await run(c.args);
    // THEN exit 2 with one problem, at exactly that path, and no AWS request
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
    expect(isWizardError(r.error), r.stderr).toBe(true);
    const problems = (r.error as WizardError).problems;
    expect(problems.map((p) => p.path)).toEqual([c.expect]);
    if (c.names) expect(problems[0]!.message).toContain(c.names);
    expect(r.stderr).toContain(c.expect);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // not an unexpected error
    expect(requests - before).toBe(0);
  });

  it.each(flagCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = requests;
    const r = await run(c.args);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
    // Our own checks name the flag as a problem's path; commander's own usage errors name it in words.
    if (r.error instanceof CommanderError) expect(r.stderr).toContain(c.expect);
    else expect((r.error as WizardError).problems.map((p) => p.path)).toContain(c.expect);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // not an unexpected error
    expect(requests - before).toBe(0);
  });
});
