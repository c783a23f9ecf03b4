import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, EC2Client, paginateDescribeInstances, type Image, type Instance } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { unlessNotFound } from '../aws/errors.js';
import type { StackState } from '../engine/state.js';
import { listContainerInstances } from '../cli/commands/status-live.js';
import { recommendedAmi, type Architecture, type FoundLaunch } from '../steps/stack/launch-common.js';
import { foundLaunch } from '../steps/stack/launch-configuration.js';
import { latestVersion } from '../steps/stack/launch-template.js';
import { stackNames } from '../steps/names.js';
import { plural } from '../words.js';
import { serviceNames } from '../steps/services.js';
import type { AutoScalingGroupOutputs, ClusterOutputs, LaunchOutputs, ServiceOutputs } from '../steps/outputs.js';

/**
 * What the stack's EC2 hosts run, read live (never changed here): each instance of the Auto Scaling
 * group with its type, AMI (name and age), container instance, and whether it is current — on what
 * the group launches now (the launch template's latest version, or the group's launch
 * configuration) and, unless the user pinned an AMI, on the region's latest recommended ECS AMI for
 * its architecture. Shared by `hosts`, `hosts refresh`, the roll `create` starts, and `status`.
 *
 * Two things a real account shows that a single-type, settled group does not: a Spot group (a
 * mixed instances policy) runs any of its override types, so each of them is current; and EC2 may
 * not show an instance the group has just launched yet, so such a host is "launching" (known only
 * by what the group says of it), never a failure.
 */

/** Where the hosts are, from a stack's state: recorded names, else the deterministic ones. */
export interface HostTargets {
  groupName: string;
  clusterName: string;
  serviceName: string;
  launch?: LaunchOutputs;
  /** The answers' instances.amiId: hosts then need not be on the latest recommended AMI. */
  pinnedAmi?: string;
}

export function hostTargets(state: StackState): HostTargets {
  const names = stackNames(state.stack);
  const out = <T>(id: string): Partial<T> => (state.resources[id]?.status === 'destroyed' ? {} : ((state.resources[id]?.outputs ?? {}) as Partial<T>));
  const launch = out<LaunchOutputs>('launch-template');
  const answers = state.answers as { instances?: { amiId?: string } } | undefined;
  return {
    groupName: out<AutoScalingGroupOutputs>('auto-scaling-group').autoScalingGroupName ?? names.autoScalingGroup,
    clusterName: out<ClusterOutputs>('cluster').clusterName ?? names.cluster,
    serviceName: out<ServiceOutputs>('service').serviceName ?? serviceNames(state.stack, { name: state.stack, primary: true }).service,
    launch: launch.kind ? (launch as LaunchOutputs) : undefined,
    pinnedAmi: answers?.instances?.amiId,
  };
}

export interface AmiFacts {
  amiId: string;
  name?: string;
  /** The image's CreationDate (ISO): for AWS's ECS AMIs, when it was released. */
  created?: string;
  architecture?: string;
}

export interface Host {
  instanceId: string;
  zone?: string;
  instanceType?: string;
  amiId?: string;
  ami?: AmiFacts;
  /** Days since the AMI was created. */
  amiAgeDays?: number;
  architecture?: string;
  lifecycleState?: string;
  /** The group lists it but EC2 does not show it yet (just launched): its AMI is not known yet. */
  launching?: boolean;
  /** Spot or On-Demand (DescribeInstances' InstanceLifecycle), and a public IPv4 address or not: what the host costs. */
  market?: 'spot' | 'on-demand';
  publicIp?: boolean;
  /** What the group launches now: this launch template version / configuration, type and AMI. */
  onLaunchVersion: boolean;
  /** On the latest recommended ECS AMI of its architecture. */
  onLatestAmi: boolean;
  current: boolean;
  /** Why it is not current, in words ("t3.small, group launches t3.medium"). */
  reasons: string[];
  containerInstance?: { status?: string; agentConnected?: boolean; runningTasks?: number; pendingTasks?: number; agentVersion?: string };
}

export interface HostFacts {
  group?: { name: string; minSize: number; maxSize: number; desiredCapacity: number; launchConfigurationName?: string };
  /** What new instances launch from. */
  launch?: {
    kind: 'template' | 'configuration';
    name: string;
    version?: number;
    instanceType: string;
    /** A Spot group's types (its mixed instances policy's overrides): a host of any of them is current. */
    instanceTypes?: string[];
    amiId: string;
    architecture?: string;
  } & Pick<FoundLaunch, 'privateNetwork' | 'spotDraining'>;
  /** The latest recommended ECS AMI per architecture in use. */
  latestAmi: Partial<Record<Architecture, AmiFacts>>;
  pinnedAmi?: string;
  hosts: Host[];
}

const DAY_MS = 86_400_000;

/** The instance types a host may run and be current: a Spot group's overrides, else the launch's one type. */
export function launchTypes(launch: Pick<NonNullable<HostFacts['launch']>, 'instanceType' | 'instanceTypes'>): string[] {
  return launch.instanceTypes?.length ? launch.instanceTypes : [launch.instanceType];
}

export interface InspectOptions {
  /** Ask SSM for the latest recommended ECS AMI (default true). */
  latestAmi?: boolean;
  now?: number;
  /**
   * Judge the hosts' types against these instead of the group's (create's review: the Spot types
   * the answers give, which the group takes on only once create has run).
   */
  instanceTypes?: string[];
}

export async function inspectHosts(aws: AwsClients, t: HostTargets, region: string, opts: InspectOptions = {}): Promise<HostFacts> {
  const now = opts.now ?? Date.now();
  const group = (await aws.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [t.groupName] }))).AutoScalingGroups?.[0];
  const facts: HostFacts = { latestAmi: {}, pinnedAmi: t.pinnedAmi, hosts: [] };
  if (!group || group.Status) return facts;
  facts.group = { name: t.groupName, minSize: group.MinSize ?? 0, maxSize: group.MaxSize ?? 0, desiredCapacity: group.DesiredCapacity ?? 0, launchConfigurationName: group.LaunchConfigurationName };
  facts.launch = await launchOf(aws, group, t);

  const members = (group.Instances ?? []).filter((i) => i.InstanceId);
  const ids = members.map((i) => i.InstanceId!);
  const [described, containers] = await Promise.all([describeInstances(aws, ids), unlessNotFound(() => listContainerInstances(aws, t.clusterName))]);
  const ec2 = new Map(described.map((i) => [i.InstanceId!, i]));
  const byInstance = new Map((containers ?? []).map((c) => [c.ec2InstanceId, c]));

  const archs = new Set<Architecture>();
  for (const i of ec2.values()) if (i.Architecture === 'arm64' || i.Architecture === 'x86_64') archs.add(i.Architecture);
  const images = await describeImages(aws, [...new Set([...[...ec2.values()].map((i) => i.ImageId), facts.launch?.amiId])]);
  const launchArch = images.get(facts.launch?.amiId ?? '')?.Architecture;
  if (facts.launch && (launchArch === 'arm64' || launchArch === 'x86_64')) {
    facts.launch.architecture = launchArch;
    archs.add(launchArch);
  }
  // `create` rolls onto what the group launches, not onto the newest AMI: it need not ask SSM.
  if (opts.latestAmi !== false) for (const arch of archs) facts.latestAmi[arch] = { amiId: await recommendedAmi(aws, arch, region), architecture: arch };
  const latest = await describeImages(aws, Object.values(facts.latestAmi).map((a) => a!.amiId).filter((id) => !images.has(id)));
  for (const a of Object.values(facts.latestAmi)) Object.assign(a!, amiFacts(a!.amiId, latest.get(a!.amiId) ?? images.get(a!.amiId)));

  for (const m of members) {
    const i = ec2.get(m.InstanceId!);
    const amiId = i?.ImageId;
    const ami = amiId ? amiFacts(amiId, images.get(amiId)) : undefined;
    const arch = i?.Architecture as Architecture | undefined;
    const reasons: string[] = [];
    const l = facts.launch;
    const type = i?.InstanceType ?? m.InstanceType;
    const types = opts.instanceTypes ?? (l ? launchTypes(l) : []);
    if (l && type && !types.includes(type)) reasons.push(`${type}, the group launches ${types.join(' or ')}`);
    if (l && amiId && amiId !== l.amiId) reasons.push(`AMI ${amiId}, the group launches ${l.amiId}`);
    // The version an instance was launched from (AWS reports it per instance; a number).
    const version = m.LaunchTemplate?.Version;
    if (l?.kind === 'template' && l.version !== undefined && version && /^\d+$/.test(version) && Number(version) !== l.version) reasons.push(`launch template version ${version}, the group launches ${l.version}`);
    if (l?.kind === 'configuration' && m.LaunchConfigurationName && m.LaunchConfigurationName !== l.name) reasons.push(`launch configuration ${m.LaunchConfigurationName}, the group launches ${l.name}`);
    const onLaunchVersion = reasons.length === 0;
    const latest = arch ? facts.latestAmi[arch] : undefined;
    const onLatestAmi = latest !== undefined && amiId === latest.amiId;
    if (!t.pinnedAmi && latest && !onLatestAmi && amiId === l?.amiId) reasons.push(`AMI ${amiId} is not the latest ECS AMI ${latest.amiId}`);
    const ci = byInstance.get(m.InstanceId);
    facts.hosts.push({
      instanceId: m.InstanceId!,
      zone: m.AvailabilityZone,
      instanceType: type,
      amiId,
      ...(ami ? { ami } : {}),
      ...(ami?.created ? { amiAgeDays: Math.max(0, Math.floor((now - Date.parse(ami.created)) / DAY_MS)) } : {}),
      architecture: arch,
      lifecycleState: m.LifecycleState,
      ...(i ? { market: i.InstanceLifecycle === 'spot' ? ('spot' as const) : ('on-demand' as const), publicIp: i.PublicIpAddress !== undefined } : { launching: true }),
      onLaunchVersion,
      onLatestAmi,
      current: reasons.length === 0,
      reasons,
      ...(ci
        ? {
            containerInstance: {
              status: ci.status,
              agentConnected: ci.agentConnected,
              runningTasks: ci.runningTasksCount,
              pendingTasks: ci.pendingTasksCount,
              agentVersion: ci.versionInfo?.agentVersion,
            },
          }
        : {}),
    });
  }
  return facts;
}

async function launchOf(aws: AwsClients, group: AutoScalingGroup, t: HostTargets): Promise<HostFacts['launch']> {
  const templateId = group.LaunchTemplate?.LaunchTemplateId ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId;
  if (templateId) {
    const v = await latestVersion(aws.get(EC2Client), templateId);
    const overrides = (group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).map((o) => o.InstanceType).filter((x): x is string => Boolean(x));
    return {
      kind: 'template',
      name: group.LaunchTemplate?.LaunchTemplateName ?? (t.launch?.kind === 'template' ? t.launch.launchTemplateName : templateId),
      ...v,
      ...(overrides.length ? { instanceTypes: overrides } : {}),
    };
  }
  const name = group.LaunchConfigurationName;
  if (!name) return undefined;
  const lc = (await aws.get(AutoScalingClient).send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] }))).LaunchConfigurations?.[0];
  return { kind: 'configuration', name, instanceType: lc?.InstanceType ?? '', amiId: lc?.ImageId ?? '', ...(lc ? { privateNetwork: foundLaunch(lc).privateNetwork } : {}) };
}

/**
 * The group's instances as EC2 shows them. By an instance-id filter, not InstanceIds: EC2 can answer
 * InvalidInstanceID.NotFound for an id the group has just launched, and with InstanceIds one unknown
 * id fails the whole call; a filter simply leaves out what EC2 does not show yet (the host is then
 * "launching"). At most 200 values per filter.
 */
async function describeInstances(aws: AwsClients, ids: string[]): Promise<Instance[]> {
  const found: Instance[] = [];
  for (let k = 0; k < ids.length; k += 200) {
    const pages = paginateDescribeInstances({ client: aws.get(EC2Client) }, { Filters: [{ Name: 'instance-id', Values: ids.slice(k, k + 200) }] });
    for await (const page of pages) found.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  }
  return found;
}

async function describeImages(aws: AwsClients, ids: (string | undefined)[]): Promise<Map<string, Image>> {
  const wanted = ids.filter((id): id is string => Boolean(id));
  if (wanted.length === 0) return new Map();
  // One id at a time only if the batch fails: a deregistered AMI makes the whole call NotFound.
  const r = await unlessNotFound(() => aws.get(EC2Client).send(new DescribeImagesCommand({ ImageIds: wanted })));
  if (r) return new Map((r.Images ?? []).map((i) => [i.ImageId!, i]));
  const one = await Promise.all(wanted.map((id) => unlessNotFound(() => aws.get(EC2Client).send(new DescribeImagesCommand({ ImageIds: [id] })))));
  return new Map(one.flatMap((x) => x?.Images ?? []).map((i) => [i.ImageId!, i]));
}

function amiFacts(amiId: string, image: Image | undefined): AmiFacts {
  return { amiId, ...(image?.Name ? { name: image.Name } : {}), ...(image?.CreationDate ? { created: image.CreationDate } : {}), ...(image?.Architecture ? { architecture: image.Architecture } : {}) };
}

/**
 * "2 of 2 hosts current" and its parts, for the verdict lines of `hosts` and `status`. A host whose
 * ECS agent has not joined the cluster runs no task: it is not counted current, whatever it runs.
 */
export function hostsVerdict(f: HostFacts): { current: number; total: number; onLatestAmi: number; notJoined: number; text: string } {
  const live = f.hosts.filter((h) => h.lifecycleState !== 'Terminating' && h.lifecycleState !== 'Terminated');
  const joined = (h: Host): boolean => h.containerInstance !== undefined && h.containerInstance.status !== 'INACTIVE';
  const current = live.filter((h) => h.current && joined(h)).length;
  const notJoined = live.filter((h) => !joined(h)).length;
  const onLatestAmi = live.filter((h) => h.onLatestAmi).length;
  const text = `${current} of ${plural(live.length, 'host')} current${notJoined ? ` (${notJoined} not joined to the cluster)` : ''}`;
  return { current, total: live.length, onLatestAmi, notJoined, text };
}
