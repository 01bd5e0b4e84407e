import { headerParameter, headerValue, mediaType, readHeaderFields, type HeaderField, type MailPart, type ReceivedMail } from './receivedMail';

/** Nesting deeper than this is not followed: no report is built that way, and a hostile mail cannot make the node recurse without end. */
const MAX_DEPTH = 8;

/**
 * Reads a raw message (RFC 822 / .eml): its header fields and the decoded text of its parts.
 * A report is small and made of text parts, so this is all the MIME a bounce needs: multipart
 * bodies split by their boundary, base64 and quoted-printable undone, the charset applied.
 */
export function readRawMail(raw: Buffer): ReceivedMail {
	const { headers, body } = readHeaderFields(raw.toString('latin1'));
	const parts: MailPart[] = [];
	collectParts(headers, body, parts, 0);
	return { headers, parts };
}

function collectParts(headers: HeaderField[], body: string, parts: MailPart[], depth: number): void {
	const contentTypeValue = headerValue(headers, 'content-type') || 'text/plain';
	const contentType = mediaType(contentTypeValue);
	const boundary = headerParameter(contentTypeValue, 'boundary');
	if (contentType.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
		for (const section of splitMultipart(body, boundary)) {
			const part = readHeaderFields(section);
			collectParts(part.headers, part.body, parts, depth + 1);
		}
		return;
	}
	const bytes = decodeTransfer(body, headerValue(headers, 'content-transfer-encoding'));
	parts.push({ contentType, text: decodeCharset(bytes, headerParameter(contentTypeValue, 'charset')) });
}

/** The sections between `--boundary` lines, without the preamble and the epilogue. */
function splitMultipart(body: string, boundary: string): string[] {
	const lines = body.split(/\r?\n/);
	const sections: string[] = [];
	let current: string[] | undefined;
	for (const line of lines) {
		const trimmed = line.trimEnd();
		if (trimmed === `--${boundary}--`) break;
		if (trimmed === `--${boundary}`) {
			if (current) sections.push(current.join('\n'));
			current = [];
			continue;
		}
		current?.push(line);
	}
	if (current) sections.push(current.join('\n'));
	return sections;
}

function decodeTransfer(body: string, encoding: string): Buffer {
	switch (encoding.trim().toLowerCase()) {
		case 'base64':
			return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
		case 'quoted-printable':
			return Buffer.from(
				body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
				'latin1',
			);
		default:
			return Buffer.from(body, 'latin1');
	}
}

/** Text in its charset; one Node cannot decode is read as UTF-8 (a report's fields are ASCII either way). */
function decodeCharset(bytes: Buffer, charset: string): string {
	try {
		return new TextDecoder(charset || 'utf-8').decode(bytes);
	} catch {
		return new TextDecoder('utf-8').decode(bytes);
	}
}
