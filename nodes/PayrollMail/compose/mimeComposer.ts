import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import type { MimeNodeHeaderMap } from 'nodemailer/lib/mime-node';

import { MAIL_ID_HEADER } from '../core/mailId';
import type { Attachment } from './attachments';
import type { OutgoingMessage } from './mailRequest';

/**
 * The one module that speaks nodemailer's message language: the message as nodemailer takes it,
 * without its envelope (the dispatcher decides who it goes to), and its bytes.
 */
export function toNodemailerMessage(message: OutgoingMessage, ids: { messageId: string; mailId?: string }, attachments: Attachment[]): Mail.Options {
	const { request } = message;
	const { messageId, mailId } = ids;
	const headers: MimeNodeHeaderMap = {};
	// Returned with the headers of a bounce, also by servers that send no standard report.
	if (mailId) headers[MAIL_ID_HEADER] = mailId;
	if (request.autoSubmitted) headers['Auto-Submitted'] = 'auto-generated';
	// An address header nodemailer does not know as one: the bare address is always well-formed.
	if (request.readReceipt) headers['Disposition-Notification-To'] = `<${(request.replyTo[0] ?? request.from).address}>`;
	// Subject and the clerk's own headers, which may replace the two above.
	Object.assign(headers, request.content.headers);
	return {
		messageId,
		// Mailbox objects, never "Name <address>" strings: nodemailer writes the name quoted or
		// encoded as it needs, and nothing is parsed a second time. Copies, as nodemailer
		// rewrites the objects it is given.
		from: { ...request.from },
		to: message.to.map((mailbox) => ({ ...mailbox })),
		cc: message.cc.length ? message.cc.map((mailbox) => ({ ...mailbox })) : undefined,
		replyTo: request.replyTo.length ? request.replyTo.map((mailbox) => ({ ...mailbox })) : undefined,
		...request.content.body,
		attachments: attachments.map(({ filename, contentType, content, cid, contentDisposition }) => ({
			filename,
			contentType,
			content,
			cid,
			contentDisposition,
		})),
		headers,
	};
}

/** The message's bytes exactly as they go out, for the Include EML option and the pickup folder. */
export async function composeRaw(mail: Mail.Options): Promise<Buffer> {
	return new MailComposer(mail).compile().build();
}
