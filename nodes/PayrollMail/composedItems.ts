import type { IExecuteFunctions } from 'n8n-workflow';

import { AddressError } from './compose/addresses';
import { composeMessages } from './compose/composeMessages';
import type { MailRequest, OutgoingMessage } from './compose/mailRequest';
import { configurationError, refusalBeforeSending, type MailError } from './core/mailError';
import { PropertyListError } from './input/propertyList';
import { ItemParameters } from './input/itemParameters';
import { checkPropertyLists, readMailRequest } from './input/readMailRequest';
import type { SendMode } from './input/runSettings';
import type { MessageSource } from './send/messageSource';

export type Composed = { request: MailRequest } | { refused: MailError; field?: string };

/**
 * The run's items read into mail requests, each when it is first needed. What would make the
 * whole run wrong (a property list that is not one, a sender refused for every item) is checked
 * by `check()` before anything is sent; the rest of an item is read when its mail's turn comes
 * near, while earlier mails are on the wire, instead of every item before the first mail.
 */
export class ComposedItems implements MessageSource {
	private readonly composed: Composed[] = [];

	private readonly messages: OutgoingMessage[] = [];

	private readonly messagesPerItem = new Map<number, number>();

	/** Items whose messages are in `messages`. */
	private itemsListed = 0;

	private checked = false;

	private readonly parameters: ItemParameters;

	constructor(
		private readonly context: IExecuteFunctions,
		private readonly itemCount: number,
		private readonly sendMode: SendMode,
	) {
		this.parameters = new ItemParameters(context);
	}

	/** Throws the run's configuration errors. */
	check(): void {
		checkPropertyLists(this.parameters, this.itemCount);
		this.refuseUnusableSender();
		this.checked = true;
	}

	/** Every item, each read now if it was not yet. */
	all(): Composed[] {
		return Array.from({ length: this.itemCount }, (_, itemIndex) => this.item(itemIndex));
	}

	at(index: number): OutgoingMessage | undefined {
		while (this.messages.length <= index && this.itemsListed < this.itemCount) {
			const entry = this.item(this.itemsListed++);
			if (!('request' in entry)) continue;
			const messages = composeMessages(entry.request);
			this.messagesPerItem.set(entry.request.itemIndex, messages.length);
			this.messages.push(...messages);
		}
		return this.messages[index];
	}

	messagesOfItem(itemIndex: number): number {
		return this.messagesPerItem.get(itemIndex) ?? 1;
	}

	private item(itemIndex: number): Composed {
		this.composed[itemIndex] ??= this.compose(itemIndex);
		return this.composed[itemIndex];
	}

	private compose(itemIndex: number): Composed {
		try {
			return {
				request: readMailRequest(this.parameters, itemIndex, this.sendMode),
			};
		} catch (error) {
			// Checked for every item before the first mail; met again later (an expression that
			// changed its mind), it is that item's fault alone, since mails have gone out by then.
			if (error instanceof PropertyListError && !this.checked) {
				throw configurationError(this.context.getNode(), error.message, itemIndex);
			}
			const field = error instanceof AddressError ? error.field : undefined;
			return { refused: refusalBeforeSending('validation', error), field };
		}
	}

	/** A sender that is wrong for every item is the node's configuration, not the employees' data. */
	private refuseUnusableSender(): void {
		const senderRefused = (entry: Composed): entry is { refused: MailError; field: string } => 'refused' in entry && entry.field === 'From Email';
		// One item with a usable sender settles it: the others are read in their turn.
		for (let itemIndex = 0; itemIndex < this.itemCount; itemIndex++) {
			if (!senderRefused(this.item(itemIndex))) return;
		}
		const first = this.item(0) as { refused: MailError };
		throw configurationError(this.context.getNode(), first.refused.message, 0);
	}
}
