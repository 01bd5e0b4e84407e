import type { IDataObject } from 'n8n-workflow';

import { AddressError, parseMailboxes, parseSingleMailbox, withoutRepeats } from '../compose/addresses';
import { checkCustomHeaders, type CustomHeader } from '../compose/customHeaders';
import { composeContent, type MailBody, type TextFormat } from '../compose/mailContent';
import type { MailRequest, RecipientMode } from '../compose/mailRequest';
import type { ItemParameters } from './itemParameters';
import type { PerItemParameter } from './parameters';
import type { SendMode } from './runSettings';
import { parsePropertyList } from './propertyList';

/** Reads the node's per-item parameters as evaluated for one item; throws what a clerk must correct. */
export function readMailRequest(parameters: ItemParameters, itemIndex: number, sendMode: SendMode): MailRequest {
	const value = (path: PerItemParameter) => parameters.value(path, itemIndex);
	const text = (path: PerItemParameter) => String(value(path) ?? '');
	const trimmed = (path: PerItemParameter) => text(path).trim();

	const to = withoutRepeats(parseMailboxes(text('toEmail'), 'To Email'));
	if (to.length === 0) throw new AddressError('To Email', 'To Email is empty for this item');
	// Version 1 nodes have Test Recipient under Options.
	const testRecipient = sendMode === 'testRecipient' ? trimmed('testRecipient') : trimmed('options.testRecipient');
	if (sendMode === 'testRecipient' && !testRecipient) {
		throw new AddressError('Test Address', 'Test Address is empty: enter your own address, or choose Send Mode → Send');
	}
	const attachmentProperties = parsePropertyList(text('attachments'));
	const inlineImageProperties = parsePropertyList(trimmed('options.inlineImages'), 'Inline Images');
	const subject = text('subject');
	const format = text('emailFormat');
	const body: MailBody = {
		text: format === 'text' || format === 'both' ? text('text') : undefined,
		html: format === 'html' || format === 'both' ? text('html') : undefined,
		rtf: format === 'rtf' ? text('rtf') : undefined,
	};
	const textFormat: TextFormat = {
		charset: value('options.charset') as TextFormat['charset'],
		transferEncoding: value('options.transferEncoding') as TextFormat['transferEncoding'],
		foldSubject: value('options.foldSubject') !== false,
	};
	return {
		itemIndex,
		from: parseSingleMailbox(text('fromEmail'), 'From Email'),
		to,
		cc: withoutRepeats(parseMailboxes(trimmed('options.ccEmail'), 'CC Email')),
		bcc: parseMailboxes(text('bccEmail'), 'Archive Copy (BCC)'),
		replyTo: parseMailboxes(trimmed('options.replyTo'), 'Reply To'),
		subject,
		content: composeContent(
			subject,
			body,
			textFormat,
			attachmentProperties.length + inlineImageProperties.length,
			checkCustomHeaders(headerPairs(value('options.headers'))),
		),
		attachmentProperties,
		recipientMode: value('recipientMode') as RecipientMode,
		testRecipient: testRecipient ? parseSingleMailbox(testRecipient, sendMode === 'testRecipient' ? 'Test Address' : 'Test Recipient') : undefined,
		inlineImageProperties,
		readReceipt: value('options.readReceipt') === true,
		autoSubmitted: value('options.autoSubmitted') !== false,
		deliveryReports: value('options.deliveryReports') !== false,
		pdfPassword: text('options.pdfPassword') || undefined,
		idempotencyKey: trimmed('options.idempotencyKey') || undefined,
		resendUnconfirmed: value('options.resendUnconfirmed') === true,
	};
}

/**
 * Throws PropertyListError for the first item whose attachment or inline-image list is not a list
 * of property names: a configuration error, to be reported before anything is sent, while the rest
 * of each item is read only as its mail's turn comes. A list written without an expression is the
 * same for every item and is read once.
 */
export function checkPropertyLists(parameters: ItemParameters, itemCount: number): void {
	const lists: Array<[PerItemParameter, string | undefined]> = [
		['attachments', undefined],
		['options.inlineImages', 'Inline Images'],
	];
	for (const [path, field] of lists) {
		// A list the same for every item (written without an expression, say) is checked once.
		const checked = new Set<string>();
		for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
			const list = String(parameters.value(path, itemIndex) ?? '').trim();
			if (checked.has(list)) continue;
			parsePropertyList(list, field);
			checked.add(list);
		}
	}
}

function headerPairs(headers: unknown): CustomHeader[] {
	const pairs = ((headers as IDataObject | undefined)?.header ?? []) as IDataObject[];
	return pairs.map((pair) => ({ name: String(pair.name ?? ''), value: String(pair.value ?? '') }));
}
