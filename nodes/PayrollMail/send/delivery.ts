import { randomUUID } from 'node:crypto';

import type { OutgoingMessage } from '../compose/mailRequest';
import { mailError, type MailError } from '../core/mailError';
import { newMailId } from '../core/mailId';
import type { DeliveryFailure, RecipientRefusal, SentInfo } from '../transport/mailCarrier';
import type { SentRecord } from './ledger/mailLedger';

export type MessageState = 'sent' | 'partial' | 'failed' | 'skipped';

/** What became of one message. */
export interface MessageOutcome {
	message: OutgoingMessage;
	state: MessageState;
	messageId: string;
	/** The ID the mail carried for delivery reports (ENVID and header), when it asked for them. */
	mailId?: string;
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
	/** Sent, but the Skip Already Sent record of it could not be written. */
	ledgerError?: string;
	/** Skipped: what the clerk should know about the earlier mail. */
	note?: string;
}

/**
 * One message's way to the server: which recipients took it, which refused it for good, and
 * which are still worth another attempt. A retry goes to the pending recipients only, with the
 * same Message-ID, so nobody who has the mail gets it twice.
 */
export class Delivery {
	readonly messageId: string;

	/** Sent as ENVID and in the mail's header when the mail asks for delivery reports. */
	readonly mailId: string | undefined;

	pending: string[];

	attempts = 0;

	eml: Buffer | undefined;

	sentAt: string | undefined;

	private batch: number | undefined;

	private response: string | undefined;

	private readonly acceptedBy: string[] = [];

	private readonly refused = new Map<string, RecipientRefusal>();

	constructor(
		readonly message: OutgoingMessage,
		execution?: string,
	) {
		this.messageId = newMessageId(message.request.from.address);
		const { request, part } = message;
		this.mailId = request.deliveryReports ? newMailId({ execution, itemIndex: request.itemIndex, part }) : undefined;
		this.pending = message.envelopeTo;
	}

	startAttempt(batch: number, startedAt: number): void {
		this.attempts += 1;
		this.batch ??= batch;
		this.sentAt ??= new Date(startedAt).toISOString();
	}

	accepted(info: SentInfo): void {
		this.acceptedBy.push(...info.accepted);
		this.response = info.response;
		this.pending = this.worthRetrying(info.refusals);
	}

	failed(failure: DeliveryFailure): void {
		if (failure.refusals.length) this.pending = this.worthRetrying(failure.refusals);
	}

	/** An earlier run sent this very mail to every one of its recipients: nothing goes out. */
	skipped({ sentAt, messageId, execution }: SentRecord): MessageOutcome {
		const by = execution ? `Sent by execution ${execution}` : 'Sent by an earlier execution';
		const note = sentAt ? `${by}; sentAt is when the server accepted it` : `${by}; n8n's own store keeps no time or Message-ID of it`;
		return { message: this.message, state: 'skipped', messageId: messageId ?? '', accepted: [], rejected: [], attempts: 0, sentAt, note };
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
			mailId: this.attempts ? this.mailId : undefined,
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

function refusalError(rejected: RecipientRefusal[]): MailError {
	const [first = { recipient: '', response: 'no recipient took the mail', transient: false }] = rejected;
	const who = rejected.map((refusal) => refusal.recipient).join(', ');
	const message = first.transient
		? `The server could not take the mail for ${who} just now: ${first.response}. This is usually temporary (mailbox busy or full): run this item again later`
		: `The server refused ${who}: ${first.response}`;
	return mailError('envelope', 'EENVELOPE', message, { responseCode: first.responseCode, command: 'RCPT TO', permanent: !first.transient });
}

function newMessageId(fromAddress: string): string {
	const domain = fromAddress.split('@').pop() || 'payroll-mail.invalid';
	return `<${randomUUID()}@${domain}>`;
}
