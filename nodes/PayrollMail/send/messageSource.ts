import type { OutgoingMessage } from '../compose/mailRequest';

/**
 * The messages of a run, in sending order. A source may make them item by item as the dispatcher
 * reaches them: n8n evaluates an item's expressions when it is read, and that work is then done
 * while earlier mails are on the wire instead of all of it before the first mail.
 */
export interface MessageSource {
	/** The message at `index`, undefined past the last one. */
	at(index: number): OutgoingMessage | undefined;
	/** How many messages the item makes; asked only once one of them was reached. */
	messagesOfItem(itemIndex: number): number;
}

/** Messages made before the run. */
export function messageList(messages: OutgoingMessage[]): MessageSource {
	const perItem = new Map<number, number>();
	for (const { request } of messages) perItem.set(request.itemIndex, (perItem.get(request.itemIndex) ?? 0) + 1);
	return {
		at: (index) => messages[index],
		messagesOfItem: (itemIndex) => perItem.get(itemIndex) ?? 1,
	};
}
