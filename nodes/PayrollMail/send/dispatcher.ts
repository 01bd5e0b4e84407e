import type { Attachment } from '../compose/attachments';
import type { MailRequest, OutgoingMessage } from '../compose/mailRequest';
import { composeRaw, toNodemailerMessage } from '../compose/mimeComposer';
import { CANCELLED_BEFORE_SENDING, outcomeUnknown } from '../core/clerkMessages';
import { mailError, refusalBeforeSending, type MailError } from '../core/mailError';
import type { Clock } from '../plan/clock';
import type { Pacer, SendSlot } from '../plan/pacer';
import { DeliveryFailure, type MailCarrier, type WireMail } from '../transport/mailCarrier';
import { takeAccount, type AccountUse } from './accountLock';
import { AttachmentCache } from './attachmentCache';
import { afterGrace, CANCEL_GRACE_MS, type GraceSignal } from './cancelGrace';
import { Delivery, type MessageOutcome } from './delivery';
import type { MailLedger } from './ledger/mailLedger';
import { mailIdentity, type MailIdentity } from './ledger/mailIdentity';
import { ledgerFailure, settleClaim } from './ledger/settleClaim';
import { duplicateOf, refusalFor } from './ledger/verdicts';

export interface DispatchDependencies {
	carrier: MailCarrier;
	pacer: Pacer;
	clock: Clock;
	/** Reads an item's attachments; called once per item, however many messages it makes. */
	loadAttachments(request: MailRequest): Promise<Attachment[]>;
	/** With Skip Already Sent: the durable record of every mail, claimed before it goes out. */
	ledger?: MailLedger;
	/** This execution's ID, for the claims it makes. */
	execution?: string;
	/** The account sent from: taken before the first mail (one sender at a time), given back at the end. */
	account?: AccountUse;
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

/**
 * Sends the messages in input order within the pacer's limits and says what became of each.
 * Never throws for a message: every failure is reported on its outcome.
 */
export async function dispatch(messages: OutgoingMessage[], deps: DispatchDependencies): Promise<MessageOutcome[]> {
	return new DispatchRun(messages, deps).start();
}

/** A message's first turn: a slot to send in, or the item of this run that sends the same mail. */
type FirstTurn = { slot: Promise<SendSlot> } | { duplicateOf: number };

class DispatchRun {
	private readonly outcomes: MessageOutcome[] = [];

	private next = 0;

	/** Set by a failure every later message would meet too: no more attempts are made. */
	private runFailure: MailError | undefined;

	private readonly attachments: AttachmentCache;

	private lastTurn: Promise<void> = Promise.resolve();

	/** Connections sending at once: as asked for, until a provider asks for fewer. */
	private allowedConnections: number;

	private liveWorkers = 0;

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
		this.attachments = new AttachmentCache(messages, deps.loadAttachments);
		this.allowedConnections = deps.parallelConnections;
	}

	async start(): Promise<MessageOutcome[]> {
		const { account, pacer, signal } = this.deps;
		const turn = account && this.messages.length ? await takeAccount(account, this.deps.execution ?? '', signal) : undefined;
		try {
			if (turn && 'refused' in turn) return this.messages.map((message) => new Delivery(message, this.deps.execution).close(turn.refused));
			pacer.continueAfter(turn?.previousEnd);
			if (this.messages.length === 0) return this.outcomes;
			// The first message goes alone: if the login is refused, it is refused once, not once per
			// connection. Only then do the other connections open.
			await this.work(1);
			const workers = Math.min(this.deps.parallelConnections, this.messages.length - this.next);
			await Promise.all(Array.from({ length: Math.max(1, workers) }, async () => this.work()));
			return this.outcomes;
		} finally {
			if (turn && 'release' in turn) await turn.release(pacer.lastSendEnd);
			this.sendCancel.dispose();
		}
	}

	private async work(limit = Number.POSITIVE_INFINITY): Promise<void> {
		this.liveWorkers += 1;
		try {
			await this.workOn(limit);
		} finally {
			this.liveWorkers -= 1;
		}
	}

	private async workOn(limit: number): Promise<void> {
		for (let done = 0; done < limit && this.next < this.messages.length; done++) {
			// A provider asked for fewer connections at once: this one stops taking mails.
			if (this.liveWorkers > this.allowedConnections) return;
			const index = this.next++;
			const message = this.messages[index];
			const delivery = new Delivery(message, this.deps.execution);
			const turn = this.takeTurn(message);
			const delivering = this.deliver(delivery, turn.first);
			const following = this.messages[this.next];
			if (following && !this.runFailure && !this.deps.signal.aborted) this.attachments.prefetch(following);
			try {
				this.outcomes[index] = await delivering;
			} catch (error) {
				// A fault of this node's own must not cost the other items their report.
				this.outcomes[index] = delivery.close(unexpected(error).detail);
			} finally {
				turn.pass();
				this.attachments.finishedWith(message);
			}
		}
	}

	/**
	 * Messages take their first turn in input order, whichever connection is faster at reading
	 * their attachments: each waits until the message before it has taken its turn, or has let it
	 * pass (failed, skipped) without taking it. In its turn a message's identity is checked against
	 * this run's, so of two items making the same mail the earlier one sends it, and it asks the
	 * pacer for its first slot.
	 */
	private takeTurn(message: OutgoingMessage): { first(identity?: MailIdentity): Promise<FirstTurn>; pass(): void } {
		const previous = this.lastTurn;
		let pass!: () => void;
		this.lastTurn = new Promise<void>((resolve) => (pass = resolve));
		return {
			first: async (identity) => {
				await previous;
				try {
					const sender = identity && this.senders.get(identity.key);
					if (sender !== undefined) return { duplicateOf: sender };
					if (identity) this.senders.set(identity.key, message.request.itemIndex);
					return { slot: this.deps.pacer.acquire(this.deps.signal) };
				} finally {
					pass();
				}
			},
			pass: () => void previous.then(pass),
		};
	}

	private async deliver(delivery: Delivery, firstTurn: (identity?: MailIdentity) => Promise<FirstTurn>): Promise<MessageOutcome> {
		const { signal, ledger } = this.deps;
		if (this.runFailure) return delivery.close(this.runFailure);
		if (signal.aborted) return delivery.close(CANCELLED_BEFORE_SENDING);

		let attachments: Attachment[];
		try {
			attachments = await this.attachments.of(delivery.message.request);
		} catch (error) {
			return delivery.close(refusalBeforeSending('attachment', error));
		}
		const identity = ledger && mailIdentity(delivery.message, attachments);
		const mail = await this.wireMail(delivery, attachments);

		let slot: SendSlot;
		try {
			const first = await firstTurn(identity);
			if ('duplicateOf' in first) return delivery.close(duplicateOf(identity!, first.duplicateOf));
			slot = await first.slot;
		} catch {
			return delivery.close(CANCELLED_BEFORE_SENDING);
		}
		if (!identity) return this.attempts(delivery, mail, slot);

		// Claimed only now, in its slot, right before its first byte: a mail waiting for its batch
		// is not claimed, so a crash there leaves nothing unconfirmed.
		const { request } = delivery.message;
		const claim = await ledger!
			.claim(identity, {
				execution: this.deps.execution ?? '',
				resendUnconfirmed: request.resendUnconfirmed,
				mail: { subject: request.subject, messageId: delivery.messageId, mailId: delivery.mailId, idempotencyKey: request.idempotencyKey },
			})
			.catch((error: Error) => ({ kind: 'failed' as const, error }));
		if (claim.kind !== 'granted') {
			slot.returnUnused();
			if (claim.kind === 'failed') return delivery.close(ledgerFailure(claim.error));
			return claim.kind === 'accepted' ? delivery.skipped(claim.record) : delivery.close(refusalFor(claim, identity));
		}
		const outcome = await this.attempts(delivery, mail, slot);
		return settleClaim(ledger!, identity, outcome, this.deps.execution);
	}

	/** Sends in the slot given, and retries in slots of its own, until the mail is settled. */
	private async attempts(delivery: Delivery, mail: WireMail, firstSlot: SendSlot): Promise<MessageOutcome> {
		const { signal } = this.deps;
		for (let slot = firstSlot; ; ) {
			if (this.runFailure) {
				slot.release();
				return delivery.close(this.runFailure);
			}
			let failure: DeliveryFailure | undefined;
			try {
				delivery.startAttempt(slot.batch, slot.startedAt);
				const envelope = { ...mail.envelope, to: delivery.pending };
				delivery.accepted(await this.deps.carrier.send({ ...mail, envelope }, this.sendCancel.signal));
			} catch (error) {
				if (this.sendCancel.signal.aborted) return delivery.close(cancelledOnTheWire(this.graceMs));
				failure = error instanceof DeliveryFailure ? error : unexpected(error);
				delivery.failed(failure);
			} finally {
				slot.release();
			}

			if (delivery.pending.length === 0) return delivery.close(failure?.detail);
			const stage = failure?.detail.stage;
			if (stage === 'auth' || stage === 'tls') this.runFailure ??= failure?.detail;
			if (failure?.effect === 'stopRun') this.runFailure ??= notTriedAfter(failure.detail);
			// Fewer connections is worth a try of its own, as long as there are fewer to go to.
			const backedOff = failure?.effect === 'fewerConnections' && this.allowedConnections > 1;
			if (backedOff) this.allowedConnections -= 1;
			const retryable = failure ? failure.transient : true;
			if (!retryable || (delivery.attempts > this.deps.maxRetries && !backedOff)) {
				if (stage === 'connection') this.runFailure ??= failure?.detail;
				return delivery.close(failure?.detail);
			}
			try {
				await this.deps.clock.sleep(this.deps.retryWaitMs * 2 ** (delivery.attempts - 1), signal);
				slot = await this.deps.pacer.acquire(signal);
			} catch {
				return delivery.close(CANCELLED_BEFORE_SENDING);
			}
		}
	}

	/**
	 * The message as the carrier takes it. The envelope is given explicitly: it is the only place
	 * the archive copy appears, so no Bcc header can ever reach a recipient. With Include EML the
	 * bytes are made once, kept for the output, and sent as they are.
	 */
	private async wireMail(delivery: Delivery, attachments: Attachment[]): Promise<WireMail> {
		const { message, messageId, mailId } = delivery;
		const { request } = message;
		const envelope = {
			from: request.from.address,
			to: message.envelopeTo,
			use8BitMime: request.content.needs8BitMime || undefined,
			deliveryReports: mailId ? { envelopeId: mailId, quietRecipients: message.archiveTo } : undefined,
		};
		const content = toNodemailerMessage(message, { messageId, mailId }, attachments);
		if (!this.deps.includeEml) return { ...content, envelope, messageId };
		delivery.eml = await composeRaw(content);
		return { raw: delivery.eml, envelope, messageId };
	}
}

/** The mails after a provider's quota refusal: not tried, so that the account is not refused once per employee. */
function notTriedAfter(quota: MailError): MailError {
	return mailError(
		quota.stage,
		'EQUOTA',
		`Not sent: ${quota.message}. Nothing more was tried; run the workflow again once the quota is back, ` +
			'with Skip Already Sent on, and what was sent is skipped',
		{ permanent: false },
	);
}

function cancelledOnTheWire(graceMs: number): MailError {
	return outcomeUnknown(`The execution was cancelled while this mail was being sent, and the server had not confirmed it ${graceMs / 1000} s later`);
}

function unexpected(error: unknown): DeliveryFailure {
	return new DeliveryFailure(mailError('data', 'EUNKNOWN', `Sending failed: ${(error as Error)?.message ?? String(error)}`), false);
}
