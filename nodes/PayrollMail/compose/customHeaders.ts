import { ContentError } from './contentError';

/** A header the clerk added to every mail, e.g. X-Payroll-Period: 2026-11. */
export interface CustomHeader {
	name: string;
	value: string;
}

// RFC 5322 field names: printable ASCII without the colon.
const FIELD_NAME = /^[!-9;-~]+$/;
// The node sets these itself; a clerk's own value would break addressing or the archive copy.
const OWN_HEADERS = new Set([
	'from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'message-id', 'date', 'mime-version',
	'content-type', 'content-transfer-encoding', 'sender', 'return-path', 'x-sender', 'x-receiver',
]);

/** Checks the clerk's headers; a line break in a value would inject a header, so it is refused. */
export function checkCustomHeaders(headers: CustomHeader[]): CustomHeader[] {
	return headers.map(({ name, value }) => {
		const trimmed = name.trim();
		if (!FIELD_NAME.test(trimmed)) {
			throw new ContentError(`Header name "${trimmed}" is not allowed: use letters, digits and dashes, e.g. X-Payroll-Period`);
		}
		if (OWN_HEADERS.has(trimmed.toLowerCase())) {
			throw new ContentError(`Header "${trimmed}" is set by the node itself and cannot be added`);
		}
		if (/[\r\n]/.test(value)) {
			throw new ContentError(`Header "${trimmed}": the value contains a line break, which is not allowed in a header`);
		}
		return { name: trimmed, value };
	});
}
