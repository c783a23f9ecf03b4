import { IMAGE_TAG, imagePushInstructions, tagOf } from '../steps/service/ecr.js';
import type { ServiceOutputs } from '../steps/outputs.js';

/** What `create` and `status` say while the stack's ECR repository holds no image for the service. */
export interface WaitingForImage {
  image: string;
  /** Log in, build, push, then start the service (see imagePushInstructions). */
  commands: string[];
}

/**
 * Decided: starting the service after the first push is a rerun of `create` with the same answers.
 * It is declarative — the service goes to the answers' desired count and its scaling minimum back
 * to the answers' — so there is no separate "start" command to remember.
 */
export function waitingForImage(service: Pick<ServiceOutputs, 'imageMissing'> | undefined, region: string, answersFile: string | undefined): WaitingForImage | undefined {
  const image = service?.imageMissing;
  if (!image) return undefined;
  const start = `ecs-wizard create --answers ${answersFile ?? '<your answers file>'}`;
  const tag = tagOf(image) ?? IMAGE_TAG;
  return { image, commands: imagePushInstructions(image.replace(/:[^:/]+$/, ''), region, start, tag) };
}

/** The same as text, after the summary. */
export function waitingForImageText(w: WaitingForImage): string {
  const [login, build, push, start] = w.commands;
  return `\nThe service runs 0 tasks until ${w.image} exists. Push it:\n  ${login}\n  ${build}\n  ${push}\nthen start the service (it goes to the answers' desired count):\n  ${start}\n`;
}

