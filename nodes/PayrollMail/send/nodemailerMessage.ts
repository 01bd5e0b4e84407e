import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import type { MimeNodeHeaderMap } from 'nodemailer/lib/mime-node';

import { formatMailbox } from '../compose/addresses';
import type { Attachment } from '../compose/attachments';
import type { OutgoingMessage } from '../compose/mailRequest';

/**
 * The message as nodemailer takes it. The envelope is given explicitly: it is the only place
 * the archive copy appears, so no Bcc header can ever reach a recipient.
 */
export function toNodemailerMessage(message: OutgoingMessage, messageId: string, attachments: Attachment[]): Mail.Options {
	const { request } = message;
	const headers: MimeNodeHeaderMap = { ...request.content.headers };
	if (request.autoSubmitted) headers['Auto-Submitted'] = 'auto-generated';
	if (request.readReceipt) headers['Disposition-Notification-To'] = formatMailbox(request.replyTo[0] ?? request.from);
	for (const { name, value } of request.headers) headers[name] = value;
	return {
		messageId,
		from: formatMailbox(request.from),
		to: message.to.map(formatMailbox),
		cc: message.cc.length ? message.cc.map(formatMailbox) : undefined,
		replyTo: request.replyTo.length ? request.replyTo.map(formatMailbox) : undefined,
		...request.content.body,
		attachments: attachments.map(({ filename, contentType, content, cid, contentDisposition }) => ({
			filename,
			contentType,
			content,
			cid,
			contentDisposition,
		})),
		headers,
		envelope: { from: request.from.address, to: message.envelopeTo, use8BitMime: request.content.needs8BitMime || undefined },
	};
}

/** The message's bytes exactly as they go out, for the Include EML option and the pickup folder. */
export async function composeRaw(mail: Mail.Options): Promise<Buffer> {
	return new MailComposer(mail).compile().build();
}
