import type { IExecuteFunctions, IDataObject } from 'n8n-workflow';

import { AddressError, parseMailboxes, parseSingleMailbox, withoutRepeats } from '../compose/addresses';
import { parsePropertyList } from '../compose/attachments';
import { checkCustomHeaders, type CustomHeader } from '../compose/customHeaders';
import { composeContent, type TextFormat } from '../compose/mailContent';
import type { MailBody, MailRequest, RecipientMode } from '../compose/mailRequest';

/** Reads the node's parameters as evaluated for one item; throws what a clerk must correct. */
export function readMailRequest(context: IExecuteFunctions, itemIndex: number): MailRequest {
	const text = (name: string) => String(context.getNodeParameter(name, itemIndex, '') ?? '');
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const option = (name: string) => String(options[name] ?? '').trim();

	const to = withoutRepeats(parseMailboxes(text('toEmail'), 'To Email'));
	if (to.length === 0) throw new AddressError('To Email', 'To Email is empty for this item');
	const testRecipient = option('testRecipient');
	const attachmentProperties = parsePropertyList(text('attachments'));
	const inlineImageProperties = parsePropertyList(option('inlineImages'), 'Inline Images');
	const subject = text('subject');
	return {
		itemIndex,
		from: parseSingleMailbox(text('fromEmail'), 'From Email'),
		to,
		cc: withoutRepeats(parseMailboxes(option('ccEmail'), 'CC Email')),
		bcc: parseMailboxes(text('bccEmail'), 'Archive Copy (BCC)'),
		replyTo: parseMailboxes(option('replyTo'), 'Reply To'),
		subject,
		content: composeContent(
			subject,
			readBody(context, itemIndex),
			readFormat(options),
			attachmentProperties.length + inlineImageProperties.length,
			checkCustomHeaders(readHeaderPairs(options)),
		),
		attachmentProperties,
		recipientMode: context.getNodeParameter('recipientMode', itemIndex, 'together') as RecipientMode,
		testRecipient: testRecipient ? parseSingleMailbox(testRecipient, 'Test Recipient') : undefined,
		inlineImageProperties,
		readReceipt: options.readReceipt === true,
		autoSubmitted: options.autoSubmitted !== false,
		pdfPassword: String(options.pdfPassword ?? '') || undefined,
		idempotencyKey: option('idempotencyKey') || undefined,
	};
}

function readHeaderPairs(options: IDataObject): CustomHeader[] {
	const pairs = ((options.headers as IDataObject | undefined)?.header ?? []) as IDataObject[];
	return pairs.map((pair) => ({ name: String(pair.name ?? ''), value: String(pair.value ?? '') }));
}

function readBody(context: IExecuteFunctions, itemIndex: number): MailBody {
	const format = context.getNodeParameter('emailFormat', itemIndex, 'text') as string;
	const part = (name: 'text' | 'html') => String(context.getNodeParameter(name, itemIndex, '') ?? '');
	return {
		text: format === 'text' || format === 'both' ? part('text') : undefined,
		html: format === 'html' || format === 'both' ? part('html') : undefined,
		rtf: format === 'rtf' ? String(context.getNodeParameter('rtf', itemIndex, '') ?? '') : undefined,
	};
}

function readFormat(options: IDataObject): TextFormat {
	return {
		charset: (options.charset ?? 'utf8') as TextFormat['charset'],
		transferEncoding: (options.transferEncoding ?? 'auto') as TextFormat['transferEncoding'],
		foldSubject: options.foldSubject !== false,
	};
}
