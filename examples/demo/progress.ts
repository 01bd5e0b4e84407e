import type { ReceivedMessage, TestSmtpServer } from '../../test/support/testSmtpServer';
import { count } from './text';

/** Where the demo prints; process.stdout, or a string collector in tests. */
export interface Output {
	write(text: string): unknown;
}

export interface ProgressPlan {
	/** Mails the demo expects the server to receive: every employee but the two failing ones. */
	expectedMessages: number;
	batchSize: number;
	waitSeconds: number;
	archive: string;
}

const POLL_MS = 50;
/** A pause this long inside a batch is worth a line: the node is told to send a batch at once. */
const NOTABLE_PAUSE_MS = 500;

export function plannedBatches(plan: Pick<ProgressPlan, 'expectedMessages' | 'batchSize'>): number {
	return plan.batchSize > 0 ? Math.ceil(plan.expectedMessages / plan.batchSize) : 1;
}

/** Batch (from 1) of the n-th mail (from 0), counting as the node's "Mails per Batch" does. */
export function batchOfMail(index: number, batchSize: number): number {
	return batchSize > 0 ? Math.floor(index / batchSize) + 1 : 1;
}

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Shows the run as the SMTP server sees it. The node itself only logs through n8n's logger, so
 * this watches the server's own record: each mail as it arrives (with the server's arrival time),
 * the batch it counts in, and every pause between arrivals. "waiting … before batch k+1" is
 * printed once a batch is full; the pause measured when the next mail arrives follows it.
 */
export class ProgressDisplay {
	private seen = 0;

	private previousArrival: number | undefined;

	private batchStartedAt = 0;

	private timer: NodeJS.Timeout | undefined;

	private readonly addressWidth: number;

	private silentNoticeGiven = false;

	private closedBatches = 0;

	constructor(
		private readonly server: TestSmtpServer,
		private readonly out: Output,
		private readonly plan: ProgressPlan,
		private readonly startedAt: number,
		addresses: string[],
	) {
		this.addressWidth = Math.max(...addresses.map((address) => address.length), 10);
	}

	start(): void {
		const total = plannedBatches(this.plan);
		const wait = this.plan.batchSize > 0 && total > 1 ? `, ${this.plan.waitSeconds.toFixed(1)} s apart` : '';
		this.out.write(
			`Sending: ${count(this.plan.expectedMessages, 'mail')} expected at the server, ` +
				`in ${count(total, 'batch', 'batches')}` +
				`${this.plan.batchSize > 0 ? ` of up to ${this.plan.batchSize}` : ''}${wait}\n`,
		);
		this.timer = setInterval(() => this.poll(), POLL_MS);
	}

	/** Prints whatever arrived since the last poll; call once the run is over. */
	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
		this.poll();
		if (this.seen > 0) this.closeBatch();
	}

	private poll(): void {
		const { messages } = this.server;
		while (this.seen < messages.length) this.arrived(messages[this.seen]);
		this.noticeSilence();
	}

	private arrived(message: ReceivedMessage): void {
		const index = this.seen++;
		const batch = batchOfMail(index, this.plan.batchSize);
		const gap = this.previousArrival === undefined ? undefined : message.arrivedAt - this.previousArrival;
		const firstOfBatch = index === 0 || batch !== batchOfMail(index - 1, this.plan.batchSize);
		if (firstOfBatch) {
			const total = plannedBatches(this.plan);
			const after = gap === undefined ? '' : ` (the server's first mail after a pause of ${seconds(gap)})`;
			this.out.write(`batch ${batch} of ${total}${after}\n`);
			this.batchStartedAt = message.arrivedAt;
		} else if (gap !== undefined && gap >= NOTABLE_PAUSE_MS) {
			this.out.write(`  … a pause of ${seconds(gap)} inside batch ${batch}\n`);
		}
		this.previousArrival = message.arrivedAt;
		this.silentNoticeGiven = false;

		const recipient = message.to.find((address) => address !== this.plan.archive) ?? '(none)';
		const archived = message.to.includes(this.plan.archive) ? ' + archive copy' : ' (no archive copy!)';
		const label = `${recipient} (batch ${batch})`.padEnd(this.addressWidth + 11);
		this.out.write(`  ✓ ${label}${archived.padEnd(17)} ${seconds(message.arrivedAt - this.startedAt).padStart(8)}\n`);

		const batchFull = this.plan.batchSize > 0 && this.seen % this.plan.batchSize === 0;
		if (batchFull && this.seen < this.plan.expectedMessages) {
			this.closeBatch();
			this.out.write(`  waiting ${this.plan.waitSeconds.toFixed(1)} s before batch ${batch + 1} …\n`);
		}
	}

	private closeBatch(): void {
		const batch = batchOfMail(this.seen - 1, this.plan.batchSize);
		if (batch <= this.closedBatches) return;
		this.closedBatches = batch;
		const mails = this.plan.batchSize > 0 ? this.seen - (batch - 1) * this.plan.batchSize : this.seen;
		const took = (this.previousArrival ?? this.batchStartedAt) - this.batchStartedAt;
		this.out.write(`  batch ${batch}: ${count(mails, 'mail')} arrived within ${seconds(took)}\n`);
	}

	/** Says so once when nothing has arrived for much longer than the node was told to wait. */
	private noticeSilence(): void {
		if (this.silentNoticeGiven) return;
		const since = Date.now() - (this.previousArrival ?? this.startedAt);
		const expected = this.plan.waitSeconds * 1000 + 5_000;
		if (since > expected && this.seen < this.plan.expectedMessages) {
			this.silentNoticeGiven = true;
			this.out.write(`  … nothing has arrived for ${seconds(since)}\n`);
		}
	}
}
