import { ZodError, type ZodIssue } from 'zod';
import { capacityReads, checkCapacity } from '../scaling/capacity.js';
import { zodProblems } from './answers-file.js';
import { hasPath, type Draft } from './draft.js';
import { answersSchema } from './schema.js';

/**
 * The answers' rules as the wizard uses them: the schema's (each field, then the cross-field rules
 * of its superRefine) and, once those pass, the capacity guard rails — the same rules, and the same
 * messages, an answers file meets. Each issue names the other answers its rule reads, so a rule is
 * checked as soon as all of them are answered instead of after the last question.
 */
export interface RuleIssue {
  /** Dotted path of the answer the problem is reported at. */
  path: string;
  message: string;
  /** The other answers (dotted paths) the rule reads. */
  reads: string[];
}

/** Stands in for a stack name not asked yet, so the other rules can run. */
export const PLACEHOLDER_STACK = 'placeholder';

/** Every problem with these answers (missing keys take their schema defaults). */
export function ruleIssues(draft: Draft): RuleIssue[] {
  const input = hasPath(draft, 'stack') ? draft : { ...draft, stack: PLACEHOLDER_STACK };
  const parsed = answersSchema.safeParse(input);
  if (!parsed.success) {
    // One issue at a time: each problem keeps the message an answers file gets for it.
    return parsed.error.issues.map((issue) => ({ ...zodProblems(new ZodError([issue]))[0]!, reads: readsOf(issue) }));
  }
  return checkCapacity(parsed.data).problems.map((p) => ({ ...p, reads: capacityReads(p.path) }));
}

function readsOf(issue: ZodIssue): string[] {
  const reads = issue.code === 'custom' ? (issue.params as { reads?: unknown } | undefined)?.reads : undefined;
  return Array.isArray(reads) ? reads.filter((r): r is string => typeof r === 'string') : [];
}

/** The answer at `path` is `id`'s, or inside it (`network.subnetCidrs.1` is `network.subnetCidrs`'). */
export const isAt = (path: string, id: string): boolean => path === id || path.startsWith(`${id}.`);

/** Every answer the issue involves: where it is reported, and what its rule reads. */
export const fieldsOf = (issue: RuleIssue): string[] => [issue.path, ...issue.reads];

/** The message as shown at a question: bare at its own answer, with the path at another's. */
export const messageAt = (issue: RuleIssue, id: string): string => (issue.path === id ? issue.message : `${issue.path}: ${issue.message}`);
