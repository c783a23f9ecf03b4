import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { gatherAnswers } from '../../../src/wizard/ask.js';
import type { Account } from '../../../src/wizard/account.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { inquirerPrompter } from '../../../src/wizard/prompter.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import { scriptedPrompter, type Script } from './scripted-prompter.js';
import { bundledBook } from '../../../src/cost/prices.js';

/** A fake account: two VPCs, the second with subnets in two zones. Counts lookups. */
function fakeAccount(): Account & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    region: 'eu-west-1',
    async listVpcs() {
      calls.push('listVpcs');
      return [
        { vpcId: 'vpc-0aaa1111', cidr: '172.31.0.0/16', isDefault: true },
        { vpcId: 'vpc-0bbb2222', cidr: '10.9.0.0/16', name: 'shared', isDefault: false },
      ];
    },
    async listSubnets(vpcId) {
      calls.push(`listSubnets ${vpcId}`);
      return [
        { subnetId: 'subnet-0aaa0001', cidr: '10.9.0.0/24', availabilityZone: 'eu-west-1a' },
        { subnetId: 'subnet-0aaa0002', cidr: '10.9.1.0/24', availabilityZone: 'eu-west-1a' },
        { subnetId: 'subnet-0bbb0003', cidr: '10.9.2.0/24', availabilityZone: 'eu-west-1b' },
      ];
    },
    async zonesOffering(type) {
      calls.push(`zonesOffering ${type}`);
      return ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
    },
  };
}

/** Answers for everything after the network section, all defaults. */
const REST_DEFAULTS: Script = [
  ['HTTPS?', undefined],
  ['listener port', undefined],
  ['reach the load balancer', undefined],
  ['Health check', undefined],
  ['instance type', undefined],
];
const AFTER_ZONES: Script = [
  ['Where do the instances run', undefined],
  ['launched', undefined],
  ['Spot capacity', undefined],
  ['desired capacity', undefined],
  ['Minimum instances', undefined],
  ['Maximum instances', undefined],
  ['key pair', ''],
  ['Container image', undefined],
  ['Container port', undefined],
  ['CPU units', undefined],
  ['memory (MiB)', undefined],
  ['desired count', undefined],
  ['CloudWatch Logs', undefined],
  ['how many days', undefined],
  ['Container Insights', undefined],
  ['automatically', undefined],
  ['Minimum tasks', undefined],
  ['Maximum tasks', undefined],
  ['which metrics', undefined],
  ['Target average CPU', undefined],
  ['How instances scale', undefined],
  ['Target capacity', undefined],
];

async function interactive(script: Script, file: unknown = {}) {
  const prompter = scriptedPrompter(script);
  const account = fakeAccount();
  const draft = await gatherAnswers({ file, prompter, yes: false, account: async () => account, advanced: true });
  return { prompter, account, draft, answers: validateAnswers(draft) };
}

describe('interactive wizard', () => {
  it('walks the new-VPC path with defaults, offering only zones that have the instance type', async () => {
    // GIVEN a user who names the stack and accepts every default
    const { prompter, answers, account } = await interactive([
      ['Stack name', 'shop-web'],
      ['region', undefined],
      ['Network', undefined],
      ['VPC CIDR', undefined],
      ['subnet CIDRs', undefined],
      ...REST_DEFAULTS,
      ['Availability zones', undefined],
      ...AFTER_ZONES,
    ]);
    // THEN the answers are the defaults, with account-aware region and zones
    expect(prompter.remaining()).toBe(0);
    expect(answers).toMatchObject({
      stack: 'shop-web',
      region: 'eu-west-1',
      network: { vpcCidr: '10.0.0.0/16', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'], availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
      instances: { instanceType: 't3.small', minSize: 1, maxSize: 4, desiredCapacity: 2 },
      scaling: { service: { targetCpuPercent: 60 }, instances: { managed: true } },
    });
    expect(answers.instances.keyName).toBeUndefined();
    expect(account.calls).toContain('zonesOffering t3.small');
  });

  it('chooses an existing VPC from the account, re-asks when the subnets share one zone', async () => {
    const { prompter, answers } = await interactive([
      ['Stack name', 'reuse'],
      ['region', undefined],
      ['Network', 'existing'],
      ['Which VPC', 'vpc-0bbb2222'],
      ['Which subnets', ['subnet-0aaa0001', 'subnet-0aaa0002']],
      ['Which subnets', ['subnet-0aaa0001', 'subnet-0bbb0003']],
      ...REST_DEFAULTS,
      ...AFTER_ZONES,
    ]);
    // THEN the VPC and subnets are reused, no CIDR or zone question was asked
    expect(answers.network).toMatchObject({ vpcId: 'vpc-0bbb2222', subnetIds: ['subnet-0aaa0001', 'subnet-0bbb0003'] });
    expect(prompter.refusals).toEqual([expect.objectContaining({ error: expect.stringContaining('2 different availability zones') })]);
    expect(prompter.asked.some((m) => /VPC CIDR|subnet CIDRs|Availability zones/.test(m))).toBe(false);
  });

  it('goes back from the VPC picker to the network choice and then creates a new VPC', async () => {
    const { answers, prompter } = await interactive([
      ['Stack name', 'backtrack'],
      ['region', undefined],
      ['Network', 'existing'],
      ['Which VPC', '__back__'],
      ['Network', 'new'],
      ['VPC CIDR', '10.20.0.0/16'],
      ['subnet CIDRs', undefined],
      ...REST_DEFAULTS,
      ['Availability zones', undefined],
      ...AFTER_ZONES,
    ]);
    expect(prompter.asked.filter((m) => m === 'Network')).toHaveLength(2);
    expect(answers.network.vpcId).toBeUndefined();
    // the subnet default follows the VPC CIDR
    expect(answers.network.subnetCidrs).toEqual(['10.20.0.0/24', '10.20.1.0/24']);
  });

  it('re-asks invalid input with the same message an answers file gets', async () => {
    const { prompter, answers } = await interactive([
      ['Stack name', 'Shop_Web'],
      ['Stack name', 'shop-web'],
      ['region', 'nowhere'],
      ['region', 'eu-west-1'],
      ['Network', undefined],
      ['VPC CIDR', '10.0.0.1/16'],
      ['VPC CIDR', undefined],
      ['subnet CIDRs', '10.1.0.0/24, 10.0.1.0/24'],
      ['subnet CIDRs', '10.0.0.0/24, 10.0.0.0/25'],
      ['subnet CIDRs', '10.0.0.0/24 10.0.1.0/24'],
      ['HTTPS?', undefined],
      ['listener port', 70000],
      ['listener port', 8080],
      ['reach the load balancer', undefined],
      ['Health check', 'health'],
      ['Health check', '/health'],
      ['instance type', undefined],
      ['Availability zones', undefined],
      ['Where do the instances run', undefined],
      ['launched', undefined],
      ['Spot capacity', undefined],
      ['desired capacity', 3],
      ['Minimum instances', 4],
      ['Minimum instances', 1],
      ['Maximum instances', 2],
      ['Maximum instances', 5],
      ['key pair', 'ops'],
      ['SSH', '0.0.0.0/0'],
      ...AFTER_ZONES.slice(7),
    ]);
    const errors = prompter.refusals.map((r) => r.error);
    let fileError: WizardError | undefined;
    try {
      validateAnswers({ stack: 'Shop_Web' });
    } catch (e) {
      fileError = e as WizardError;
    }
    expect(errors[0]).toBe(fileError!.problems[0]!.message);
    expect(errors).toEqual([
      expect.stringContaining('lowercase'),
      expect.stringContaining('region'),
      expect.stringContaining('network address'),
      'network.subnetCidrs.0: must be inside the VPC CIDR 10.0.0.0/16',
      expect.stringMatching(/^network\.subnetCidrs\.1: overlaps/),
      'must be 1–65535',
      'must be a URL path starting with /',
      'must be ≤ desiredCapacity (3)',
      'must be ≥ desiredCapacity (3)',
    ]);
    expect(answers).toMatchObject({ loadBalancer: { listenerPort: 8080, healthCheckPath: '/health' }, instances: { keyName: 'ops', sshCidr: '0.0.0.0/0', maxSize: 5 } });
  });

  it('asks only what the answers file does not give', async () => {
    const { prompter, answers } = await interactive(
      [
        ['Network', undefined],
        ['VPC CIDR', undefined],
        ['subnet CIDRs', undefined],
        ...REST_DEFAULTS,
        ['Availability zones', undefined],
        ...AFTER_ZONES.filter(([m]) => !m.includes('Container image')),
      ],
      { stack: 'pre', region: 'us-east-1', service: { image: 'httpd:2.4' } },
    );
    expect(prompter.asked.some((m) => /Stack name|region|Container image/.test(m))).toBe(false);
    expect(answers.service!.image).toBe('httpd:2.4');
  });

  it('scales on memory and requests, and on ASG CPU when not managed', async () => {
    const { answers } = await interactive(
      [
        // The file predates private subnets: that is asked (it sizes the group without a spot key: no Spot).
        ['Where do the instances run', undefined],
        ['CloudWatch Logs', undefined],
        ['how many days', undefined],
        ['Container Insights', undefined],
        ['automatically', true],
        ['Minimum tasks', undefined],
        ['Maximum tasks', 8],
        ['which metrics', []],
        ['which metrics', ['memory', 'requests']],
        ['memory (%)', 75],
        ['requests per task', 500],
        ['How instances scale', false],
        ['Target average instance CPU', 50],
      ],
      {
        stack: 's', region: 'us-east-1', network: { vpcCidr: '10.0.0.0/16', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
        loadBalancer: { listenerPort: 80, ingressCidrs: ['0.0.0.0/0'], healthCheckPath: '/' },
        instances: { instanceType: 't3.micro', launch: 'template', minSize: 1, maxSize: 4, desiredCapacity: 2, keyName: 'k', sshCidr: '10.0.0.0/8' },
        service: { image: 'nginx:latest', containerPort: 80, cpu: 256, memory: 512, desiredCount: 2 },
      },
    );
    expect(answers.scaling.service).toMatchObject({ maxCount: 8, targetMemoryPercent: 75, requestsPerTarget: 500 });
    expect(answers.scaling.service.targetCpuPercent).toBeUndefined();
    expect(answers.scaling.instances).toMatchObject({ managed: false, targetCpuPercent: 50 });
  });
});

describe('the choices show their price', () => {
  it('the instance type with its Graviton counterpart, public against private, one NAT gateway or one per zone, Spot\'s last hour, a host a month', async () => {
    // GIVEN an account in eu-west-1 whose prices are the bundled table's and whose Spot history says t3.small ran at $0.0071
    const shown: { message: string; descriptions: (string | undefined)[] }[] = [];
    const scripted = scriptedPrompter([
      ['Stack name', 'priced'], ['region', undefined], ['Network', undefined], ['VPC CIDR', undefined], ['subnet CIDRs', undefined],
      ...REST_DEFAULTS, ['Availability zones', undefined], ['Where do the instances run', 'private'], ['NAT gateways', undefined], ['Private subnet CIDRs', undefined],
      ...AFTER_ZONES.slice(1),
    ]);
    const prompter = {
      ...scripted,
      input: (q: Parameters<typeof scripted.input>[0]) => (shown.push({ message: q.message, descriptions: [] }), scripted.input(q)),
      number: (q: Parameters<typeof scripted.number>[0]) => (shown.push({ message: q.message, descriptions: [] }), scripted.number(q)),
      confirm: (q: Parameters<typeof scripted.confirm>[0]) => (shown.push({ message: q.message, descriptions: [] }), scripted.confirm(q)),
      select: <T,>(q: { message: string; choices: { name: string; value: T; description?: string }[]; default?: T }) => (shown.push({ message: q.message, descriptions: q.choices.map((c) => c.description) }), scripted.select(q)),
    };
    const spotAsked: unknown[] = [];
    const account: Account = {
      ...fakeAccount(),
      prices: async () => bundledBook('eu-west-1'),
      spotPrices: async (types, zones) => (spotAsked.push([types, zones]), { 't3.small': { instanceType: 't3.small', hourly: 0.0071, zones: ['eu-west-1a'], samples: 2 } }),
    };
    await gatherAnswers({ file: {}, prompter, yes: false, account: async () => account, advanced: true });
    const asked = (m: string) => shown.find((x) => x.message.includes(m))!;
    // THEN each says what it costs, at eu-west-1's prices (730 hours a month)
    expect(asked('EC2 instance type').message).toBe('EC2 instance type — t3.small: $16.64 a month each On-Demand; t4g.small (Graviton, arm64): $13.43'); // 730 × 0.0228, 730 × 0.0184
    expect(asked('Where do the instances run').descriptions).toEqual([
      'a public IPv4 address on each instance: $3.65 a month each', // 730 × 0.005
      'no public IPs on the instances; the load balancer stays public. A NAT gateway with its address: $38.69 a month, plus $0.048 per GB through it', // 730 × (0.048 + 0.005)
    ]);
    expect(asked('NAT gateways').descriptions).toEqual(['$38.69 a month with its address, plus data', '$77.38 a month with their addresses, plus data']);
    expect(asked('Use Spot capacity').message).toMatch(/— t3\.small on Spot: \$0\.0071\/h, the median of the last hour, vs \$0\.0228 On-Demand: 69 % less$/);
    expect(spotAsked).toEqual([[['t3.small'], ['eu-west-1a', 'eu-west-1b']]]);
    // (private: no address on the host) 730 × 0.0228 + 30 GiB × 0.088
    expect(asked('desired capacity').message).toBe('Instances to start with (desired capacity) — each t3.small ≈ $19.28 a month On-Demand with its root volume');
  });

  it('a price that cannot be read leaves the question as it was', async () => {
    const { prompter } = await interactive([['Stack name', 'plain'], ['region', undefined], ['Network', undefined], ['VPC CIDR', undefined], ['subnet CIDRs', undefined], ...REST_DEFAULTS.slice(0, 4), ['instance type', 'x9.huge'], ['Availability zones', undefined], ...AFTER_ZONES]);
    // (the fake account has no Spot history, and x9.huge has no price)
    expect(prompter.asked.find((m) => m.startsWith('Use Spot capacity'))).toBe("Use Spot capacity? (typically 50–70 % cheaper; AWS may take an instance back with 2 minutes' notice)");
    expect(prompter.asked.find((m) => m.startsWith('Instances to start with'))).toBe('Instances to start with (desired capacity)');
  });
});

describe('non-interactive answers', () => {
  it('--yes fills every missing answer with its default and makes no account lookup', async () => {
    const account = fakeAccount();
    const draft = await gatherAnswers({ file: { stack: 'ci' }, yes: true, account: async () => account });
    const answers = validateAnswers(draft);
    expect(answers).toMatchObject({ stack: 'ci', network: { vpcCidr: '10.0.0.0/16' }, service: { image: 'nginx:latest' }, scaling: { service: { targetCpuPercent: 60 } } });
    expect(account.calls).toEqual([]);
  });

  it('--yes picks one subnet per zone when only a VPC id is given', async () => {
    const account = fakeAccount();
    const draft = await gatherAnswers({ file: { stack: 'ci', network: { vpcId: 'vpc-0bbb2222' } }, yes: true, account: async () => account });
    expect(validateAnswers(draft).network.subnetIds).toEqual(['subnet-0aaa0001', 'subnet-0bbb0003']);
  });

  it('--yes still needs a stack name', async () => {
    const err = await gatherAnswers({ file: {}, yes: true, account: async () => fakeAccount() }).catch((e) => e);
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.message).toContain('missing answers: stack');
  });

  it('without a TTY or --yes names every missing key at once, without any account lookup', async () => {
    const account = fakeAccount();
    const file = { stack: 'ci', instances: { instanceType: 't3.small' } };
    const err = await gatherAnswers({ file, yes: false, account: async () => account }).catch((e) => e);
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    const keys = (err as WizardError).problems.map((p) => p.path);
    // Every required answer but the two the file gives; optional ones (keyName, …) are not missing.
    expect(keys).toEqual([
      'network.vpcCidr',
      'network.subnetCidrs',
      'loadBalancer.listenerPort',
      'loadBalancer.ingressCidrs',
      'loadBalancer.healthCheckPath',
      'instances.launch',
      'instances.desiredCapacity',
      'instances.minSize',
      'instances.maxSize',
      'service.image',
      'service.containerPort',
      'service.cpu',
      'service.memory',
      'service.desiredCount',
      'scaling.service.minCount',
      'scaling.service.maxCount',
      'scaling.service.targetCpuPercent',
      'scaling.instances.managed',
      'scaling.instances.targetCapacityPercent',
    ]);
    expect(err.message).toMatch(/^missing answers: network\.vpcCidr, .*service\.image.* — add them to the answers file or pass --yes/);
    expect(account.calls).toEqual([]);
  });

  it('reports bad values in the file before asking anything', async () => {
    const prompter = scriptedPrompter([]);
    const err = await gatherAnswers({ file: { instances: { maxSize: -1 }, bogus: 1 }, prompter, yes: false, account: async () => fakeAccount() }).catch((e) => e);
    expect([...new Set((err as WizardError).problems.map((p) => p.path))].sort()).toEqual(['bogus', 'instances.maxSize']);
    expect(prompter.asked).toEqual([]);
  });
});

describe('Inquirer prompter', () => {
  it('turns an aborted prompt into INTERRUPTED (exit 130), not a stack trace', async () => {
    const controller = new AbortController();
    const prompter = await inquirerPrompter({ input: new PassThrough(), output: new PassThrough(), signal: controller.signal });
    const pending = prompter.input({ message: 'Stack name' });
    controller.abort();
    const err = await pending.catch((e) => e);
    expect(isWizardError(err, 'INTERRUPTED')).toBe(true);
  });

  it('re-asks with the validate message', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    output.on('data', (d) => (screen += d.toString()));
    const prompter = await inquirerPrompter({ input, output });
    const answer = prompter.input({ message: 'Stack name', validate: (s) => (s === 'ok' ? true : 'must be ok') });
    input.write('no\r');
    await new Promise((r) => setTimeout(r, 50));
    expect(screen).toContain('must be ok');
    input.write('\b\bok\r');
    await expect(answer).resolves.toBe('ok');
  });
});
