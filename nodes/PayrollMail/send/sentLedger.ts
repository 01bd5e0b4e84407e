import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import { mailError, type MailError } from '../core/mailError';

import type { Attachment } from '../compose/attachments';
import type { OutgoingMessage } from '../compose/mailRequest';

/** Mails kept at most; the oldest go first. A year of monthly runs for 800 employees fits. */
export const LEDGER_LIMIT = 10_000;
const LEDGER_FIELD = 'payrollMailLedger';
/** Where versions up to 0.1.0 kept key → time, without the recipients. */
const LEGACY_FIELD = 'payrollMailSent';

/**
 * What makes two mails the same mail: the clerk's Idempotency Key (or, without one, the subject
 * and the attachments' contents) together with the recipients who see it (To and Cc; the
 * archive copy is the office's own). A key shared by every employee of a month therefore still
 * makes one mail per employee.
 */
export interface MailIdentity {
	key: string;
	/** To and Cc, as sent, sorted: who must have the mail for it to count as sent. */
	recipients: string[];
	/** How versions up to 0.1.0 keyed the same mail. */
	legacyKey: string;
	/** What the clerk reads in a message: their key, or "the same subject and attachments". */
	description: string;
}

/** A mail an earlier execution handed to the server. */
export interface SentRecord {
	sentAt: string;
	messageId: string;
	/** The identity's recipients the server accepted it for. */
	accepted: string[];
}

export type EarlierSend = { record: SentRecord } | { legacySentAt: string };

export function mailIdentity(message: OutgoingMessage, attachments: Attachment[]): MailIdentity {
	const { request, part } = message;
	const recipients = [...new Set([...message.to, ...message.cc].map((mailbox) => mailbox.address))].sort();
	const content = request.idempotencyKey ?? [request.subject, attachments.map((attachment) => attachment.digest)];
	const legacyKey = request.idempotencyKey
		? part === 0
			? request.idempotencyKey
			: `${request.idempotencyKey}#${part + 1}`
		: sha256([message.envelopeTo, request.subject, attachments.map((attachment) => attachment.digest)]);
	return {
		key: sha256([request.idempotencyKey === undefined ? 'content' : 'key', content, recipients]),
		recipients,
		legacyKey,
		description: request.idempotencyKey === undefined ? 'the same subject and attachments' : `Idempotency Key "${request.idempotencyKey}"`,
	};
}

/**
 * Remembers which mails the server accepted, in the workflow's static data, so that running the
 * same month again (a retried webhook, a second click on "Execute") sends nothing twice.
 */
export class SentLedger {
	private readonly sent: Record<string, SentRecord>;

	private readonly legacy: Record<string, string>;

	constructor(staticData: IDataObject) {
		staticData[LEDGER_FIELD] ??= {};
		this.sent = staticData[LEDGER_FIELD] as Record<string, SentRecord>;
		this.legacy = (staticData[LEGACY_FIELD] ?? {}) as Record<string, string>;
	}

	/** What an earlier execution did with this mail, if anything. */
	earlierSend(identity: MailIdentity): EarlierSend | undefined {
		const record = this.sent[identity.key];
		if (record) return { record };
		const legacySentAt = this.legacy[identity.legacyKey];
		return legacySentAt ? { legacySentAt } : undefined;
	}

	/** Notes an accepted mail at once: the record does not wait for the end of the run. */
	record(identity: MailIdentity, record: SentRecord): void {
		delete this.sent[identity.key];
		this.sent[identity.key] = record;
		const keys = Object.keys(this.sent);
		for (const old of keys.slice(0, Math.max(0, keys.length - LEDGER_LIMIT))) delete this.sent[old];
	}
}

/**
 * What to do with a mail the ledger knows: skip it when every recipient has it, otherwise refuse to
 * send it again (someone would get it twice) and say so, so that nobody is counted as served who
 * was not.
 */
export function verdictOnEarlierSend(identity: MailIdentity, earlier: EarlierSend): { skip: SentRecord } | { refuse: MailError } {
	if ('legacySentAt' in earlier) {
		return {
			refuse: notSentAgain(
				`an earlier version of this node noted the mail with ${identity.description} as sent on ${earlier.legacySentAt}, ` +
					'without noting to whom. Check the archive copy; to send it anyway, run it with Skip Already Sent off',
			),
		};
	}
	const { record } = earlier;
	const missing = identity.recipients.filter((recipient) => !record.accepted.includes(recipient));
	if (missing.length === 0) return { skip: record };
	return {
		refuse: notSentAgain(
			`an earlier execution sent this mail on ${record.sentAt} (${record.messageId}) to ${record.accepted.join(', ')}, ` +
				`but not to ${missing.join(', ')}. Sending it again would give the others a second copy: ` +
				'send it to the missing address in a run of its own',
		),
	};
}

/** The refusal of a mail an earlier item of the same run sends. */
export function duplicateOf(identity: MailIdentity, itemIndex: number): MailError {
	return mailError(
		'validation',
		'EDUPLICATE',
		`Not sent: item ${itemIndex} makes the same mail (${identity.description}, to ${identity.recipients.join(', ')}) ` +
			'and sends it; a mail goes out once. Give each mail its own Idempotency Key, e.g. ' +
			'{{ $json.employeeId }}-{{ $json.period }}',
	);
}

function notSentAgain(why: string): MailError {
	return mailError('validation', 'EALREADYSENT', `Not sent again: ${why}`);
}

function sha256(value: unknown): string {
	return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
