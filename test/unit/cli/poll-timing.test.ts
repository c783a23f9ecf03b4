import { describe, expect, it } from 'vitest';
import { pollTiming } from '../../../src/cli/context.js';
import { DEFAULT_TIMING } from '../../../src/aws/poll.js';

describe('pollTiming (ECS_WIZARD_POLL_MS)', () => {
  it("keeps AWS's pace when unset, not a number, or not faster than it", () => {
    for (const v of [undefined, '', 'fast', '-5', '1.5', '1000', '5000']) {
      expect(pollTiming(v === undefined ? {} : { ECS_WIZARD_POLL_MS: v }), String(v)).toBe(DEFAULT_TIMING);
    }
  });

  it('polls from the given first delay, capped at 15 times it, with the same clock and timeout', () => {
    const t = pollTiming({ ECS_WIZARD_POLL_MS: '50' });
    expect({ min: t.minDelayMs, max: t.maxDelayMs, timeout: t.timeoutMs }).toEqual({ min: 50, max: 750, timeout: 15 * 60 * 1000 });
    expect(t.sleep).toBe(DEFAULT_TIMING.sleep);
    expect(pollTiming({ ECS_WIZARD_POLL_MS: '0' }).minDelayMs).toBe(1);
  });
});
