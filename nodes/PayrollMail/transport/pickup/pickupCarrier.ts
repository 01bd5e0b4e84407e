import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

import { SmtpFailure } from '../smtp/smtpFailure';
import type { MailCarrier } from '../../send/dispatcher';
import { writeToPickupDirectory } from './pickupDirectory';

/**
 * Delivers into a pickup folder instead of over SMTP: one .eml per message, the envelope (the
 * archive copy included) in X-Sender / X-Receiver lines as IIS and Exchange read them.
 */
export function pickupCarrier(directory: string): MailCarrier & { close(): void } {
	return {
		async send(mail: Mail.Options, signal?: AbortSignal) {
			const envelope = mail.envelope as { from: string; to: string[] };
			const message = Buffer.isBuffer(mail.raw) ? mail.raw : new MailComposer(mail).compile().createReadStream();
			const file = await writeToPickupDirectory(directory, envelope, message, signal).catch((error: Error) => {
				throw new SmtpFailure(
					{
						message: `The mail could not be written to the pickup folder: ${error.message}`,
						code: 'EPICKUP',
						permanent: false,
						stage: 'data',
					},
					false,
				);
			});
			return { messageId: String(mail.messageId), accepted: envelope.to, refusals: [], response: `written to ${file}` };
		},
		// Nothing stays open between two files.
		close: () => undefined,
	};
}
