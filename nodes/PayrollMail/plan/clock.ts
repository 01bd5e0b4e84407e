import { setTimeout as delay } from 'node:timers/promises';

/** Time as the planner sees it; tests hand in a fake one and never really wait. */
export interface Clock {
	now(): number;
	/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest wait a Node.js timer honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
	now: () => Date.now(),
	async sleep(ms, signal) {
		signal?.throwIfAborted();
		// Node would fire a longer timer after 1 ms, silently: a wait must never end early.
		if (ms > MAX_TIMER_MS) throw new RangeError(`A wait of ${ms} ms is longer than a timer can last`);
		if (ms > 0) await delay(ms, undefined, { signal });
	},
};
