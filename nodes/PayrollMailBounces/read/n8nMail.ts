import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { readRawMail } from './mimeMessage';
import { mediaType, readHeaderFields, type HeaderField, type MailPart, type ReceivedMail } from './receivedMail';

/** Larger attachments are not read: a report's parts are a few kilobytes, a returned payslip is not needed. */
const MAX_PART_BYTES = 1_000_000;

/** Attachments that can hold a report's fields or the returned header. */
const READABLE = /^(?:text\/|message\/)/;

/**
 * The received mail an item holds: the raw message (RFC 822, .eml) in the binary field, else the
 * form n8n's Email Trigger (IMAP) resolves a mail into: `headers`, `text`, `html` (or `textPlain`,
 * `textHtml` and `metadata` of its Simple format) and the attachments as binary fields. Its RAW
 * format holds the body without the header, which says what kind of mail it is: not read.
 */
export async function readItemMail(context: IExecuteFunctions, item: INodeExecutionData, itemIndex: number, binaryField: string): Promise<ReceivedMail> {
	if (item.binary?.[binaryField]) return readRawMail(await context.helpers.getBinaryDataBuffer(itemIndex, binaryField));
	const { json } = item;
	const parts: MailPart[] = [];
	for (const [contentType, key] of [
		['text/plain', 'text'],
		['text/plain', 'textPlain'],
		['text/html', 'html'],
		['text/html', 'textHtml'],
	]) {
		if (typeof json[key] === 'string') parts.push({ contentType, text: json[key] as string });
	}
	for (const [field, binary] of Object.entries(item.binary ?? {})) {
		const contentType = mediaType(binary.mimeType ?? '');
		if (!READABLE.test(contentType) || tooLarge(binary)) continue;
		parts.push({ contentType, text: (await context.helpers.getBinaryDataBuffer(itemIndex, field)).toString('utf8') });
	}
	return { headers: headerFields(json), parts };
}

function tooLarge(binary: IBinaryData): boolean {
	const bytes = binary.fileSize ? Number.parseFloat(binary.fileSize) * (/mb/i.test(binary.fileSize) ? 1e6 : /kb/i.test(binary.fileSize) ? 1e3 : 1) : 0;
	return bytes > MAX_PART_BYTES;
}

/**
 * The header as the Email Trigger gives it: `headers` holds each field's whole line by name
 * (resolved format), `metadata` the values (simple format); `subject` and `from` are read too.
 */
function headerFields(json: IDataObject): HeaderField[] {
	const source = (json.headers ?? json.metadata ?? {}) as IDataObject;
	const fields: HeaderField[] = [];
	for (const [name, value] of Object.entries(source)) {
		if (typeof value !== 'string') continue;
		const line = value.toLowerCase().startsWith(`${name.toLowerCase()}:`) ? value : `${name}: ${value}`;
		fields.push(...readHeaderFields(line.replace(/\r?\n(?=[ \t])/g, ' ')).headers);
	}
	for (const name of ['subject', 'from']) {
		const value = json[name];
		const text = typeof value === 'string' ? value : typeof (value as IDataObject | undefined)?.text === 'string' ? String((value as IDataObject).text) : '';
		if (text && !fields.some((field) => field.name === name)) fields.push({ name, value: text });
	}
	return fields;
}
