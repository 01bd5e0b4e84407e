import { MAIL_ID_HEADER } from '../../PayrollMail/core/mailId';
import { headerValue, readHeaderFields, type MailPart } from '../read/receivedMail';
import type { BouncedMailReference } from './bounce';

/** Parts that hold the returned message or its header: the standard ones, and the forms Exchange uses. */
const RETURNED = ['text/rfc822-headers', 'message/rfc822', 'message/rfc822-headers', 'message/global', 'message/global-headers'];

/**
 * Which mail came back, read from the returned header: Payroll Mail's ID header, the Message-ID and
 * the Subject. Servers that send no standard report quote the header in their text instead, so
 * the text parts are searched for the two IDs too.
 */
export function returnedMail(parts: MailPart[]): BouncedMailReference & { to: string } {
	const returned = parts.filter((part) => RETURNED.includes(part.contentType)).map((part) => readHeaderFields(part.text).headers);
	const field = (name: string) => returned.map((headers) => headerValue(headers, name)).find(Boolean) ?? '';
	const texts = parts.filter((part) => part.contentType.startsWith('text/')).map((part) => htmlAsText(part));
	const quoted = (name: string) => texts.map((text) => quotedField(text, name)).find(Boolean) ?? '';
	return {
		mailId: (field(MAIL_ID_HEADER) || quoted(MAIL_ID_HEADER)).split(/\s/)[0],
		messageId: angleId(field('message-id') || quoted('Message-ID')),
		subject: field('subject') || quoted('Subject'),
		to: field('to') || quoted('To'),
	};
}

/** A header line quoted in a text (`X-Payroll-Mail-ID: pm.…`), at the start of a line. */
function quotedField(text: string, name: string): string {
	return new RegExp(`^[ \\t>]*${name}:[ \\t]*([^\\r\\n]+)`, 'im').exec(text)?.[1].trim() ?? '';
}

function angleId(value: string): string {
	const match = /<[^<>\s]+>/.exec(value);
	return match ? match[0] : value.trim() ? `<${value.trim().replace(/^<|>$/g, '')}>` : '';
}

/** An HTML part as text: tags and the common entities out, line breaks where the layout breaks lines. */
export function htmlAsText(part: MailPart): string {
	if (part.contentType !== 'text/html') return part.text;
	return part.text
		.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
		.replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d)[^>]*>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&');
}
