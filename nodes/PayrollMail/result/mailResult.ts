import type { IDataObject } from 'n8n-workflow';

import type { Mailbox } from '../compose/addresses';
import type { MailRequest } from '../compose/mailRequest';
import type { MessageOutcome } from '../send/delivery';
import type { MailError } from '../core/mailError';

export type MailStatus = 'sent' | 'partial' | 'failed' | 'skipped' | 'dryRun';

/** The SPEC's `mail` object, added to each output item. */
export interface MailResult extends IDataObject {
	status: MailStatus;
	to: string[];
	cc: string[];
	bcc: string[];
	subject: string;
	messageId: string | null;
	/** The ID the mail carried for delivery reports (DSN ENVID, header X-Payroll-Mail-ID); Payroll Mail Bounces names it. */
	mailId?: string;
	accepted: string[];
	rejected: string[];
	response: string | null;
	batch: number | null;
	attempts: number;
	sentAt: string | null;
	/** Set with the Test Recipient option: where the mail went instead of `to`, `cc` and `bcc`. */
	testRecipient?: string;
	/** Dry run only: every address the mail would have been delivered to, archive copy included. */
	wouldSendTo?: string[];
	error?: IDataObject;
	/** Include EML only: the mail went out, but n8n could not store its copy (e.g. a full disk). */
	emlError?: string;
	/** Skip Already Sent only: the mail went out, but its record could not be written. */
	ledgerError?: string;
	/** Skipped: what is known of the earlier mail. */
	note?: string;
	/** One entry per message, when the item made several (one mail per address). */
	messages?: IDataObject[];
}

/** What became of one input item: refused before sending, or its messages' outcomes. */
/** A message a dry run built but did not send. */
export interface RehearsedMessage {
	envelopeTo: string[];
	batch: number;
}

export type ItemOutcome =
	| { refused: MailError; request?: MailRequest }
	| { request: MailRequest; messages: MessageOutcome[] }
	| { request: MailRequest; rehearsed: RehearsedMessage[] };

const addresses = (mailboxes: Mailbox[] | undefined) => (mailboxes ?? []).map((mailbox) => mailbox.address);

export function buildMailResult(outcome: ItemOutcome): MailResult {
	const request = outcome.request;
	const base = {
		to: addresses(request?.to),
		cc: addresses(request?.cc),
		bcc: addresses(request?.bcc),
		subject: request?.subject ?? '',
		...(request?.testRecipient ? { testRecipient: request.testRecipient.address } : {}),
	};
	const nothingSent = {
		messageId: null,
		accepted: [],
		rejected: [],
		response: null,
		batch: null,
		attempts: 0,
		sentAt: null,
	};
	if ('refused' in outcome) {
		return { ...base, ...nothingSent, status: 'failed', error: { ...outcome.refused } };
	}
	if ('rehearsed' in outcome) {
		return {
			...base,
			...nothingSent,
			status: 'dryRun',
			batch: outcome.rehearsed[0].batch,
			wouldSendTo: [...new Set(outcome.rehearsed.flatMap((message) => message.envelopeTo))],
		};
	}

	const { messages } = outcome;
	const first = messages[0];
	const accepted = messages.flatMap((message) => message.accepted);
	const rejected = messages.flatMap((message) => message.rejected.map((refusal) => refusal.recipient));
	const failed = messages.find((message) => message.error);
	const ledgerError = messages.find((message) => message.ledgerError)?.ledgerError;
	return {
		...base,
		status: itemStatus(messages),
		messageId: carriedMessageId(first),
		...(first.mailId ? { mailId: first.mailId } : {}),
		accepted,
		rejected,
		response: messages.map((message) => message.response).filter(Boolean).pop() ?? null,
		batch: first.batch ?? null,
		attempts: Math.max(...messages.map((message) => message.attempts)),
		sentAt: messages.find((message) => message.sentAt)?.sentAt ?? null,
		...(failed?.error ? { error: { ...failed.error } } : {}),
		...(ledgerError ? { ledgerError } : {}),
		...(first.note && messages.every((message) => message.state === 'skipped') ? { note: first.note } : {}),
		...(messages.length > 1 ? { messages: messages.map(messageSummary) } : {}),
	};
}

/** The Message-ID the mail went out with: in this run, or in the earlier one a skipped mail was sent in. */
function carriedMessageId(message: MessageOutcome): string | null {
	return (message.attempts || message.state === 'skipped') && message.messageId ? message.messageId : null;
}

function itemStatus(messages: MessageOutcome[]): MailStatus {
	if (messages.every((message) => message.state === 'skipped')) return 'skipped';
	if (messages.every((message) => message.state === 'sent' || message.state === 'skipped')) return 'sent';
	// A mail that reached its own recipients, now or in an earlier run, makes the item partly served.
	if (messages.some((message) => message.state !== 'failed')) return 'partial';
	return 'failed';
}

function messageSummary(message: MessageOutcome): IDataObject {
	return {
		to: message.message.to.map((mailbox) => mailbox.address),
		status: message.state,
		messageId: carriedMessageId(message),
		...(message.mailId ? { mailId: message.mailId } : {}),
		accepted: message.accepted,
		rejected: message.rejected.map((refusal) => refusal.recipient),
		response: message.response ?? null,
		batch: message.batch ?? null,
		attempts: message.attempts,
		sentAt: message.sentAt ?? null,
		...(message.error ? { error: { ...message.error } } : {}),
	};
}
