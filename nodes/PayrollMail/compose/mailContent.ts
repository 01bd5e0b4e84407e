import { ContentError } from './contentError';
import type { CustomHeader } from './customHeaders';
import { bodyPart, needs8BitMime, type BodyPart, type TransferEncoding } from './mimeText/bodyPart';
import type { Charset } from './mimeText/charset';
import { subjectHeader, unstructuredHeader } from './mimeText/headerText';

/** The body parts of a mail, as the chosen email format asks for them. */
export interface MailBody {
	text?: string;
	html?: string;
	rtf?: string;
}

/** Header values already written (folded, encoded): nodemailer takes them `prepared`, as they are. */
export type PreparedHeaders = Record<string, { prepared: true; value: string }>;

/** How subject and body are written: the clerk's code page, transfer encoding and folding. */
export interface TextFormat {
	charset: Charset;
	transferEncoding: TransferEncoding;
	foldSubject: boolean;
}

/** Subject, the clerk's headers and body ready for nodemailer, encoded once per item, whatever the number of mails. */
export interface MailContent {
	headers: PreparedHeaders;
	/** UTF-8 text and HTML as they are, or parts made here in the clerk's code page. */
	body: { text?: string; html?: string; alternatives?: BodyPart[] };
	/** 8-bit body: only a server that offers 8BITMIME may take it. */
	needs8BitMime: boolean;
}

/**
 * Encodes an item's subject and body. UTF-8 with automatic transfer encoding is nodemailer's own
 * way; every other choice makes the parts here, in the code page, because nodemailer would label
 * them UTF-8. Throws when a character does not fit the code page, naming it.
 */
export function composeContent(
	subject: string,
	body: MailBody,
	format: TextFormat,
	attachmentCount: number,
	customHeaders: CustomHeader[] = [],
): MailContent {
	const { charset, transferEncoding, foldSubject } = format;
	const headers: PreparedHeaders = { Subject: { prepared: true, value: subjectHeader(subject, charset, foldSubject) } };
	// Folded like the subject: a long value on one line would pass the 998 octets a line may have.
	for (const { name, value } of customHeaders) {
		headers[name] = { prepared: true, value: unstructuredHeader(name, value, charset, true, `Header "${name}"`) };
	}
	const needs8Bit = needs8BitMime(transferEncoding);
	const parts = [
		body.text === undefined ? undefined : { text: body.text, kind: 'plain' as const, field: 'Text' },
		body.html === undefined ? undefined : { text: body.html, kind: 'html' as const, field: 'HTML' },
		body.rtf === undefined ? undefined : { text: body.rtf, kind: 'rtf' as const, field: 'RTF' },
	].filter((part) => part !== undefined);
	if (needs8Bit && parts.length + attachmentCount < 2) {
		// nodemailer writes a lone 8-bit part as the whole message, headers lost.
		throw new ContentError('Transfer encoding 8bit needs an attachment or both Text and HTML; choose Automatic for this mail');
	}
	if (charset === 'utf8' && transferEncoding === 'auto' && body.rtf === undefined) {
		return { headers, body: { text: body.text, html: body.html }, needs8BitMime: false };
	}
	const alternatives = parts.map((part) => bodyPart(part.text, part.kind, charset, transferEncoding, part.field));
	return { headers, body: { alternatives }, needs8BitMime: needs8Bit };
}
