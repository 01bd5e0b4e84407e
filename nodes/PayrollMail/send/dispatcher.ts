import type { Attachment } from '../compose/attachments';
import type { MailRequest, OutgoingMessage } from '../compose/mailRequest';
import { composeRaw, toNodemailerMessage } from '../compose/mimeComposer';
import { CANCELLED_BEFORE_SENDING } from '../core/clerkMessages';
import { refusalBeforeSending, type MailError } from '../core/mailError';
import type { Clock } from '../plan/clock';
import type { Pacer, SendSlot } from '../plan/pacer';
import { DeliveryFailure, type MailCarrier, type WireMail } from '../transport/mailCarrier';
import { takeAccount, type AccountUse } from './accountLock';
import { AttachmentCache } from './attachmentCache';
import { afterGrace, CANCEL_GRACE_MS, type GraceSignal } from './cancelGrace';
import { Delivery, type MessageOutcome } from './delivery';
import type { MailLedger } from './ledger/mailLedger';
import { mailIdentity, type MailIdentity } from './ledger/mailIdentity';
import { duplicateOf, refusalFor } from './ledger/verdicts';
import { messageList, type MessageSource } from './messageSource';
import { cancelledOnTheWire, ledgerFailure, notTriedAfter, settleClaim, unexpected } from './settling';

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
export async function dispatch(messages: OutgoingMessage[] | MessageSource, deps: DispatchDependencies): Promise<MessageOutcome[]> {
	return new DispatchRun(Array.isArray(messages) ? messageList(messages) : messages, deps).start();
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

	/** Resolves once the run's first message has its outcome. */
	private readonly firstSettled: Promise<void>;

	private settleFirst!: () => void;

	constructor(
		private readonly messages: MessageSource,
		private readonly deps: DispatchDependencies,
	) {
		this.graceMs = deps.cancelGraceMs ?? CANCEL_GRACE_MS;
		this.sendCancel = afterGrace(deps.signal, this.graceMs, deps.clock);
		this.attachments = new AttachmentCache(messages, deps.loadAttachments);
		this.allowedConnections = deps.parallelConnections;
		this.firstSettled = new Promise<void>((resolve) => (this.settleFirst = resolve));
	}

	async start(): Promise<MessageOutcome[]> {
		const { account, pacer, signal } = this.deps;
		const anything = this.messages.at(0) !== undefined;
		const turn = account && anything ? await takeAccount(account, this.deps.execution ?? '', signal) : undefined;
		try {
			if (turn && 'refused' in turn) return this.closeAll(turn.refused);
			pacer.continueAfter(turn?.previousEnd);
			if (!anything) return this.outcomes;
			// The first message goes alone until its connection is past the login (or it is settled):
			// if the login is refused, it is refused once, not once per connection. Only then do the
			// other connections open, while the first mail is still on the wire.
			const first = this.work();
			await Promise.race([this.firstSettled, this.deps.carrier.sessionOpened ?? this.firstSettled]);
			let others = 0;
			while (others < this.deps.parallelConnections - 1 && this.messages.at(this.next + others)) others++;
			await Promise.all([first, ...Array.from({ length: others }, async () => this.work())]);
			return this.outcomes;
		} finally {
			if (turn && 'release' in turn) await turn.release(pacer.lastSendEnd);
			this.sendCancel.dispose();
		}
	}

	/** Every message closed unsent, for a reason that holds for all of them. */
	private closeAll(reason: MailError): MessageOutcome[] {
		for (let index = 0, message = this.messages.at(0); message; message = this.messages.at(++index)) {
			this.outcomes[index] = new Delivery(message, this.deps.execution).close(reason);
		}
		return this.outcomes;
	}

	private async work(): Promise<void> {
		this.liveWorkers += 1;
		try {
			await this.workOn();
		} finally {
			this.liveWorkers -= 1;
		}
	}

	private async workOn(): Promise<void> {
		for (let message = this.messages.at(this.next); message; message = this.messages.at(this.next)) {
			// A provider asked for fewer connections at once: this one stops taking mails.
			if (this.liveWorkers > this.allowedConnections) return;
			const index = this.next++;
			const delivery = new Delivery(message, this.deps.execution);
			const turn = this.takeTurn(message);
			const delivering = this.deliver(delivery, turn.first);
			try {
				this.outcomes[index] = await delivering;
			} catch (error) {
				// A fault of this node's own must not cost the other items their report.
				this.outcomes[index] = delivery.close(unexpected(error).detail);
			} finally {
				if (index === 0) this.settleFirst();
				turn.pass();
				this.attachments.finishedWith(message);
			}
		}
	}

	/**
	 * Makes the next messages ready (their items read, their attachments loading), one for each
	 * connection, so that none waits for its next mail when it has sent one.
	 */
	private readAhead(): void {
		if (this.runFailure || this.deps.signal.aborted) return;
		for (let ahead = 0; ahead < this.allowedConnections; ahead++) {
			const following = this.messages.at(this.next + ahead);
			if (!following) return;
			this.attachments.prefetch(following);
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
				const sending = this.deps.carrier.send({ ...mail, envelope }, this.sendCancel.signal);
				// While the server reads this mail, the next ones are made ready.
				this.readAhead();
				delivery.accepted(await sending);
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
		const deliveryReports = mailId ? { envelopeId: mailId, quietRecipients: message.archiveTo } : undefined;
		const envelope = { from: request.from.address, to: message.envelopeTo, use8BitMime: request.content.needs8BitMime || undefined, deliveryReports };
		const content = toNodemailerMessage(message, { messageId, mailId }, attachments);
		if (!this.deps.includeEml) return { ...content, envelope, messageId };
		delivery.eml = await composeRaw(content);
		return { raw: delivery.eml, envelope, messageId };
	}
}
