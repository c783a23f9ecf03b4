import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CAPACITY_READS } from '../../../src/scaling/capacity.js';
import { fieldSchema } from '../../../src/wizard/draft.js';
import { ruleIssues } from '../../../src/wizard/rules.js';
import { gatherAnswers, startWizard, type GatherOptions } from '../../../src/wizard/ask.js';
import type { Account } from '../../../src/wizard/account.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { DraftFile } from '../../../src/wizard/draft.js';
import { repositoryName, toStackName } from '../../../src/wizard/questions.js';
import { inputError, isWizardError, type WizardError } from '../../../src/errors.js';
import type { Answers } from '../../../src/wizard/schema.js';
import { CTRL_C, scriptedPrompter, type Script } from './scripted-prompter.js';

/** A fake account in eu-west-1 with three zones offering every type. Counts lookups. */
function fakeAccount(): Account & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    region: 'eu-west-1',
    listVpcs: async () => (calls.push('listVpcs'), []),
    listSubnets: async () => (calls.push('listSubnets'), []),
    async zonesOffering(type) {
      calls.push(`zonesOffering ${type}`);
      // Graviton types are not offered in eu-west-1a here.
      return type.startsWith('m7g.') ? ['eu-west-1b', 'eu-west-1c'] : ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
    },
  };
}

const QUICK: Script = [
  ['Stack name', 'shop-web'],
  ['AWS region', undefined],
  ['Container image', undefined],
  ['Container port', undefined],
];

/** Enter at every question of the full walk (new VPC, no key pair). */
const ALL_ENTER: Script = [
  ['Stack name', 'shop-web'], ['region', undefined], ['Network', undefined], ['VPC CIDR', undefined], ['subnet CIDRs', undefined],
  ['HTTPS?', undefined], ['listener port', undefined], ['reach the load balancer', undefined], ['Health check', undefined], ['instance type', undefined],
  ['Availability zones', undefined], ['Where do the instances run', undefined], ['launched', undefined], ['Spot capacity', undefined],
  ['desired capacity', undefined], ['Minimum instances', undefined], ['Maximum instances', undefined], ['key pair', ''],
  ['Container image', undefined], ['Container port', undefined], ['CPU units', undefined], ['memory (MiB)', undefined], ['desired count', undefined],
  ['CloudWatch Logs', undefined], ['how many days', undefined], ['Container Insights', undefined], ['automatically', undefined],
  ['Minimum tasks', undefined], ['Maximum tasks', undefined], ['which metrics', undefined], ['Target average CPU', undefined],
  ['How instances scale', undefined], ['Target capacity', undefined],
];

async function run(script: Script, opts: Partial<GatherOptions> = {}) {
  const prompter = scriptedPrompter(script);
  const account = fakeAccount();
  const wizard = await startWizard({ file: {}, prompter, yes: false, account: async () => account, ...opts });
  return { prompter, account, wizard };
}

/** The review loop with a review that only records what it was shown. */
async function review(wizard: Awaited<ReturnType<typeof startWizard>>): Promise<Answers[]> {
  const shown: Answers[] = [];
  await wizard.review(async (a) => void shown.push(a));
  return shown;
}

describe('the quick path (create without --advanced)', () => {
  it('asks the stack name, region, image and port, and gives every other answer what Enter gives in the full walk', async () => {
    // GIVEN a person who names the stack and presses Enter three times, then "none" at the review
    const { prompter, wizard, account } = await run([...QUICK, ['Customize a section?', 'none']]);
    const shown = await review(wizard);
    // THEN exactly four questions were asked before the review, and one after it
    expect(prompter.asked).toEqual(['Stack name (prefixes every resource name)', 'AWS region', 'Container image', 'Container port', 'Customize a section?']);
    expect(prompter.remaining()).toBe(0);
    // AND the answers are those of Enter at every question of --advanced, account-aware zones included
    const advanced = await run(ALL_ENTER, { advanced: true });
    expect(advanced.prompter.remaining()).toBe(0);
    expect(shown).toEqual([advanced.wizard.answers()]);
    expect(shown[0]).toMatchObject({ region: 'eu-west-1', network: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] }, instances: { instanceType: 't3.small' } });
    expect(account.calls).toContain('zonesOffering t3.small');
  });

  it('with an answers file asks only the quick questions the file lacks, and offers only sections it does not fill', async () => {
    const file = { stack: 'pre', service: { image: 'httpd:2.4', containerPort: 8080 }, scaling: { service: { enabled: false }, instances: { managed: true, targetCapacityPercent: 100 } } };
    const { prompter, wizard } = await run([['AWS region', 'us-east-1'], ['Customize a section?', 'none']], { file });
    const [answers] = await review(wizard);
    expect(prompter.asked).toEqual(['AWS region', 'Customize a section?']);
    expect(answers).toMatchObject({ stack: 'pre', region: 'us-east-1', service: { image: 'httpd:2.4', containerPort: 8080 } });
    expect(prompter.offered['Customize a section?']).toEqual(['network', 'load balancer', 'instances', 'service', 'none']);
  });

  it('a customized section is asked again with the current answers as defaults, the review shown again, until "none"', async () => {
    const { prompter, wizard } = await run([
      ...QUICK,
      ['Customize a section?', 'network'],
      ['Network', undefined], ['VPC CIDR', '10.20.0.0/16'], ['subnet CIDRs', undefined], ['Availability zones', undefined], ['Where do the instances run', undefined],
      ['Customize a section?', 'load balancer'],
      ['HTTPS?', undefined], ['listener port', 8080], ['reach the load balancer', '203.0.113.0/24'], ['Health check', undefined],
      ['Customize a section?', 'none'],
    ]);
    const shown = await review(wizard);
    expect(prompter.remaining()).toBe(0);
    // THEN the review was shown after each customizing, and the subnets followed the new VPC (a default is worked out again)
    expect(shown).toHaveLength(3);
    expect(shown[1]!.network).toMatchObject({ vpcCidr: '10.20.0.0/16', subnetCidrs: ['10.20.0.0/24', '10.20.1.0/24'] });
    expect(shown[2]!.loadBalancer).toMatchObject({ listenerPort: 8080, ingressCidrs: ['203.0.113.0/24'] });
    expect(shown[2]!.network.vpcCidr).toBe('10.20.0.0/16');
  });

  it('a default in another section follows the answer it was worked out from: the zones offering a new instance type', async () => {
    const { wizard } = await run([
      ...QUICK,
      ['Customize a section?', 'instances'],
      ['instance type', 'm7g.large'], ['launched', undefined], ['Spot capacity', undefined], ['desired capacity', undefined], ['Minimum instances', undefined], ['Maximum instances', undefined], ['key pair', ''],
      ['Customize a section?', 'none'],
    ]);
    const shown = await review(wizard);
    expect(shown[0]!.network.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(shown[1]!.network.availabilityZones).toEqual(['eu-west-1b', 'eu-west-1c']);
  });

  it('Spot turned on and off again in a customized section leaves no Spot keys behind', async () => {
    const instances = (spot: boolean): Script => [
      ['Customize a section?', 'instances'],
      ['instance type', undefined], ['launched', undefined], ['Spot capacity', spot],
      ...(spot ? ([['Spot instance types', 't3.small, t3a.small'], ['base capacity', undefined], ['On-Demand share', undefined]] as Script) : []),
      ['desired capacity', undefined], ['Minimum instances', undefined], ['Maximum instances', undefined], ['key pair', ''],
    ];
    const { wizard } = await run([...QUICK, ...instances(true), ...instances(false), ['Customize a section?', 'none']]);
    const shown = await review(wizard);
    expect(shown[1]!.instances.spot).toEqual({ instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 });
    expect(shown[2]!.instances.spot).toBeUndefined();
    expect(wizard.draft).not.toHaveProperty('instances.spot');
  });
});

describe('cross-field rules as soon as their answers are known', () => {
  const SERVICE: Script = [
    ['Customize a section?', 'service'],
    ['Container image', undefined], ['Container port', undefined], ['CPU units', undefined],
  ];
  const SERVICE_REST: Script = [['CloudWatch Logs', undefined], ['how many days', undefined], ['Container Insights', undefined], ['Customize a section?', 'none']];

  it('memory 4096 on a t3.small is refused right after the memory question, with the reason', async () => {
    const { prompter, wizard } = await run([...QUICK, ...SERVICE, ['memory (MiB)', 4096], ['memory (MiB)', 1024], ['desired count', undefined], ...SERVICE_REST]);
    const shown = await review(wizard);
    // THEN the refusal came at the memory question itself, before the next one was asked
    expect(prompter.refusals).toEqual([
      { message: 'Task memory (MiB)', answer: 4096, error: 'a task needs 4096 MiB but a t3.small offers about 1884 MiB to tasks; pick a larger instance type or a smaller task', question: prompter.asked.indexOf('Task memory (MiB)') },
    ]);
    expect(prompter.asked[prompter.refusals[0]!.question + 1]).toBe('Tasks to run (desired count)');
    expect(shown[1]!.service!.memory).toBe(1024);
  });

  it('the same in the full walk: the instance type was answered before, so the memory question refuses', async () => {
    const script = ALL_ENTER.flatMap((e): Script => (e[0] === 'memory (MiB)' ? [['memory (MiB)', 4096], ['memory (MiB)', 512]] : [e]));
    const { prompter, wizard } = await run(script, { advanced: true });
    expect(prompter.refusals.map((r) => [r.message, r.error])).toEqual([['Task memory (MiB)', expect.stringContaining('t3.small offers about 1884 MiB')]]);
    expect(wizard.answers().service!.memory).toBe(512);
  });

  it('a desired count outside scaling.service\'s min–max is refused at the desired count, the bound named', async () => {
    const { prompter, wizard } = await run([...QUICK, ...SERVICE, ['memory (MiB)', undefined], ['desired count', 10], ['desired count', 4], ...SERVICE_REST]);
    const shown = await review(wizard);
    expect(prompter.remaining()).toBe(0);
    expect(shown[1]!.service!.desiredCount).toBe(4);
    expect(prompter.refusals.map((r) => [r.message, r.error])).toEqual([['Tasks to run (desired count)', 'scaling.service.maxCount: must be ≥ service.desiredCount (10)']]);
  });

  it('a bound the answers file gives is checked at the first question that crosses it', async () => {
    const script = ALL_ENTER.filter(([m]) => !/Maximum instances/.test(m)).flatMap((e): Script => (e[0] === 'desired capacity' ? [['desired capacity', 5], ['desired capacity', 3]] : [e]));
    const { prompter, wizard } = await run(script, { advanced: true, file: { instances: { maxSize: 3 } } });
    // (the question says what a host costs a month after its message)
    expect(prompter.refusals.map((r) => [r.message, r.error])).toEqual([[expect.stringMatching(/^Instances to start with \(desired capacity\)( — each .*)?$/), 'instances.maxSize: must be ≥ desiredCapacity (5)']]);
    expect(wizard.answers().instances).toMatchObject({ desiredCapacity: 3, maxSize: 3 });
  });

  it('a choice that breaks a rule (no capacity provider for tasks the first hosts cannot hold) is asked again with the reason', async () => {
    const script = ALL_ENTER.flatMap((e): Script =>
      e[0] === 'instance type' ? [['instance type', 't3.micro']] : e[0] === 'How instances scale' ? [['How instances scale', false], ['How instances scale', true]] : e[0] === 'desired capacity' ? [['desired capacity', 1]] : [e],
    );
    const { prompter, wizard } = await run(script, { advanced: true });
    expect(prompter.asked.filter((m) => m.startsWith('How instances scale'))).toEqual([
      'How instances scale',
      'How instances scale (service.desiredCount: 2 tasks need 2 instances (1 per t3.micro), but instances.desiredCapacity is 1 and without a capacity provider (scaling.instances.managed: false) nothing adds instances for tasks that cannot be placed)',
    ]);
    expect(wizard.answers().scaling.instances.managed).toBe(true);
  });
});

describe('what the rules read', () => {
  it('names real answers only (a misspelt one would put a check off to the end)', () => {
    // GIVEN every rule the invalid-answers corpus breaks, and the capacity refusals
    const dir = resolve(__dirname, '../../fixtures/invalid');
    const parsed = (f: string): unknown => {
      try {
        return parseYaml(readFileSync(join(dir, f), 'utf8'));
      } catch {
        return undefined; // the corpus has files that are not YAML at all
      }
    };
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map(parsed);
    const issues = files.flatMap((d) => (d && typeof d === 'object' ? ruleIssues(d as Record<string, unknown>) : []));
    const reads = new Set([...issues.flatMap((i) => i.reads), ...Object.values(CAPACITY_READS).flat()]);
    // THEN each is a field of the answers schema
    expect(reads.size).toBeGreaterThan(10);
    for (const r of reads) expect(() => fieldSchema(r), r).not.toThrow();
  });
});

describe('final validation', () => {
  it('re-asks only the questions of a problem found at the end (answers resumed against a file), instead of exit 2', async () => {
    // GIVEN a draft whose memory fit the instance type it was typed with, and a file that now says t3.small
    const draft = new DraftFile(join(mkdtempSync(join(tmpdir(), 'draft-')), '.draft.json'));
    await draft.write({ savedAt: '2025-06-01T10:00:00.000Z', stack: 'grown', typed: ['stack', 'region', 'service.image', 'service.containerPort', 'service.memory'], answers: { stack: 'grown', region: 'eu-west-1', service: { image: 'httpd:2.4', containerPort: 80, memory: 4096 } }, virtuals: {} });
    const { prompter, wizard } = await run([['Resume the answers', true], ['Task memory', 4000], ['Task memory', 1024]], { draft, file: { instances: { instanceType: 't3.small' } } });
    // THEN the memory alone is asked again, with the reason, and refuses another value that does not fit
    expect(prompter.asked).toEqual([
      expect.stringMatching(/^Resume the answers you gave on 2025-06-0[12] \d\d:\d\d for grown\?$/),
      'Task memory (MiB) (a task needs 4096 MiB but a t3.small offers about 1884 MiB to tasks; pick a larger instance type or a smaller task)',
    ]);
    expect(prompter.refusals.map((r) => r.answer)).toEqual([4000]);
    expect(wizard.answers()).toMatchObject({ stack: 'grown', instances: { instanceType: 't3.small' }, service: { image: 'httpd:2.4', memory: 1024 } });
  });

  it('a problem only the answers file can fix is exit 2 before anything is asked or looked up', async () => {
    const prompter = scriptedPrompter([]);
    const account = fakeAccount();
    const err = (await gatherAnswers({ file: { instances: { instanceType: 't3.small' }, service: { memory: 4096 } }, prompter, yes: false, account: async () => account }).catch((e) => e)) as WizardError;
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems.map((p) => p.path)).toEqual(['service.memory']);
    expect(prompter.asked).toEqual([]);
    expect(account.calls).toEqual([]);
  });

  it('an input error from the review\'s own checks (e.g. Spot types of another architecture) re-asks the question it names', async () => {
    const { prompter, wizard } = await run([...QUICK, ['Container port', 8081], ['Customize a section?', 'none']]);
    let shows = 0;
    await wizard.review(async () => {
      if (shows++ === 0) throw inputError([{ path: 'service.containerPort', message: 'is taken (a stand-in for a check that needs AWS)' }]);
    });
    expect(shows).toBe(2);
    expect(prompter.asked).toContain('Container port (is taken (a stand-in for a check that needs AWS))');
    expect(prompter.remaining()).toBe(0);
    expect(wizard.answers().service!.containerPort).toBe(8081);
  });
});

describe('the stack name', () => {
  it('is suggested from the directory, then the image, made valid, and never an existing stack\'s', async () => {
    const accept = [['Stack name', undefined], ['AWS region', undefined], ['Container image', undefined], ['Container port', undefined]] as Script;
    const fromDir = await run(accept, { cwd: '/home/me/My Shop_2', existingStacks: async () => ['my-shop-2', 'my-shop-2-2'] });
    expect(fromDir.wizard.answers().stack).toBe('my-shop-2-3');
    const fromImage = await run(accept.filter(([m]) => m !== 'Container image'), { cwd: '/srv/2024', file: { service: { image: 'ghcr.io/acme/api:4.2' } } });
    expect(fromImage.wizard.answers().stack).toBe('api');
  });

  it('is never filled in without a person (--yes still needs it)', async () => {
    const err = await gatherAnswers({ file: {}, yes: true, cwd: '/home/me/shop', account: async () => fakeAccount() }).catch((e) => e);
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.message).toContain('missing answers: stack');
  });

  it('is made from text by the stack-name rules', () => {
    expect(toStackName('My_App.v2')).toBe('my-app-v2');
    expect(toStackName('42-things')).toBe('things');
    expect(toStackName('x'.repeat(40) + '-y')).toBe('x'.repeat(28));
    expect(toStackName('sg-tools')).toBeUndefined();
    expect(toStackName('2024')).toBeUndefined();
    expect(repositoryName('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.0')).toBe('app');
    expect(repositoryName('nginx@sha256:' + 'a'.repeat(64))).toBe('nginx');
    expect(repositoryName('localhost:5000/web')).toBe('web');
  });
});

describe('the draft', () => {
  const draftIn = (): DraftFile => new DraftFile(join(mkdtempSync(join(tmpdir(), 'draft-')), 'state', '.draft.json'));

  it('keeps every answer as it is typed, so the next run after Ctrl-C offers them back and asks only the rest', async () => {
    const draft = draftIn();
    // GIVEN Ctrl-C at the port, after three answers
    const first = await run([['Stack name', 'shop-web'], ['AWS region', 'eu-west-1'], ['Container image', 'httpd:2.4'], ['Container port', CTRL_C]], { draft, now: () => new Date('2025-06-01T10:30:00Z') }).catch((e) => e);
    expect(isWizardError(first, 'INTERRUPTED')).toBe(true);
    expect(first.message).toBe('Interrupted: nothing was created. The answers typed so far are kept: the next `ecs-wizard create` here offers them back.');
    // THEN the draft holds them, readable by its owner only
    expect(statSync(draft.file).mode & 0o777).toBe(0o600);
    expect(await draft.read()).toMatchObject({ stack: 'shop-web', typed: ['stack', 'region', 'service.image'], answers: { stack: 'shop-web', region: 'eu-west-1', service: { image: 'httpd:2.4' } } });
    // WHEN create runs again and the person accepts
    const { prompter, wizard } = await run([['Resume the answers', undefined], ['Container port', 8080]], { draft });
    // THEN only the port is asked, and the answers are the typed ones
    expect(prompter.asked).toEqual([expect.stringMatching(/^Resume the answers you gave on 2025-06-01 \d\d:30 for shop-web\?$/), 'Container port']);
    expect(wizard.answers()).toMatchObject({ stack: 'shop-web', region: 'eu-west-1', service: { image: 'httpd:2.4', containerPort: 8080 } });
    // AND once created, it is gone
    await wizard.discardDraft();
    expect(existsSync(draft.file)).toBe(false);
  });

  it('declined, it is removed and everything is asked', async () => {
    const draft = draftIn();
    await run([['Stack name', 'old'], ['AWS region', CTRL_C]], { draft }).catch(() => undefined);
    expect(existsSync(draft.file)).toBe(true);
    const { prompter } = await run([['Resume the answers', false], ['Stack name', 'new'], ['AWS region', CTRL_C]], { draft }).catch((e) => ({ prompter: undefined, e }));
    expect(prompter).toBeUndefined();
    expect((await draft.read())?.stack).toBe('new');
  });

  it('never puts back a key the answers file gives, and is not offered for another stack\'s file', async () => {
    const draft = draftIn();
    await draft.write({ savedAt: new Date().toISOString(), stack: 'shop-web', typed: ['stack', 'service.image'], answers: { stack: 'shop-web', service: { image: 'nginx:1.27' } }, virtuals: {} });
    const same = await run([['Resume the answers', true], ['AWS region', undefined], ['Container port', undefined]], { draft, file: { stack: 'shop-web', service: { image: 'httpd:2.4' } } });
    expect(same.wizard.answers().service!.image).toBe('httpd:2.4');
    const other = await run([['AWS region', undefined], ['Container image', undefined], ['Container port', undefined]], { draft, file: { stack: 'other' } });
    expect(other.prompter.asked.some((m) => m.startsWith('Resume'))).toBe(false);
  });

  it('holds no secret-looking environment value, and a damaged draft is no draft', async () => {
    const draft = draftIn();
    await draft.write({ savedAt: new Date().toISOString(), typed: ['service.environment'], answers: { service: { environment: { DB_PASSWORD: 'hunter2', LOG_LEVEL: 'debug' } } }, virtuals: {} });
    const text = readFileSync(draft.file, 'utf8');
    expect(text).toContain('LOG_LEVEL');
    expect(text).not.toMatch(/DB_PASSWORD|hunter2/);
    writeFileSync(draft.file, '{"version": 1, "typed": [');
    expect(await draft.read()).toBeUndefined();
  });
});
