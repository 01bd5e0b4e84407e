import { randomUUID } from 'node:crypto';

import type { Attachment } from '../compose/attachments';
import type { OutgoingMessage } from '../compose/mailRequest';
import type { Clock } from '../plan/clock';
import type { Pacer } from '../plan/pacer';
import { refusalBeforeSending, type MailError } from '../mailError';
import { SmtpFailure, type RecipientRefusal } from '../transport/smtpFailure';
import type { SmtpTransport } from '../transport/smtpTransport';
import { toNodemailerMessage } from './nodemailerMessage';

export type MessageState = 'sent' | 'partial' | 'failed';

/** What became of one message. */
export interface MessageOutcome {
	message: OutgoingMessage;
	state: MessageState;
	messageId: string;
	accepted: string[];
	rejected: RecipientRefusal[];
	/** The server's reply that accepted the message. */
	response?: string;
	error?: MailError;
	batch?: number;
	attempts: number;
	sentAt?: string;
}

export interface DispatchDependencies {
	transport: Pick<SmtpTransport, 'send'>;
	pacer: Pacer;
	clock: Clock;
	/** Reads an item's attachments; called once per item, however many messages it makes. */
	loadAttachments(itemIndex: number, properties: string[]): Promise<Attachment[]>;
	maxRetries: number;
	retryWaitMs: number;
	/** Messages sent at once, each on its own connection. */
	parallelConnections: number;
	signal: AbortSignal;
}

const CANCELLED: MailError = {
	message: 'Not sent: the execution was cancelled before this mail went out',
	code: 'ECANCELLED',
	permanent: false,
	stage: 'connection',
};

/**
 * Sends the messages in input order within the pacer's limits and says what became of each.
 * Never throws for a message: every failure is reported on its outcome.
 */
export async function dispatch(
	messages: OutgoingMessage[],
	deps: DispatchDependencies,
): Promise<MessageOutcome[]> {
	return new DispatchRun(messages, deps).start();
}

class DispatchRun {
	private readonly outcomes: MessageOutcome[] = [];

	private next = 0;

	/** Set by a failure every later message would meet too: no more attempts are made. */
	private runFailure: MailError | undefined;

	private readonly attachments = new Map<number, Promise<Attachment[]>>();

	private readonly messagesLeft = new Map<number, number>();

	constructor(
		private readonly messages: OutgoingMessage[],
		private readonly deps: DispatchDependencies,
	) {
		for (const { request } of messages) {
			this.messagesLeft.set(request.itemIndex, (this.messagesLeft.get(request.itemIndex) ?? 0) + 1);
		}
	}

	async start(): Promise<MessageOutcome[]> {
		if (this.messages.length === 0) return this.outcomes;
		// The first message goes alone: if the login is refused, it is refused once, not once per
		// connection. Only then do the other connections open.
		await this.work(1);
		const workers = Math.min(this.deps.parallelConnections, this.messages.length - this.next);
		await Promise.all(Array.from({ length: Math.max(1, workers) }, async () => this.work()));
		return this.outcomes;
	}

	private async work(limit = Number.POSITIVE_INFINITY): Promise<void> {
		for (let done = 0; done < limit && this.next < this.messages.length; done++) {
			const index = this.next++;
			const message = this.messages[index];
			try {
				this.outcomes[index] = await this.deliver(new Delivery(message));
			} finally {
				this.finishedWith(message);
			}
		}
	}

	private async deliver(delivery: Delivery): Promise<MessageOutcome> {
		const { signal } = this.deps;
		if (this.runFailure) return delivery.close(this.runFailure);
		if (signal.aborted) return delivery.close(CANCELLED);

		let attachments: Attachment[];
		try {
			attachments = await this.attachmentsOf(delivery.message);
		} catch (error) {
			return delivery.close(refusalBeforeSending('attachment', error));
		}

		for (;;) {
			let slot;
			try {
				slot = await this.deps.pacer.acquire(signal);
			} catch {
				return delivery.close(CANCELLED);
			}
			if (this.runFailure) {
				slot.release();
				return delivery.close(this.runFailure);
			}
			let failure: SmtpFailure | undefined;
			try {
				delivery.startAttempt(slot.batch, slot.startedAt);
				const mail = toNodemailerMessage(delivery.message, delivery.messageId, delivery.pending, attachments);
				delivery.accepted(await this.deps.transport.send(mail, signal));
			} catch (error) {
				if (signal.aborted) return delivery.close(CANCELLED);
				failure = error instanceof SmtpFailure ? error : unexpected(error);
				delivery.failed(failure);
			} finally {
				slot.release();
			}

			if (delivery.pending.length === 0) return delivery.close(failure?.detail);
			const stage = failure?.detail.stage;
			if (stage === 'auth' || stage === 'tls') this.runFailure ??= failure?.detail;
			const retryable = failure ? failure.transient : true;
			if (!retryable || delivery.attempts > this.deps.maxRetries) {
				if (stage === 'connection') this.runFailure ??= failure?.detail;
				return delivery.close(failure?.detail);
			}
			try {
				await this.deps.clock.sleep(this.deps.retryWaitMs * 2 ** (delivery.attempts - 1), signal);
			} catch {
				return delivery.close(CANCELLED);
			}
		}
	}

	private attachmentsOf(message: OutgoingMessage): Promise<Attachment[]> {
		const { itemIndex, attachmentProperties } = message.request;
		let loading = this.attachments.get(itemIndex);
		if (!loading) {
			loading = this.deps.loadAttachments(itemIndex, attachmentProperties);
			this.attachments.set(itemIndex, loading);
		}
		return loading;
	}

	/** Lets go of an item's attachments once its last message is done. */
	private finishedWith(message: OutgoingMessage): void {
		const { itemIndex } = message.request;
		const left = (this.messagesLeft.get(itemIndex) ?? 1) - 1;
		this.messagesLeft.set(itemIndex, left);
		if (left === 0) this.attachments.delete(itemIndex);
	}
}

/**
 * One message's way to the server: which recipients took it, which refused it for good, and
 * which are still worth another attempt. A retry goes to the pending recipients only, with the
 * same Message-ID, so nobody who has the mail gets it twice.
 */
class Delivery {
	readonly messageId: string;

	pending: string[];

	attempts = 0;

	private batch: number | undefined;

	private sentAt: string | undefined;

	private response: string | undefined;

	private readonly acceptedBy: string[] = [];

	private readonly refused = new Map<string, RecipientRefusal>();

	constructor(readonly message: OutgoingMessage) {
		this.messageId = newMessageId(message.request.from.address);
		this.pending = message.envelopeTo;
	}

	startAttempt(batch: number, startedAt: number): void {
		this.attempts += 1;
		this.batch ??= batch;
		this.sentAt ??= new Date(startedAt).toISOString();
	}

	accepted(info: { accepted: string[]; refusals: RecipientRefusal[]; response: string }): void {
		this.acceptedBy.push(...info.accepted);
		this.response = info.response;
		this.pending = this.worthRetrying(info.refusals);
	}

	failed(failure: SmtpFailure): void {
		if (failure.refusals.length) this.pending = this.worthRetrying(failure.refusals);
	}

	/** The outcome; recipients still pending count as refused, for the last reason known. */
	close(error?: MailError): MessageOutcome {
		const rejected = [...this.refused.values()].filter((refusal) => !this.acceptedBy.includes(refusal.recipient));
		// A message never handed to the server was refused by nobody.
		for (const recipient of this.attempts ? this.pending : []) {
			if (!this.refused.has(recipient)) {
				rejected.push({ recipient, response: error?.message ?? '', responseCode: error?.responseCode, transient: true });
			}
		}
		const state: MessageState =
			this.acceptedBy.length === 0 ? 'failed' : rejected.length ? 'partial' : 'sent';
		return {
			message: this.message,
			state,
			messageId: this.messageId,
			accepted: this.acceptedBy,
			rejected,
			response: this.response,
			error: state === 'sent' ? undefined : (error ?? refusalError(rejected)),
			batch: this.batch,
			attempts: this.attempts,
			sentAt: this.acceptedBy.length ? this.sentAt : undefined,
		};
	}

	private worthRetrying(refusals: RecipientRefusal[]): string[] {
		for (const refusal of refusals) this.refused.set(refusal.recipient, refusal);
		return refusals.filter((refusal) => refusal.transient).map((refusal) => refusal.recipient);
	}
}

function refusalError(rejected: RecipientRefusal[]): MailError {
	const [first] = rejected;
	return {
		message: `The server refused ${rejected.map((refusal) => refusal.recipient).join(', ')}: ${first.response}`,
		code: 'EENVELOPE',
		responseCode: first.responseCode,
		command: 'RCPT TO',
		permanent: !first.transient,
		stage: 'envelope',
	};
}

function unexpected(error: unknown): SmtpFailure {
	return new SmtpFailure(
		{ message: `Sending failed: ${(error as Error)?.message ?? String(error)}`, code: 'EUNKNOWN', permanent: true, stage: 'data' },
		false,
	);
}

function newMessageId(fromAddress: string): string {
	const domain = fromAddress.split('@').pop() || 'payroll-mail.invalid';
	return `<${randomUUID()}@${domain}>`;
}
