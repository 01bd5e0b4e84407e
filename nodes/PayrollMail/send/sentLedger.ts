import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import type { Attachment } from '../compose/attachments';
import type { OutgoingMessage } from '../compose/mailRequest';

/** Keys kept at most; the oldest go first. A year of monthly runs for 800 employees fits. */
export const LEDGER_LIMIT = 10_000;
const LEDGER_FIELD = 'payrollMailSent';

/**
 * Remembers which mails the server accepted, in the workflow's static data, so that running the
 * same month again (a retried webhook, a second click on "Execute") sends nothing twice.
 */
export class SentLedger {
	private readonly sent: Record<string, string>;

	constructor(staticData: IDataObject) {
		staticData[LEDGER_FIELD] ??= {};
		this.sent = staticData[LEDGER_FIELD] as Record<string, string>;
	}

	/** When the mail with this key was accepted, if it was. */
	sentAt(key: string): string | undefined {
		return this.sent[key];
	}

	/** Notes an accepted mail at once: the record does not wait for the end of the run. */
	record(key: string, sentAt: string): void {
		delete this.sent[key];
		this.sent[key] = sentAt;
		const keys = Object.keys(this.sent);
		for (const old of keys.slice(0, Math.max(0, keys.length - LEDGER_LIMIT))) delete this.sent[old];
	}
}

/**
 * The key of a message: the clerk's own key when given, else what makes it the same mail —
 * its recipients, its subject and its attachments' contents.
 */
export function messageKey(message: OutgoingMessage, attachments: Attachment[]): string {
	const { request, part } = message;
	if (request.idempotencyKey) {
		return message.part === 0 ? request.idempotencyKey : `${request.idempotencyKey}#${part + 1}`;
	}
	const identity = [message.envelopeTo, request.subject, attachments.map((attachment) => attachment.digest)];
	return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}
