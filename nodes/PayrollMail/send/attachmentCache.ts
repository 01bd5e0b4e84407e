import type { Attachment } from '../compose/attachments';
import type { MailRequest, OutgoingMessage } from '../compose/mailRequest';

/**
 * Each item's attachments, read once however many messages the item makes, and let go of once its
 * last message is done: a run never holds more than the items being sent and the next one.
 */
export class AttachmentCache {
	private readonly loading = new Map<number, Promise<Attachment[]>>();

	private readonly messagesLeft = new Map<number, number>();

	constructor(
		messages: OutgoingMessage[],
		private readonly load: (request: MailRequest) => Promise<Attachment[]>,
	) {
		for (const { request } of messages) {
			this.messagesLeft.set(request.itemIndex, (this.messagesLeft.get(request.itemIndex) ?? 0) + 1);
		}
	}

	of(request: MailRequest): Promise<Attachment[]> {
		let loading = this.loading.get(request.itemIndex);
		if (!loading) {
			loading = this.load(request);
			this.loading.set(request.itemIndex, loading);
		}
		return loading;
	}

	/**
	 * Starts reading a message's attachments ahead of its turn, while the one before it is on the
	 * wire: the server's replies leave the client idle, and reading a PDF then costs no sending time.
	 */
	prefetch(message: OutgoingMessage): void {
		// Its failure is reported when its own message awaits it.
		this.of(message.request).catch(() => undefined);
	}

	/** Lets go of an item's attachments once its last message is done. */
	finishedWith(message: OutgoingMessage): void {
		const { itemIndex } = message.request;
		const left = (this.messagesLeft.get(itemIndex) ?? 1) - 1;
		this.messagesLeft.set(itemIndex, left);
		if (left === 0) this.loading.delete(itemIndex);
	}
}
