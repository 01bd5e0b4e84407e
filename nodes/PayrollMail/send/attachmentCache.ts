import type { Attachment } from '../compose/attachments';
import type { MailRequest, OutgoingMessage } from '../compose/mailRequest';
import type { MessageSource } from './messageSource';

/**
 * Each item's attachments, read once however many messages the item makes, and let go of once its
 * last message is done: a run holds no more than the items being sent and the few read ahead.
 */
export class AttachmentCache {
	private readonly loading = new Map<number, Promise<Attachment[]>>();

	private readonly messagesLeft = new Map<number, number>();

	constructor(
		private readonly messages: MessageSource,
		private readonly load: (request: MailRequest) => Promise<Attachment[]>,
	) {}

	of(request: MailRequest): Promise<Attachment[]> {
		let loading = this.loading.get(request.itemIndex);
		if (!loading) {
			loading = this.load(request);
			this.loading.set(request.itemIndex, loading);
		}
		return loading;
	}

	/**
	 * Starts reading a message's attachments ahead of its turn, while the ones before it are on the
	 * wire: the server's replies leave the client idle, and reading a PDF then costs no sending time.
	 */
	prefetch(message: OutgoingMessage): void {
		// Its failure is reported when its own message awaits it.
		this.of(message.request).catch(() => undefined);
	}

	/** Lets go of an item's attachments once its last message is done. */
	finishedWith(message: OutgoingMessage): void {
		const { itemIndex } = message.request;
		const left = (this.messagesLeft.get(itemIndex) ?? this.messages.messagesOfItem(itemIndex)) - 1;
		this.messagesLeft.set(itemIndex, left);
		if (left > 0) return;
		this.loading.delete(itemIndex);
		this.messagesLeft.delete(itemIndex);
	}
}
