import { Pacer, plannedBatch, type PacingRules, type SendSlot } from '../../nodes/PayrollMail/plan/pacer';
import { FakeClock } from '../support/fakeClock';

/** One send as the test saw it: which message, which batch the pacer put it in, when it ran. */
interface Send {
	index: number;
	batch: number;
	/** What the slot says. */
	slotStartedAt: number;
	/** The virtual time at which the sender got the slot. */
	startedAt: number;
	endedAt: number;
}

interface Run {
	sends: Send[];
	/** Message indexes in the order the senders asked for a slot, and in the order they got one. */
	asked: number[];
	granted: number[];
	clock: FakeClock;
}

const rules = (batchSize: number, batchWaitMs: number, mailDelayMs: number): PacingRules => ({
	batchSize,
	batchWaitMs,
	mailDelayMs,
});

/**
 * `workers` senders share `count` messages, each taking the next one, asking for a slot,
 * sending for `durationOf(index)` ms of virtual time and releasing the slot.
 */
async function simulate(
	pacingRules: PacingRules,
	count: number,
	workers: number,
	durationOf: (index: number) => number,
): Promise<Run> {
	const clock = new FakeClock();
	const pacer = new Pacer(pacingRules, clock);
	const run: Run = { sends: [], asked: [], granted: [], clock };
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next++;
			run.asked.push(index);
			const slot = await pacer.acquire();
			run.granted.push(index);
			const startedAt = clock.now();
			const duration = durationOf(index);
			if (duration > 0) await clock.sleep(duration);
			slot.release();
			run.sends.push({ index, batch: slot.batch, slotStartedAt: slot.startedAt, startedAt, endedAt: clock.now() });
		}
	};
	await clock.run(Promise.all(Array.from({ length: workers }, worker)));
	run.sends.sort((a, b) => a.index - b.index);
	return run;
}

const sendSequentially = (pacingRules: PacingRules, count: number, durationMs: number) =>
	simulate(pacingRules, count, 1, () => durationMs);

/** Every broken rule, in words; an empty list when the sends kept every rule. */
function pacingViolations(sends: Send[], { batchSize, batchWaitMs, mailDelayMs }: PacingRules): string[] {
	const violations: string[] = [];
	if (sends.length === 0) return violations;
	const first = sends[0];
	if (first.startedAt !== 0) violations.push(`the first send started at ${first.startedAt}, not at once`);

	for (const send of sends) {
		if (send.slotStartedAt !== send.startedAt) {
			violations.push(`message ${send.index}: slot says ${send.slotStartedAt}, granted at ${send.startedAt}`);
		}
	}
	for (let i = 1; i < sends.length; i++) {
		const [before, after] = [sends[i - 1], sends[i]];
		if (after.startedAt < before.startedAt) {
			violations.push(`message ${after.index} started before message ${before.index}`);
		}
		if (after.batch !== before.batch && after.batch !== before.batch + 1) {
			violations.push(`message ${after.index} is in batch ${after.batch} after batch ${before.batch}`);
		}
	}
	if (first.batch !== 1) violations.push(`the first batch is numbered ${first.batch}`);

	const batches = new Map<number, Send[]>();
	for (const send of sends) batches.set(send.batch, [...(batches.get(send.batch) ?? []), send]);
	for (const [batch, members] of batches) {
		if (batchSize > 0 && members.length > batchSize) {
			violations.push(`batch ${batch} holds ${members.length} sends, more than ${batchSize}`);
		}
		if (batchSize === 0 && batch !== 1) violations.push(`batch size 0 made a batch ${batch}`);
		const starts = members.map((send) => send.startedAt);
		if (mailDelayMs > 0) {
			// The mail delay is a pause: a send starts that long after every earlier send ended.
			for (const later of members) {
				for (const earlier of members.filter((send) => send.index < later.index)) {
					if (later.startedAt - earlier.endedAt < mailDelayMs) {
						violations.push(
							`batch ${batch}: message ${later.index} started ${later.startedAt - earlier.endedAt} ms after message ${earlier.index} ended, less than ${mailDelayMs}`,
						);
					}
				}
			}
		}
		const previous = batches.get(batch - 1);
		if (previous) {
			const lastEnd = Math.max(...previous.map((send) => send.endedAt));
			const firstStart = Math.min(...starts);
			if (firstStart < lastEnd) {
				violations.push(`batch ${batch} started at ${firstStart} while batch ${batch - 1} was sending until ${lastEnd}`);
			} else if (firstStart - lastEnd < batchWaitMs) {
				violations.push(`batch ${batch} started ${firstStart - lastEnd} ms after batch ${batch - 1}, less than ${batchWaitMs}`);
			}
		}
	}
	return violations;
}

/**
 * When a single sender sends `count` messages of `durationMs` each with nothing failing: every
 * batch but the last is full; both waits are pauses after the previous send ended, `mailDelay`
 * inside a batch and `batchWait` between batches.
 */
function idealTotalMs(count: number, { batchSize, batchWaitMs, mailDelayMs }: PacingRules, durationMs: number): number {
	if (count === 0) return 0;
	const batchCount = batchSize > 0 ? Math.ceil(count / batchSize) : 1;
	const pausesInsideBatches = count - batchCount;
	return count * durationMs + pausesInsideBatches * mailDelayMs + (batchCount - 1) * batchWaitMs;
}

/** Follows a promise without awaiting it, so a test can look at it while it is pending. */
function observe<T>(promise: Promise<T>) {
	const seen: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' };
	promise.then(
		(value) => Object.assign(seen, { state: 'fulfilled', value }),
		(reason: unknown) => Object.assign(seen, { state: 'rejected', reason }),
	);
	return seen;
}

describe('the fake clock the planner tests run on', () => {
	it('wakes sleepers in time order, ties in the order they fell asleep, and never really waits', async () => {
		const clock = new FakeClock();
		const woken: string[] = [];
		const sleeper = async (name: string, ms: number) => {
			await clock.sleep(ms);
			woken.push(`${name}@${clock.now()}`);
		};
		const all = Promise.all([sleeper('late', 3_600_000), sleeper('a', 100), sleeper('b', 100), sleeper('c', 50)]);
		const before = Date.now();
		await clock.run(all);
		expect(woken).toEqual(['c@50', 'a@100', 'b@100', 'late@3600000']);
		expect(Date.now() - before).toBeLessThan(1000);
	});

	it('moves time only as far as asked, and rejects a sleep whose signal aborts', async () => {
		const clock = new FakeClock();
		const controller = new AbortController();
		const short = observe(clock.sleep(100));
		const aborted = observe(clock.sleep(100, controller.signal));
		await clock.advanceBy(99);
		expect([short.state, aborted.state, clock.now()]).toEqual(['pending', 'pending', 99]);
		controller.abort();
		await clock.advanceBy(1);
		expect([short.state, aborted.state, clock.now()]).toEqual(['fulfilled', 'rejected', 100]);
		expect((aborted.reason as Error).name).toBe('AbortError');
		expect(clock.sleepers).toBe(0);
	});

	it('reports work that nothing can move on instead of hanging', async () => {
		const clock = new FakeClock();
		await expect(clock.run(new Promise(() => undefined))).rejects.toThrow('Stuck at 0 ms');
	});
});

describe('the rule checker these tests rely on', () => {
	const send = (index: number, batch: number, startedAt: number, endedAt = startedAt): Send => ({
		index,
		batch,
		slotStartedAt: startedAt,
		startedAt,
		endedAt,
	});

	it('accepts a schedule that keeps every rule', () => {
		const sends = [send(0, 1, 0, 50), send(1, 1, 250, 300), send(2, 2, 1800)];
		expect(pacingViolations(sends, rules(2, 1500, 200))).toEqual([]);
	});

	it.each([
		['a late first send', [send(0, 1, 5)], /not at once/],
		['a batch too large', [send(0, 1, 0), send(1, 1, 0), send(2, 1, 0)], /holds 3 sends/],
		['sends too close', [send(0, 1, 0, 50), send(1, 1, 200)], /150 ms after message 0 ended/],
		['sends overlapping despite a mail delay', [send(0, 1, 0, 500), send(1, 1, 200)], /-300 ms after message 0/],
		['batches too close', [send(0, 1, 0), send(1, 2, 1000)], /1000 ms after batch 1/],
		['a batch during the previous one', [send(0, 1, 0, 900), send(1, 2, 800)], /while batch 1 was sending/],
		['sends out of order', [send(0, 1, 200), send(1, 1, 0)], /started before/],
		['a skipped batch number', [send(0, 1, 0), send(1, 3, 5000)], /batch 3 after batch 1/],
		['batches not numbered from 1', [send(0, 2, 0)], /first batch is numbered 2/],
	])('catches %s', (_what, sends, violation) => {
		expect(pacingViolations(sends, rules(2, 1500, 200)).join('\n')).toMatch(violation);
	});
});

describe('plannedBatch', () => {
	it.each([
		[0, 0, 1],
		[999, 0, 1],
		[0, 1, 1],
		[1, 1, 2],
		[5, 1, 6],
		[0, 3, 1],
		[2, 3, 1],
		[3, 3, 2],
		[9, 3, 4],
		[4, 5, 1],
		[5, 5, 2],
	])('puts message %i with batch size %i in batch %i', (position, batchSize, batch) => {
		expect(plannedBatch(position, batchSize)).toBe(batch);
	});
});

describe('Pacer with one sender', () => {
	it('sends 10 messages in batches of 3, 1.5 s apart, 0.2 s between mails, in exactly 5.7 s', async () => {
		const { sends } = await sendSequentially(rules(3, 1500, 200), 10, 0);
		expect(sends.map((send) => send.startedAt)).toEqual([0, 200, 400, 1900, 2100, 2300, 3800, 4000, 4200, 5700]);
		expect(sends.map((send) => send.batch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
	});

	it('counts the batch wait from the end of the last send of a batch', async () => {
		const { sends } = await sendSequentially(rules(2, 1000, 200), 5, 50);
		expect(sends.map((send) => [send.startedAt, send.endedAt])).toEqual([
			[0, 50],
			[250, 300],
			[1300, 1350],
			[1550, 1600],
			[2600, 2650],
		]);
	});

	it('pauses the mail delay after the previous send ended, however long that send took', async () => {
		const { sends } = await sendSequentially(rules(0, 0, 200), 3, 500);
		expect(sends.map((send) => send.startedAt)).toEqual([0, 700, 1400]);
	});

	it('sleeps only for the waits the rules ask for', async () => {
		const { clock } = await sendSequentially(rules(3, 1500, 200), 4, 0);
		expect(clock.sleeps).toEqual([200, 200, 1500]);
	});

	const batchSizes = [0, 1, 2, 3, 5];
	const batchWaits = [0, 1500];
	const mailDelays = [0, 200];
	const durations = [0, 50];
	const counts = Array.from({ length: 13 }, (_, count) => count);
	const table = batchSizes.flatMap((batchSize) =>
		batchWaits.flatMap((batchWaitMs) =>
			mailDelays.flatMap((mailDelayMs) =>
				durations.map((durationMs) => ({ batchSize, batchWaitMs, mailDelayMs, durationMs })),
			),
		),
	);

	describe.each(table)(
		'batch size $batchSize, batch wait $batchWaitMs ms, mail delay $mailDelayMs ms, sends of $durationMs ms',
		({ batchSize, batchWaitMs, mailDelayMs, durationMs }) => {
			const pacingRules = rules(batchSize, batchWaitMs, mailDelayMs);

			it.each(counts)('%i messages: every rule kept, batches as planned, no time lost', async (count) => {
				const { sends, asked, granted } = await sendSequentially(pacingRules, count, durationMs);

				expect(sends.map((send) => send.index)).toEqual(counts.slice(0, count));
				expect(granted).toEqual(asked);
				expect(pacingViolations(sends, pacingRules)).toEqual([]);
				expect(sends.map((send) => send.batch)).toEqual(sends.map((send) => plannedBatch(send.index, batchSize)));
				// Every wait is at least what the rules ask (above) and together they add up to the
				// least possible total, so no wait is longer than asked.
				expect(sends.at(-1)?.endedAt ?? 0).toBe(idealTotalMs(count, pacingRules, durationMs));
			});
		},
	);
});

describe('Pacer with several senders at once', () => {
	const durationsMs = [50, 300, 120, 0, 200];
	const durationOf = (index: number) => durationsMs[index % durationsMs.length];

	it('lets a batch send in parallel, and starts the next only after all its sends ended and the wait', async () => {
		const { sends } = await simulate(rules(2, 1000, 0), 5, 3, () => 100);
		expect(sends.map((send) => [send.batch, send.startedAt, send.endedAt])).toEqual([
			[1, 0, 100],
			[1, 0, 100],
			[2, 1100, 1200],
			[2, 1100, 1200],
			[3, 2200, 2300],
		]);
	});

	it('waits for the slowest send of a batch, not the first to end', async () => {
		const { sends } = await simulate(rules(2, 500, 0), 3, 2, (index) => (index === 0 ? 1000 : 10));
		expect(sends.map((send) => [send.batch, send.startedAt])).toEqual([
			[1, 0],
			[1, 0],
			[2, 1500],
		]);
	});

	it('does not overlap sends when there is a mail delay: each pauses after the previous ended', async () => {
		const { sends } = await simulate(rules(0, 0, 200), 4, 3, () => 1000);
		expect(sends.map((send) => [send.startedAt, send.endedAt])).toEqual([
			[0, 1000],
			[1200, 2200],
			[2400, 3400],
			[3600, 4600],
		]);
	});

	const table = [2, 3].flatMap((workers) =>
		[0, 1, 2, 3, 5].flatMap((batchSize) =>
			[0, 1500].flatMap((batchWaitMs) => [0, 200].map((mailDelayMs) => ({ workers, batchSize, batchWaitMs, mailDelayMs }))),
		),
	);

	it.each(table)(
		'$workers senders, batch size $batchSize, batch wait $batchWaitMs ms, mail delay $mailDelayMs ms: every rule kept for 0 to 12 messages',
		async ({ workers, batchSize, batchWaitMs, mailDelayMs }) => {
			const pacingRules = rules(batchSize, batchWaitMs, mailDelayMs);
			for (let count = 0; count <= 12; count++) {
				const { sends, asked, granted } = await simulate(pacingRules, count, workers, durationOf);
				const context = `${count} messages`;
				expect([context, sends.length]).toEqual([context, count]);
				expect([context, granted]).toEqual([context, asked]);
				expect([context, pacingViolations(sends, pacingRules)]).toEqual([context, []]);
			}
		},
	);

	it('does send in parallel in these runs (else the parallel checks above would prove nothing)', async () => {
		const { sends } = await simulate(rules(3, 0, 0), 6, 3, durationOf);
		const overlapping = sends.filter((a) => sends.some((b) => b !== a && b.startedAt < a.endedAt && a.startedAt < b.endedAt));
		expect(overlapping.length).toBeGreaterThan(0);
	});
});

describe('Pacer when the execution is cancelled', () => {
	// Not `instanceof Error`: the DOMException an AbortSignal gives comes from another realm under Jest.
	const isAbortError = (reason: unknown) => (reason as { name?: unknown } | undefined)?.name === 'AbortError';

	async function grantedSlot(pacer: Pacer): Promise<SendSlot> {
		return await pacer.acquire();
	}

	it('rejects an acquire sleeping out the mail delay at once', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(0, 0, 200), clock);
		(await grantedSlot(pacer)).release();
		const controller = new AbortController();
		const pending = observe(pacer.acquire(controller.signal));
		await clock.settle();
		expect([pending.state, clock.sleepers]).toEqual(['pending', 1]);

		controller.abort();
		await clock.settle();
		expect(pending.state).toBe('rejected');
		expect(isAbortError(pending.reason)).toBe(true);
		expect(clock.now()).toBe(0);
	});

	it('rejects an acquire sleeping out the batch wait at once', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(1, 1500, 0), clock);
		(await grantedSlot(pacer)).release();
		const controller = new AbortController();
		const pending = observe(pacer.acquire(controller.signal));
		await clock.advanceBy(1000);
		expect([pending.state, clock.sleepers]).toEqual(['pending', 1]);

		controller.abort();
		await clock.settle();
		expect(pending.state).toBe('rejected');
		expect(isAbortError(pending.reason)).toBe(true);
		expect(clock.now()).toBe(1000);
	});

	it('rejects an acquire waiting for the sends of the previous batch to end, while they still run', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(1, 0, 0), clock);
		const inFlight = await grantedSlot(pacer);
		const controller = new AbortController();
		const pending = observe(pacer.acquire(controller.signal));
		await clock.settle();
		expect(pending.state).toBe('pending');

		controller.abort();
		await clock.settle();
		expect(pending.state).toBe('rejected');
		expect(isAbortError(pending.reason)).toBe(true);
		inFlight.release();
	});

	it.each([
		['the batch is full', rules(1, 0, 0)],
		['a mail delay must follow it', rules(0, 0, 200)],
	])('rejects every acquire queued on the cancelled execution, not only the first, while a send runs and %s', async (_why, pacingRules) => {
		const clock = new FakeClock();
		const pacer = new Pacer(pacingRules, clock);
		const inFlight = await grantedSlot(pacer);
		const controller = new AbortController();
		const first = observe(pacer.acquire(controller.signal));
		const second = observe(pacer.acquire(controller.signal));
		await clock.settle();

		controller.abort();
		await clock.settle();
		expect([first.state, second.state]).toEqual(['rejected', 'rejected']);
		inFlight.release();
	});

	it.each([
		['the first acquire of the run', 0],
		['an acquire inside a batch', 1],
		['an acquire that opens a new batch', 2],
	])('refuses %s when the signal has already aborted', async (_which, slotsBefore) => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(2, 0, 0), clock);
		for (let i = 0; i < slotsBefore; i++) (await grantedSlot(pacer)).release();
		const controller = new AbortController();
		controller.abort();
		const refused = observe(pacer.acquire(controller.signal));
		await clock.settle();
		expect(refused.state).toBe('rejected');
		expect(isAbortError(refused.reason)).toBe(true);
	});

	it('gives a cancelled acquire no slot: the next sender takes its place in the batch', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(2, 1500, 200), clock);
		(await grantedSlot(pacer)).release();
		const controller = new AbortController();
		const cancelled = observe(pacer.acquire(controller.signal));
		await clock.settle();
		controller.abort();

		const next = await clock.run(pacer.acquire());
		next.release();
		const after = await clock.run(pacer.acquire());
		expect(cancelled.state).toBe('rejected');
		expect([next.batch, next.startedAt]).toEqual([1, 200]);
		expect([after.batch, after.startedAt]).toEqual([2, 1700]);
	});

	it('still grants slots after an acquire was cancelled while waiting for a send to end', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(1, 0, 0), clock);
		const inFlight = await grantedSlot(pacer);
		const controller = new AbortController();
		const cancelled = observe(pacer.acquire(controller.signal));
		await clock.settle();
		controller.abort();
		await clock.settle();
		const next = observe(pacer.acquire());
		await clock.settle();
		expect([cancelled.state, next.state]).toEqual(['rejected', 'pending']);

		inFlight.release();
		await clock.settle();
		expect(next.state).toBe('fulfilled');
		expect(next.value?.batch).toBe(2);
	});
});

describe('Pacer slots', () => {
	it('count a slot released twice only once, so the next batch still waits for the send in flight', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(2, 0, 0), clock);
		const a = await pacer.acquire();
		const b = await pacer.acquire();
		a.release();
		a.release();
		const c = observe(pacer.acquire());
		await clock.settle();
		expect(c.state).toBe('pending');

		b.release();
		await clock.settle();
		expect(c.state).toBe('fulfilled');
		expect(c.value?.batch).toBe(2);
	});

	it('are granted in the order asked for, whoever asks', async () => {
		const clock = new FakeClock();
		const pacer = new Pacer(rules(0, 0, 100), clock);
		const order: string[] = [];
		const ask = async (name: string) => {
			const slot = await pacer.acquire();
			order.push(`${name}@${slot.startedAt}`);
			slot.release();
		};
		await clock.run(Promise.all(['anna', 'beat', 'carl', 'dora'].map(ask)));
		expect(order).toEqual(['anna@0', 'beat@100', 'carl@200', 'dora@300']);
	});
});

describe('Pacer after another run sent from the same account', () => {
	it('starts its first batch a batch wait after the other run\'s last send ended, as batch 1', async () => {
		const clock = new FakeClock(10_000);
		const pacer = new Pacer(rules(3, 1_500, 200), clock);
		pacer.continueAfter(9_800);
		const slot = await clock.run(pacer.acquire());
		expect([slot.batch, clock.now()]).toEqual([1, 11_300]);
		slot.release();
		expect(pacer.lastSendEnd).toBe(11_300);
	});

	it('without batches, keeps the mail delay after the other run\'s last send', async () => {
		const clock = new FakeClock(10_000);
		const pacer = new Pacer(rules(0, 1_500, 200), clock);
		pacer.continueAfter(9_950);
		await clock.run(pacer.acquire());
		expect(clock.now()).toBe(10_150);
	});

	it('waits for nothing when that pause is over, or when no run sent before', async () => {
		const clock = new FakeClock(10_000);
		const after = new Pacer(rules(3, 1_500, 0), clock);
		after.continueAfter(1_000);
		await clock.run(after.acquire());
		const first = new Pacer(rules(3, 1_500, 0), clock);
		first.continueAfter(undefined);
		await clock.run(first.acquire());
		expect([clock.now(), clock.sleeps]).toEqual([10_000, []]);
		expect(new Pacer(rules(3, 1_500, 0), clock).lastSendEnd).toBeUndefined();
	});
});
