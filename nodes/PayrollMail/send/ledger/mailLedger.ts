import type { MailIdentity } from './mailIdentity';

/**
 * The durable record of Skip Already Sent, written as the run goes: a mail is *claimed* before the
 * first byte of it goes to the server, *accepted* once the server took it, and *released* when it
 * never left or was refused for good (it may then be sent again). A store that cannot hold a
 * detail (a time, an execution) leaves it out; the verdicts hold whatever the store.
 */
export interface MailLedger {
	/** Claims the mail, in one atomic step with finding out what became of it earlier. */
	claim(identity: MailIdentity, request: ClaimRequest): Promise<Claim>;
	/** The server accepted the mail for `accepted` (the identity's recipients that took it). */
	accepted(identity: MailIdentity, record: SentRecord): Promise<void>;
	/** The mail did not go out, or every recipient refused it for good: it may be sent again. */
	release(identity: MailIdentity): Promise<void>;
}

export interface ClaimRequest {
	/** The execution claiming, as n8n numbers it. */
	execution: string;
	/** The clerk checked an unconfirmed mail (the archive copy) and wants it sent again. */
	resendUnconfirmed: boolean;
	/** What a journal notes of the mail, for the clerk to look up. */
	mail: { subject: string; messageId: string; mailId?: string; idempotencyKey?: string };
}

/** A mail handed to the server; times and IDs as far as the store keeps them. */
export interface SentRecord {
	sentAt?: string;
	messageId?: string;
	/** The identity's recipients the server accepted it for. */
	accepted: string[];
	/** The server's reply that accepted it. */
	response?: string;
	/** The execution that sent it. */
	execution?: string;
}

/** What a claim found. */
export type Claim =
	| { kind: 'granted' }
	/** Accepted earlier for every recipient: nothing goes out. */
	| { kind: 'accepted'; record: SentRecord }
	/** Accepted earlier for some recipients only; `record.accepted` names them where the store knows. */
	| { kind: 'partial'; record: SentRecord }
	/** Claimed earlier and never confirmed: it may or may not have been delivered. */
	| { kind: 'unconfirmed'; claimedAt?: string; execution?: string }
	/** Noted as sent by version 0.1.0, which did not note to whom. */
	| { kind: 'legacy'; sentAt: string };
