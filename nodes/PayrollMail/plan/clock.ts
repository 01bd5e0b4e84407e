import { setTimeout as delay } from 'node:timers/promises';

/** Time as the planner sees it; tests hand in a fake one and never really wait. */
export interface Clock {
	now(): number;
	/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
	now: () => Date.now(),
	async sleep(ms, signal) {
		signal?.throwIfAborted();
		if (ms > 0) await delay(ms, undefined, { signal });
	},
};
