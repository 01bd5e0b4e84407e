import type Mail from 'nodemailer/lib/mailer';

import { formatMailbox } from '../compose/addresses';
import type { Attachment } from '../compose/attachments';
import type { OutgoingMessage } from '../compose/mailRequest';

/**
 * The message as nodemailer takes it. The envelope is given explicitly: it is the only place
 * the archive copy appears, so no Bcc header can ever reach a recipient.
 */
export function toNodemailerMessage(
	message: OutgoingMessage,
	messageId: string,
	envelopeTo: string[],
	attachments: Attachment[],
): Mail.Options {
	const { request } = message;
	return {
		messageId,
		from: formatMailbox(request.from),
		to: message.to.map(formatMailbox),
		cc: message.cc.length ? message.cc.map(formatMailbox) : undefined,
		replyTo: request.replyTo.length ? request.replyTo.map(formatMailbox) : undefined,
		subject: request.subject,
		text: request.body.text,
		html: request.body.html,
		attachments: attachments.map(({ filename, contentType, content }) => ({ filename, contentType, content })),
		envelope: { from: request.from.address, to: envelopeTo },
	};
}
