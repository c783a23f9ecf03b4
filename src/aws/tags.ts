/** The tag every resource carries, so `destroy --discover` can find what a lost state file forgot. */
export const STACK_TAG = 'ecs-wizard:stack';

export interface Tag {
  Key: string;
  Value: string;
}

/** The service a per-service resource belongs to (issue 23): set when the resource is created, never added later. */
export const SERVICE_TAG = 'ecs-wizard:service';

/** Stack tag, Name, the service's tag (a per-service resource's), then the user's own tags. */
export function stackTags(stack: string, name: string | undefined, extra: Record<string, string> = {}, service?: string): Tag[] {
  const tags: Tag[] = [{ Key: STACK_TAG, Value: stack }];
  if (name !== undefined) tags.push({ Key: 'Name', Value: name });
  if (service !== undefined) tags.push({ Key: SERVICE_TAG, Value: service });
  for (const [Key, Value] of Object.entries(extra)) if (Key !== STACK_TAG && Key !== 'Name' && Key !== SERVICE_TAG) tags.push({ Key, Value });
  return tags;
}

/** ECS and Application Auto Scaling spell tags in lowercase. */
export function lowerTags(tags: Tag[]): { key: string; value: string }[] {
  return tags.map((t) => ({ key: t.Key, value: t.Value }));
}

/** Some APIs (Application Auto Scaling) take tags as a map. */
export function tagMap(tags: Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}
