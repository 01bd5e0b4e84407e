import type { Clock } from '../../nodes/PayrollMail/plan/clock';

interface Timer {
	wakeAt: number;
	wake(): void;
}

/**
 * Virtual time for the planner: nothing really waits. `sleep` registers a timer; time only moves
 * when the test drives it (`run`, `advanceTo`, `advanceBy`), which wakes the sleepers one at a
 * time, earliest first, ties in the order they fell asleep, and lets every promise job the
 * wake-up causes run before the next sleeper wakes. With concurrent acquirers this makes every
 * run of a test the same run.
 */
export class FakeClock implements Clock {
	private time: number;

	private timers: Timer[] = [];

	/** Every duration handed to `sleep`, in order. */
	readonly sleeps: number[] = [];

	constructor(start = 0) {
		this.time = start;
	}

	now(): number {
		return this.time;
	}

	/** As the Clock contract says: rejects with the signal's reason (an AbortError) once it aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			this.sleeps.push(ms);
			if (ms <= 0) {
				resolve();
				return;
			}
			const onAbort = () => {
				this.timers = this.timers.filter((other) => other !== timer);
				reject(signal?.reason);
			};
			const timer: Timer = {
				wakeAt: this.time + ms,
				wake: () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				},
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			this.timers.push(timer);
		});
	}

	/** How many sleepers are waiting for time to move. */
	get sleepers(): number {
		return this.timers.length;
	}

	/** Lets every promise job that can run now run, without moving time. */
	async settle(): Promise<void> {
		// A macrotask turn: Node drains the whole microtask queue before it comes.
		await new Promise<void>((resolve) => setImmediate(resolve));
	}

	/** Moves time to `until`, waking every sleeper due by then in order. */
	async advanceTo(until: number): Promise<void> {
		await this.settle();
		for (let timer = this.earliest(); timer && timer.wakeAt <= until; timer = this.earliest()) {
			await this.wake(timer);
		}
		this.time = Math.max(this.time, until);
	}

	async advanceBy(ms: number): Promise<void> {
		await this.advanceTo(this.time + ms);
	}

	/**
	 * Moves time from sleeper to sleeper until `work` settles, and returns its outcome. Fails,
	 * instead of hanging, when the work is stuck with nobody asleep who could move it on.
	 */
	async run<T>(work: Promise<T>): Promise<T> {
		let settled = false;
		work.then(
			() => (settled = true),
			() => (settled = true),
		);
		await this.settle();
		while (!settled) {
			const timer = this.earliest();
			if (!timer) {
				throw new Error(`Stuck at ${this.time} ms: the work has not finished and nothing is asleep`);
			}
			await this.wake(timer);
		}
		return await work;
	}

	private earliest(): Timer | undefined {
		// Stable: of timers due at the same time, the one that fell asleep first wakes first.
		let earliest: Timer | undefined;
		for (const timer of this.timers) if (!earliest || timer.wakeAt < earliest.wakeAt) earliest = timer;
		return earliest;
	}

	private async wake(timer: Timer): Promise<void> {
		this.timers = this.timers.filter((other) => other !== timer);
		this.time = Math.max(this.time, timer.wakeAt);
		timer.wake();
		await this.settle();
	}
}
