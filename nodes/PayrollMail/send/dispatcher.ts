import { randomUUID } from 'node:crypto';

import type { Attachment } from '../compose/attachments';
import type { MailRequest, OutgoingMessage } from '../compose/mailRequest';
import type { Clock } from '../plan/clock';
import type { Pacer, SendSlot } from '../plan/pacer';
import { refusalBeforeSending, type MailError } from '../core/mailError';
import { OUTCOME_UNKNOWN, SmtpFailure, type RecipientRefusal } from '../transport/smtp/smtpFailure';
import type { SmtpTransport } from '../transport/smtp/smtpTransport';
import { afterGrace, CANCEL_GRACE_MS, type GraceSignal } from './cancelGrace';
import { composeRaw, toNodemailerMessage } from '../compose/mimeComposer';
import { mailIdentity, type EarlierSend, type MailIdentity, type SentLedger, type SentRecord } from './sentLedger';

export type MessageState = 'sent' | 'partial' | 'failed' | 'skipped';

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
	/** When the server accepted it; for a skipped message, when an earlier run sent it. */
	sentAt?: string;
	/** The message as it was sent, with the Include EML option. */
	eml?: Buffer;
}

/** Whatever carries a message away: the SMTP transport, or the pickup directory. */
export type MailCarrier = Pick<SmtpTransport, 'send'>;

export interface DispatchDependencies {
	transport: MailCarrier;
	pacer: Pacer;
	clock: Clock;
	/** Reads an item's attachments; called once per item, however many messages it makes. */
	loadAttachments(request: MailRequest): Promise<Attachment[]>;
	/** With skipAlreadySent: the mails earlier runs sent. */
	ledger?: SentLedger;
	/** Keep each message's bytes for the output (Include EML). */
	includeEml: boolean;
	maxRetries: number;
	retryWaitMs: number;
	/** Messages sent at once, each on its own connection. */
	parallelConnections: number;
	signal: AbortSignal;
	/** How long a send on the wire may go on after a cancel; CANCEL_GRACE_MS unless given. */
	cancelGraceMs?: number;
}

const CANCELLED: MailError = {
	message: 'Not sent: the execution was cancelled before this mail went out',
	code: 'ECANCELLED',
	permanent: false,
	stage: 'connection',
};

function cancelledOnTheWire(graceMs: number): MailError {
	return {
		message:
			`The execution was cancelled while this mail was being sent, and the server had not confirmed it ` +
			`${graceMs / 1000} s later: it may or may not have been delivered. Check the archive copy (BCC) or ` +
			'ask the employee before sending it again',
		code: OUTCOME_UNKNOWN,
		permanent: false,
		stage: 'data',
	};
}

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

	private lastTurn: Promise<void> = Promise.resolve();

	/** With a ledger: each mail of this run, by its identity key, and the item that sends it. */
	private readonly senders = new Map<string, number>();

	/** Aborts the sends still on the wire, a grace period after the execution was cancelled. */
	private readonly sendCancel: GraceSignal;

	private readonly graceMs: number;

	constructor(
		private readonly messages: OutgoingMessage[],
		private readonly deps: DispatchDependencies,
	) {
		this.graceMs = deps.cancelGraceMs ?? CANCEL_GRACE_MS;
		this.sendCancel = afterGrace(deps.signal, this.graceMs, deps.clock);
		for (const { request } of messages) {
			this.messagesLeft.set(request.itemIndex, (this.messagesLeft.get(request.itemIndex) ?? 0) + 1);
		}
	}

	async start(): Promise<MessageOutcome[]> {
		try {
			if (this.messages.length === 0) return this.outcomes;
			// The first message goes alone: if the login is refused, it is refused once, not once per
			// connection. Only then do the other connections open.
			await this.work(1);
			const workers = Math.min(this.deps.parallelConnections, this.messages.length - this.next);
			await Promise.all(Array.from({ length: Math.max(1, workers) }, async () => this.work()));
			return this.outcomes;
		} finally {
			this.sendCancel.dispose();
		}
	}

	private async work(limit = Number.POSITIVE_INFINITY): Promise<void> {
		for (let done = 0; done < limit && this.next < this.messages.length; done++) {
			const index = this.next++;
			const message = this.messages[index];
			const delivery = new Delivery(message);
			const turn = this.takeTurn(message);
			const delivering = this.deliver(delivery, turn.firstSlot);
			this.prefetch(this.messages[this.next]);
			try {
				this.outcomes[index] = await delivering;
			} catch (error) {
				// A fault of this node's own must not cost the other items their report.
				this.outcomes[index] = delivery.close(unexpected(error).detail);
			} finally {
				turn.pass();
				this.finishedWith(message);
			}
		}
	}

	/**
	 * Messages ask the pacer for their first slot in input order, whichever connection is faster
	 * at reading its attachments: each waits until the message before it has asked, or has let its
	 * turn pass (failed, skipped) without asking. In the same order a mail's identity is taken,
	 * so of two items making the same mail the earlier one sends it.
	 */
	private takeTurn(message: OutgoingMessage): { firstSlot(identity?: MailIdentity): Promise<FirstSlot>; pass(): void } {
		const previous = this.lastTurn;
		let pass!: () => void;
		this.lastTurn = new Promise<void>((resolve) => (pass = resolve));
		return {
			firstSlot: async (identity) => {
				await previous;
				try {
					if (identity) {
						// This run's own mails first: the ledger holds them too once accepted.
						const sender = this.senders.get(identity.key);
						if (sender !== undefined) return { duplicateOf: sender };
						this.senders.set(identity.key, message.request.itemIndex);
						const earlier = this.deps.ledger?.earlierSend(identity);
						if (earlier) return { earlier };
					}
					return { slot: this.deps.pacer.acquire(this.deps.signal) };
				} finally {
					pass();
				}
			},
			pass: () => void previous.then(pass),
		};
	}

	private async deliver(delivery: Delivery, firstSlot: (identity?: MailIdentity) => Promise<FirstSlot>): Promise<MessageOutcome> {
		const { signal } = this.deps;
		if (this.runFailure) return delivery.close(this.runFailure);
		if (signal.aborted) return delivery.close(CANCELLED);

		let attachments: Attachment[];
		try {
			attachments = await this.attachmentsOf(delivery.message.request);
		} catch (error) {
			return delivery.close(refusalBeforeSending('attachment', error));
		}

		const { ledger } = this.deps;
		const identity = ledger && mailIdentity(delivery.message, attachments);
		let mail = toNodemailerMessage(delivery.message, delivery.messageId, attachments);
		if (this.deps.includeEml) {
			delivery.eml = await composeRaw(mail);
			mail = { raw: delivery.eml, envelope: mail.envelope, messageId: delivery.messageId };
		}

		for (let asked = false; ; asked = true) {
			let slot;
			try {
				const first = asked ? undefined : await firstSlot(identity);
				if (first && 'duplicateOf' in first) return delivery.close(duplicate(identity!, first.duplicateOf));
				if (first && 'earlier' in first) return reportEarlierSend(delivery, identity!, first.earlier);
				slot = await (first ? first.slot : this.deps.pacer.acquire(signal));
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
				const envelope = { ...(mail.envelope as object), to: delivery.pending };
				delivery.accepted(await this.deps.transport.send({ ...mail, envelope }, this.sendCancel.signal));
				if (identity) delivery.noteIn(ledger!, identity);
			} catch (error) {
				if (this.sendCancel.signal.aborted) return delivery.close(cancelledOnTheWire(this.graceMs));
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

	private attachmentsOf(request: MailRequest): Promise<Attachment[]> {
		let loading = this.attachments.get(request.itemIndex);
		if (!loading) {
			loading = this.deps.loadAttachments(request);
			this.attachments.set(request.itemIndex, loading);
		}
		return loading;
	}

	/**
	 * Starts reading the next message's attachments while this one is on the wire: the server's
	 * replies leave the client idle, and reading a PDF then costs no sending time.
	 */
	private prefetch(message: OutgoingMessage | undefined): void {
		if (!message || this.runFailure || this.deps.signal.aborted) return;
		// Its failure is reported when its own message awaits it.
		this.attachmentsOf(message.request).catch(() => undefined);
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

	eml: Buffer | undefined;

	sentAt: string | undefined;

	private batch: number | undefined;

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

	/** An earlier run sent this very mail to every one of its recipients: nothing goes out. */
	skipped({ sentAt, messageId }: SentRecord): MessageOutcome {
		return { message: this.message, state: 'skipped', messageId, accepted: [], rejected: [], attempts: 0, sentAt };
	}

	/** Records in the ledger who of the mail's recipients has it so far. */
	noteIn(ledger: SentLedger, identity: MailIdentity): void {
		const accepted = identity.recipients.filter((recipient) => this.acceptedBy.includes(recipient));
		if (accepted.length) ledger.record(identity, { sentAt: this.sentAt!, messageId: this.messageId, accepted });
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
		// The archive copy alone is not the employee's mail: it takes one of To and Cc to count.
		const own = [...this.message.to, ...this.message.cc].map((mailbox) => mailbox.address);
		const reachedOwn = this.acceptedBy.some((recipient) => own.includes(recipient));
		const state: MessageState = !reachedOwn ? 'failed' : rejected.length ? 'partial' : 'sent';
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
			eml: this.eml,
		};
	}

	private worthRetrying(refusals: RecipientRefusal[]): string[] {
		for (const refusal of refusals) this.refused.set(refusal.recipient, refusal);
		return refusals.filter((refusal) => refusal.transient).map((refusal) => refusal.recipient);
	}
}

type FirstSlot = { slot: Promise<SendSlot> } | { duplicateOf: number } | { earlier: EarlierSend };

/**
 * A mail the ledger knows: skipped when every recipient has it, otherwise not sent again (someone
 * would get it twice) and reported, so that nobody is counted as served who was not.
 */
function reportEarlierSend(delivery: Delivery, identity: MailIdentity, earlier: EarlierSend): MessageOutcome {
	if ('legacySentAt' in earlier) {
		return delivery.close(notSentAgain(
			`an earlier version of this node noted the mail with ${identity.description} as sent on ${earlier.legacySentAt}, ` +
				'without noting to whom. Check the archive copy; to send it anyway, run it with Skip Already Sent off',
		));
	}
	const { record } = earlier;
	const missing = identity.recipients.filter((recipient) => !record.accepted.includes(recipient));
	if (missing.length === 0) return delivery.skipped(record);
	return delivery.close(notSentAgain(
		`an earlier execution sent this mail on ${record.sentAt} (${record.messageId}) to ${record.accepted.join(', ')}, ` +
			`but not to ${missing.join(', ')}. Sending it again would give the others a second copy: ` +
			'send it to the missing address in a run of its own',
	));
}

function notSentAgain(why: string): MailError {
	return { message: `Not sent again: ${why}`, code: 'EALREADYSENT', permanent: true, stage: 'validation' };
}

function duplicate(identity: MailIdentity, itemIndex: number): MailError {
	return {
		message:
			`Not sent: item ${itemIndex} makes the same mail (${identity.description}, to ${identity.recipients.join(', ')}) ` +
			'and sends it; a mail goes out once. Give each mail its own Idempotency Key, e.g. ' +
			'{{ $json.employeeId }}-{{ $json.period }}',
		code: 'EDUPLICATE',
		permanent: true,
		stage: 'validation',
	};
}

function refusalError(rejected: RecipientRefusal[]): MailError {
	const [first = { recipient: '', response: 'no recipient took the mail', transient: false }] = rejected;
	const who = rejected.map((refusal) => refusal.recipient).join(', ');
	return {
		message: first.transient
			? `The server could not take the mail for ${who} just now: ${first.response}. This is usually temporary (mailbox busy or full): run this item again later`
			: `The server refused ${who}: ${first.response}`,
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
