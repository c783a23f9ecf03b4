import { spawnSync } from 'node:child_process';

/**
 * cfn-lint, AWS's CloudFormation linter, as the tests run it: installed on the project's machines
 * (and by .ci/run where it is missing). Never skipped: without it the test fails and says how to
 * install it.
 */
export const CFN_LINT_INSTALL_HINT = 'The export tests need cfn-lint (AWS CloudFormation Linter). Install it with: python3 -m pip install cfn-lint — then `cfn-lint --version` must work.';

export interface LintMatch {
  file: string;
  level: 'Error' | 'Warning' | 'Informational';
  rule: string;
  message: string;
  path: string;
}

function command(): { cmd: string; args: string[] } {
  const probe = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return { cmd: 'cfn-lint', args: [] };
  const py = spawnSync('python3', ['-m', 'cfnlint', '--version'], { stdio: 'ignore' });
  if (!py.error && py.status === 0) return { cmd: 'python3', args: ['-m', 'cfnlint'] };
  throw new Error(CFN_LINT_INSTALL_HINT);
}

/** Every finding of cfn-lint on the templates (one process for all of them). */
export function cfnLint(files: string[]): LintMatch[] {
  const { cmd, args } = command();
  const r = spawnSync(cmd, [...args, '--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // Exit status: a bit mask of 2 (errors), 4 (warnings), 8 (informational); 1 is cfn-lint failing itself.
  if (r.error || r.status === null || (r.status & 1) === 1) throw new Error(`cfn-lint failed to run (${r.status}): ${r.error?.message ?? r.stderr}`);
  const matches = JSON.parse(r.stdout || '[]') as { Filename: string; Level: LintMatch['level']; Rule: { Id: string }; Message: string; Location: { Path: (string | number)[] } }[];
  return matches.map((m) => ({ file: m.Filename, level: m.Level, rule: m.Rule.Id, message: m.Message, path: m.Location.Path.join('.') }));
}
