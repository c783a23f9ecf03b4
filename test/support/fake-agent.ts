import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeregisterContainerInstanceCommand, DescribeContainerInstancesCommand, ECSClient, ListContainerInstancesCommand, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

/**
 * moto runs no ECS agent: this plays the agent of every instance in an Auto Scaling group, the
 * way a real one joins a cluster — RegisterContainerInstance with the instance identity document
 * (moto reads only `instanceId` from it). Instances already registered are skipped, so it can be
 * called repeatedly. Returns how many instances of the group are registered.
 */
export async function registerFakeAgents(endpoint: string, clusterName: string, asgName: string): Promise<number> {
  const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const as = new AutoScalingClient(config);
  const ecs = new ECSClient(config);
  try {
    const g = await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    const instanceIds = (g.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
    const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: clusterName }));
    const registered = new Set<string>();
    if (listed.containerInstanceArns?.length) {
      const d = await ecs.send(new DescribeContainerInstancesCommand({ cluster: clusterName, containerInstances: listed.containerInstanceArns }));
      for (const ci of d.containerInstances ?? []) if (ci.ec2InstanceId) registered.add(ci.ec2InstanceId);
    }
    for (const instanceId of instanceIds) {
      if (registered.has(instanceId)) continue;
      const document = JSON.stringify({ instanceId, region: 'us-east-1', accountId: '123456789012', availabilityZone: 'us-east-1a' });
      await ecs.send(new RegisterContainerInstanceCommand({ cluster: clusterName, instanceIdentityDocument: document }));
      registered.add(instanceId);
    }
    return instanceIds.filter((id) => registered.has(id)).length;
  } finally {
    as.destroy();
    ecs.destroy();
  }
}

/**
 * moto's ECS runs no tasks, so it never registers them with the service's target group the way
 * ECS does: this registers one task per instance of the group, on a dynamic host port (32768), as
 * ECS would for running tasks. Returns how many targets it registered.
 */
export async function registerTaskTargets(endpoint: string, targetGroupName: string, asgName: string): Promise<number> {
  const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const as = new AutoScalingClient(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  try {
    const g = await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    const instanceIds = (g.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: [targetGroupName] }))).TargetGroups![0]!;
    if (instanceIds.length) await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: instanceIds.map((Id) => ({ Id, Port: 32768 })) }));
    return instanceIds.length;
  } finally {
    as.destroy();
    elb.destroy();
  }
}

/**
 * The ECS agents of a group over time, while a test runs something that replaces hosts (a roll):
 * every instance in the group joins the cluster as soon as it is there (a spare host, a
 * replacement), and the container instance of an instance that left the group is deregistered, as
 * ECS does when an instance terminates. Runs every `intervalMs` until `stop()`; `joined` lists
 * every instance id it registered, in order.
 */
export function runFakeAgents(endpoint: string, clusterName: string, asgName: string, intervalMs = 100): { stop(): Promise<void>; joined: string[]; left: string[] } {
  const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const as = new AutoScalingClient(config);
  const ecs = new ECSClient(config);
  const joined: string[] = [];
  const left: string[] = [];
  let running = true;
  const sync = async (): Promise<void> => {
    const g = await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    const members = new Set((g.AutoScalingGroups?.[0]?.Instances ?? []).filter((i) => i.LifecycleState !== 'Terminating').map((i) => i.InstanceId!));
    const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster: clusterName }))).containerInstanceArns ?? [];
    const described = arns.length ? ((await ecs.send(new DescribeContainerInstancesCommand({ cluster: clusterName, containerInstances: arns }))).containerInstances ?? []) : [];
    const registered = new Set(described.map((c) => c.ec2InstanceId));
    for (const c of described) {
      if (c.ec2InstanceId && !members.has(c.ec2InstanceId)) {
        await ecs.send(new DeregisterContainerInstanceCommand({ cluster: clusterName, containerInstance: c.containerInstanceArn, force: true }));
        left.push(c.ec2InstanceId);
      }
    }
    for (const instanceId of members) {
      if (registered.has(instanceId)) continue;
      const document = JSON.stringify({ instanceId, region: 'us-east-1', accountId: '123456789012', availabilityZone: 'us-east-1a' });
      await ecs.send(new RegisterContainerInstanceCommand({ cluster: clusterName, instanceIdentityDocument: document }));
      joined.push(instanceId);
    }
  };
  const loop = (async () => {
    while (running) {
      // A group or cluster not there yet (or gone): the agents have nothing to join.
      await sync().catch(() => undefined);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    joined,
    left,
    async stop() {
      running = false;
      await loop;
      as.destroy();
      ecs.destroy();
    },
  };
}
