import type { Clock } from './clock';

/** The provider's sending limits, in the SPEC's terms. */
export interface PacingRules {
	/** At most this many sends per batch; 0 puts everything in one batch. */
	batchSize: number;
	/** Pause between the end of one batch and the start of the next. */
	batchWaitMs: number;
	/** Pause between the end of one send and the start of the next, within a batch. */
	mailDelayMs: number;
}

/** A granted send: which batch it belongs to; release it when the send has ended. */
export interface SendSlot {
	batch: number;
	startedAt: number;
	release(): void;
	/** Gives the slot back unused (the mail turned out to need no sending): it counts for nothing. */
	returnUnused(): void;
}

/**
 * Grants send slots in the order asked for, so that no batch holds more than `batchSize` sends
 * and no two batches are closer than `batchWait`. Every attempt takes a slot, retries included:
 * the provider counts what reaches it, not what the node meant to send.
 *
 * Both waits are pauses: they start when the sends before them have ended, so a slow login or
 * a large attachment never eats into them. Sends overlap (several connections) only when there
 * is no mail delay: a pause between two mails leaves no room for both at once.
 */
export class Pacer {
	private batch = 1;

	private sendsInBatch = 0;

	private inFlight = 0;

	private lastEndAt = Number.NEGATIVE_INFINITY;

	/** When the account's previous sender's last send ended, until this pacer's first slot. */
	private previousSenderEnd: number | undefined;

	private drained: (() => void) | undefined;

	// Slots are granted one after the other, whatever the number of connections asking.
	private queue: Promise<unknown> = Promise.resolve();

	constructor(
		private readonly rules: PacingRules,
		private readonly clock: Clock,
	) {}

	/**
	 * Another run sent from the same account until `end`: the first batch waits for the pause that
	 * follows a batch (or, without batches, the pause after a mail), counted from then.
	 */
	continueAfter(end: number | undefined): void {
		this.previousSenderEnd = end;
	}

	/** When the last send ended, if one did. */
	get lastSendEnd(): number | undefined {
		return Number.isFinite(this.lastEndAt) ? this.lastEndAt : undefined;
	}

	acquire(signal?: AbortSignal): Promise<SendSlot> {
		const granted = this.queue.then(() => this.grant(signal));
		this.queue = granted.catch(() => undefined);
		return granted;
	}

	private async grant(signal?: AbortSignal): Promise<SendSlot> {
		signal?.throwIfAborted();
		const { batchSize, batchWaitMs, mailDelayMs } = this.rules;
		if (batchSize > 0 && this.sendsInBatch === batchSize) {
			await this.allReleased(signal);
			await this.waitUntil(this.lastEndAt + batchWaitMs, signal);
			this.batch += 1;
			this.sendsInBatch = 0;
		} else if (this.sendsInBatch > 0 && mailDelayMs > 0) {
			await this.allReleased(signal);
			await this.waitUntil(this.lastEndAt + mailDelayMs, signal);
		} else if (this.previousSenderEnd !== undefined) {
			await this.waitUntil(this.previousSenderEnd + (batchSize > 0 ? batchWaitMs : mailDelayMs), signal);
		}
		this.previousSenderEnd = undefined;
		this.sendsInBatch += 1;
		this.inFlight += 1;
		const startedAt = this.clock.now();
		const batch = this.batch;
		let released = false;
		const free = (used: boolean) => {
			if (released) return;
			released = true;
			this.inFlight -= 1;
			if (used) this.lastEndAt = this.clock.now();
			else if (this.batch === batch) this.sendsInBatch -= 1;
			if (this.inFlight === 0) this.drained?.();
		};
		return { batch, startedAt, release: () => free(true), returnUnused: () => free(false) };
	}

	private async waitUntil(time: number, signal?: AbortSignal): Promise<void> {
		const wait = time - this.clock.now();
		if (wait > 0) await this.clock.sleep(wait, signal);
		else signal?.throwIfAborted();
	}

	private allReleased(signal?: AbortSignal): Promise<void> {
		signal?.throwIfAborted();
		if (this.inFlight === 0) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const onAbort = () => reject(signal?.reason);
			signal?.addEventListener('abort', onAbort, { once: true });
			this.drained = () => {
				signal?.removeEventListener('abort', onAbort);
				this.drained = undefined;
				resolve();
			};
		});
	}
}

/** The batch (from 1) of the message at `position` (from 0), when nothing is retried. */
export function plannedBatch(position: number, batchSize: number): number {
	return batchSize > 0 ? Math.floor(position / batchSize) + 1 : 1;
}
