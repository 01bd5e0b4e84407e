/**
 * A received mail as the bounce reader needs it, whatever form it came in (raw message, or n8n's
 * Email Trigger's parsed one): its own header fields and the text of its parts.
 */
export interface ReceivedMail {
	/** The mail's own header fields, names in lower case, values unfolded, in order. */
	headers: HeaderField[];
	/** Every leaf part as text, decoded; a returned message (message/rfc822) is one part, not opened. */
	parts: MailPart[];
}

export interface HeaderField {
	name: string;
	value: string;
}

export interface MailPart {
	/** Lower case, without parameters: `text/plain`, `message/delivery-status`, … */
	contentType: string;
	text: string;
}

/** The first value of a header field, or ''. */
export function headerValue(headers: HeaderField[], name: string): string {
	return headers.find((field) => field.name === name.toLowerCase())?.value ?? '';
}

/** Header fields as a message (or a text/rfc822-headers part) writes them: up to the first blank line, folds undone. */
export function readHeaderFields(text: string): { headers: HeaderField[]; body: string } {
	// A part without header fields starts with the blank line itself.
	const end = /^\r?\n|\r?\n\r?\n/.exec(text);
	const head = end ? text.slice(0, end.index) : text;
	const body = end ? text.slice(end.index + end[0].length) : '';
	const headers: HeaderField[] = [];
	for (const line of head.split(/\r?\n/)) {
		const previous = headers[headers.length - 1];
		if (/^[ \t]/.test(line) && previous) {
			previous.value = `${previous.value} ${line.trim()}`;
			continue;
		}
		const colon = line.indexOf(':');
		if (colon > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trim())) {
			headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
		}
	}
	return { headers, body };
}

/** A header value's parameter (`boundary`, `charset`, `report-type`), unquoted, or ''. */
export function headerParameter(value: string, name: string): string {
	const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(value);
	return match ? (match[1] ?? match[2]).replace(/\\(.)/g, '$1') : '';
}

/** A Content-Type value's type and subtype, lower case. */
export function mediaType(value: string): string {
	return value.split(';')[0].trim().toLowerCase();
}
