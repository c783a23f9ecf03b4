import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListImagesCommand,
  PutImageScanningConfigurationCommand,
  type Repository,
} from '@aws-sdk/client-ecr';
import { WizardError } from '../../errors.js';
import { hasCode, isNotFound, unlessNotFound } from '../../aws/errors.js';
import type { AwsClients } from '../../aws/clients.js';
import type { ResourceStep } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { EcrRepositoryOutputs } from '../outputs.js';
import { idFor, type ServiceSpec } from '../services.js';

function describeRepository(ecr: ECRClient, name: string): Promise<Repository | undefined> {
  return unlessNotFound(async () => (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))).repositories?.[0]);
}

function notEmpty(name: string, cause?: unknown): WizardError {
  return new WizardError('AWS', `The ECR repository ${name} still holds images; it was not deleted.`, {
    hint: 'Delete the images yourself, or run destroy again with --force-ecr to delete the repository and its images.',
    cause,
  });
}

function outputsOf(repo: Repository) {
  return { repositoryName: repo.repositoryName!, repositoryUri: repo.repositoryUri!, repositoryArn: repo.repositoryArn! } satisfies EcrRepositoryOutputs;
}

/** The tag the service runs from the stack's own repository. */
export const IMAGE_TAG = 'latest';

/**
 * The image the service runs from the stack's own repository: `service.image` when it names a tag
 * or digest of that repository (a deploy of `<uri>:<tag>` records it there, so create converges to
 * it), else `<uri>:latest`.
 */
export function repositoryImage(image: string, repositoryUri: string): string {
  return image.startsWith(`${repositoryUri}:`) || image.startsWith(`${repositoryUri}@`) ? image : `${repositoryUri}:${IMAGE_TAG}`;
}

/** The tag of an image reference (undefined for a digest or no tag). */
export function tagOf(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  return /:([\w][\w.-]{0,127})$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
}

/** Whether the repository holds an image with this tag (a new repository holds none). */
export async function imageExists(aws: AwsClients, repositoryName: string, tag = IMAGE_TAG): Promise<boolean> {
  const r = await unlessNotFound(() => aws.get(ECRClient).send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] })));
  return (r?.imageDetails ?? []).length > 0;
}

/**
 * What to type to put an image where the service looks for it, and then how to start the service:
 * the exact `aws ecr get-login-password | docker login`, `docker build` and `docker push`
 * commands for `<repositoryUri>:<tag>` (latest by default), then `start` (e.g. `ecs-wizard create --answers …`).
 */
export function imagePushInstructions(repositoryUri: string, region: string, start: string, tag = IMAGE_TAG): string[] {
  const registry = repositoryUri.split('/')[0];
  const image = `${repositoryUri}:${tag}`;
  return [
    `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}`,
    `docker build -t ${image} .`,
    `docker push ${image}`,
    start,
  ];
}

/** Only for a service with `ecrRepository`: a private repository for its image. */
export function ecrRepositoryStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  const name = svc.ecrRepository!;
  return {
    id: idFor(svc, 'ecr-repository'),
    title: svc.primary ? 'ECR repository' : `ECR repository (${svc.name})`,
    dependsOn: [],
    async find(ctx) {
      const ecr = ctx.env.aws.get(ECRClient);
      const repo = await describeRepository(ecr, name);
      if (!repo?.repositoryUri) return undefined;
      // Scanning can be switched on in place; anything scanned later is better than nothing.
      if (ctx.repair && repo.imageScanningConfiguration?.scanOnPush !== true) {
        await ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
      }
      return outputsOf(repo);
    },
    async create(ctx) {
      const ecr = ctx.env.aws.get(ECRClient);
      const r = await ecr.send(
        new CreateRepositoryCommand({
          repositoryName: name,
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfiguration: { encryptionType: 'AES256' },
          tags: ctx.env.tags(name, svc.name),
        }),
      );
      return outputsOf(r.repository!);
    },
    async destroy(ctx, outputs) {
      const ecr = ctx.env.aws.get(ECRClient);
      const repositoryName = outputs.repositoryName as string;
      const force = ctx.env.forceEcr === true;
      try {
        if (!force) {
          // Images are the user's work, not ours: deleting them needs an explicit yes.
          const images = await ecr.send(new ListImagesCommand({ repositoryName, maxResults: 1 }));
          if ((images.imageIds ?? []).length > 0) throw notEmpty(repositoryName);
        }
        await ecr.send(new DeleteRepositoryCommand({ repositoryName, force }));
      } catch (err) {
        if (isNotFound(err)) return;
        // An image pushed between the check and the delete: AWS refuses, and says so by code.
        if (hasCode(err, 'RepositoryNotEmptyException')) throw notEmpty(repositoryName, err);
        throw err;
      }
    },
  };
}
