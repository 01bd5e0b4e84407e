import { createHash } from 'node:crypto';

import type { Attachment } from '../../compose/attachments';
import type { OutgoingMessage } from '../../compose/mailRequest';

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

export function mailIdentity(message: OutgoingMessage, attachments: Attachment[]): MailIdentity {
	const { request, part } = message;
	const recipients = [...new Set([...message.to, ...message.cc].map((mailbox) => mailbox.address))].sort();
	const digests = attachments.map((attachment) => attachment.digest);
	const content = request.idempotencyKey ?? [request.subject, digests];
	const legacyKey = request.idempotencyKey
		? part === 0
			? request.idempotencyKey
			: `${request.idempotencyKey}#${part + 1}`
		: sha256([message.envelopeTo, request.subject, digests]);
	return {
		key: sha256([request.idempotencyKey === undefined ? 'content' : 'key', content, recipients]),
		recipients,
		legacyKey,
		description: request.idempotencyKey === undefined ? 'the same subject and attachments' : `Idempotency Key "${request.idempotencyKey}"`,
	};
}

function sha256(value: unknown): string {
	return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
