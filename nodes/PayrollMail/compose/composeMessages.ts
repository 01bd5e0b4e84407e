import type { MailRequest, OutgoingMessage } from './mailRequest';

/**
 * Turns an item's request into the messages to send: one for all its addresses (`together`),
 * or one per To address that shows only that address (`separate`). A test recipient replaces
 * every recipient, the archive copy included.
 */
export function composeMessages(request: MailRequest): OutgoingMessage[] {
	const recipientGroups =
		request.recipientMode === 'separate' ? request.to.map((mailbox) => [mailbox]) : [request.to];
	return recipientGroups.map((to, part) => {
		if (request.testRecipient) {
			return { request, part, to: [request.testRecipient], cc: [], envelopeTo: [request.testRecipient.address], archiveTo: [] };
		}
		const own = [...to, ...request.cc].map((mailbox) => mailbox.address);
		const archiveTo = request.bcc.map((mailbox) => mailbox.address).filter((address) => !own.includes(address));
		return { request, part, to, cc: request.cc, envelopeTo: [...new Set([...own, ...archiveTo])], archiveTo: [...new Set(archiveTo)] };
	});
}
