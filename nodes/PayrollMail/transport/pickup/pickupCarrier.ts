import MailComposer from 'nodemailer/lib/mail-composer';

import { mailError } from '../../core/mailError';
import { DeliveryFailure, type MailCarrier } from '../mailCarrier';
import { writeToPickupDirectory } from './pickupDirectory';

/**
 * Delivers into a pickup folder instead of over SMTP: one .eml per message, the envelope (the
 * archive copy included) in X-Sender / X-Receiver lines as IIS and Exchange read them.
 */
export function pickupCarrier(directory: string): MailCarrier {
	return {
		async send(mail, signal) {
			const { envelope, ...content } = mail;
			const message = Buffer.isBuffer(content.raw) ? content.raw : new MailComposer(content).compile().createReadStream();
			const file = await writeToPickupDirectory(directory, envelope, message, signal).catch((error: Error) => {
				throw new DeliveryFailure(
					mailError('data', 'EPICKUP', `The mail could not be written to the pickup folder: ${error.message}`, { permanent: false }),
					false,
				);
			});
			return { messageId: mail.messageId, accepted: envelope.to, refusals: [], response: `written to ${file}` };
		},
		// Nothing stays open between two files.
		close: () => undefined,
	};
}
