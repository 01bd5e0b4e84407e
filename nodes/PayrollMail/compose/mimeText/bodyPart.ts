import { encodeInCharset, mimeCharsetName, type Charset } from './charset';
import { MAX_LINE } from './headerText';

/**
 * The body in the clerk's code page and transfer encoding (Divalto: "Code page du corps du
 * message", "Mettre le corps du message en base 64" or 8 bits). Pure functions: what they return
 * goes into nodemailer's message options as they are.
 *
 * What nodemailer 10.6 does with body options, and why the parts look the way they do:
 * - `text` and `html` always get `charset=utf-8`: MailComposer overwrites the contentType of a
 *   `text`/`html` content object. A body in another charset must go in `alternatives`, which keep
 *   their contentType (a `text/html` alternative is still found for cid: images).
 * - For a text/* part nodemailer honours Content-Transfer-Encoding `base64` and
 *   `quoted-printable` only; `8bit` is silently replaced by quoted-printable or base64. An 8-bit
 *   part is therefore a prepared `raw` MIME part, which nodemailer writes as it is.
 * - A `raw` node that is the message's only node is written as the whole message, From, To and
 *   Subject included (they are lost). An eightBit part must sit inside a multipart message: a
 *   payslip attachment, or text and HTML together. See `bodyPart`.
 * - A string content is written in UTF-8, a Buffer as it is: the bytes are made here.
 */

export type TransferEncoding = 'auto' | 'base64' | 'quotedPrintable' | 'eightBit';
export type BodyKind = 'plain' | 'html' | 'rtf';

/**
 * One body part, in the shape of a nodemailer `alternatives` entry (never `text`/`html`, whose
 * charset nodemailer forces to UTF-8). Either `content` (nodemailer applies the transfer
 * encoding) or `raw` (eightBit: the whole part, headers included, written unchanged).
 */
export interface BodyPart {
	/** e.g. 'text/plain; charset=windows-1252'; set on raw parts too, so nodemailer still finds the HTML part for cid: images */
	contentType: string;
	/** The body's bytes in the charset; an ASCII-only body is a string so that `auto` can pick 7bit */
	content?: Buffer | string;
	/** Absent for `auto`: nodemailer chooses (7bit, quoted-printable or base64) */
	contentTransferEncoding?: 'base64' | 'quoted-printable';
	/** eightBit: the complete MIME part (headers, blank line, 8-bit body) */
	raw?: Buffer;
	/** RTF only: the name mail clients give the part, see RTF_FILENAME */
	filename?: string;
	/** RTF only: Content-Disposition inline */
	headers?: Record<string, string>;
}

const MEDIA_TYPES: Record<BodyKind, string> = { plain: 'text/plain', html: 'text/html', rtf: 'text/rtf' };

/**
 * RTF as a body. No common mail client renders a MIME text/rtf part in the reading pane
 * (Outlook's own RTF bodies travel as TNEF, winmail.dat; Thunderbird and Gmail cannot show RTF),
 * and a multipart/alternative with a plain text we made up from the RTF would put words in the
 * clerk's mouth. So for emailFormat rtf the RTF is the message's only body: a text/rtf part,
 * marked inline (it is the message, not an enclosure) and named with an .rtf extension, so that
 * a client that lists it as an attachment opens it in Word, WordPad or TextEdit with a click
 * instead of offering "noname" or "ATT00001.bin".
 */
export const RTF_FILENAME = 'message.rtf';

/**
 * One body part in the charset and transfer encoding, for nodemailer's `alternatives` (in the
 * order plain, html: clients show the last one they can). `field` names the parameter in errors.
 *
 * - Line breaks become CRLF, the canonical form of text (RFC 2046 4.1.1): a bare LF in a mail
 *   is refused by some servers, and 8bit requires CRLF.
 * - auto: nodemailer chooses — 7bit for ASCII text with short lines, quoted-printable for mostly
 *   Latin text, base64 otherwise — always over the bytes in the charset.
 * - eightBit: a `raw` part with Content-Transfer-Encoding 8bit and the bytes as they are. It must
 *   not be the message's only node (nodemailer would write it as the whole message, headers
 *   lost): use it with an attachment or next to another body part. A body that 8bit cannot carry
 *   (a line over 998 octets, or a NUL) goes quoted-printable instead: same text, still readable.
 * - rtf: the field's text is the RTF source (ASCII, with \'xx escapes in RTF's own code page); it
 *   is only turned into bytes in the charset, never interpreted. See RTF_FILENAME.
 *
 * Throws UnrepresentableCharacterError for a character the charset lacks.
 */
export function bodyPart(
	text: string,
	kind: BodyKind,
	charset: Charset,
	transferEncoding: TransferEncoding,
	field: string,
): BodyPart {
	const canonical = text.replace(/\r\n|\r|\n/g, '\r\n');
	const bytes = encodeInCharset(canonical, charset, field);
	const contentType = `${MEDIA_TYPES[kind]}; charset=${mimeCharsetName(charset)}`;
	const rtf: Pick<BodyPart, 'filename' | 'headers'> =
		kind === 'rtf' ? { filename: RTF_FILENAME, headers: { 'Content-Disposition': 'inline' } } : {};
	switch (transferEncoding) {
		case 'eightBit':
			if (fitsEightBit(bytes)) return { contentType, raw: eightBitPart(kind, contentType, bytes) };
			return { contentType, content: bytes, contentTransferEncoding: 'quoted-printable', ...rtf };
		case 'base64':
			return { contentType, content: bytes, contentTransferEncoding: 'base64', ...rtf };
		case 'quotedPrintable':
			return { contentType, content: bytes, contentTransferEncoding: 'quoted-printable', ...rtf };
		case 'auto': {
			// As a string (the same bytes, it is ASCII), nodemailer can see that 7bit will do.
			const ascii = !/[\u0080-\uffff]/.test(canonical);
			return { contentType, content: ascii ? canonical : bytes, ...rtf };
		}
	}
}

/** RFC 2045 2.8: 8bit data has lines of at most 998 octets, CR and LF only as CRLF, and no NUL. */
function fitsEightBit(bytes: Buffer): boolean {
	let lineStart = 0;
	for (let i = 0; i <= bytes.length; i++) {
		if (i === bytes.length || bytes[i] === 0x0d) {
			if (i - lineStart > MAX_LINE) return false;
			lineStart = i + 2;
		} else if (bytes[i] === 0x00) {
			return false;
		}
	}
	return true;
}

function eightBitPart(kind: BodyKind, contentType: string, bytes: Buffer): Buffer {
	const headers = [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: 8bit'];
	if (kind === 'rtf') headers.push(`Content-Disposition: inline; filename=${RTF_FILENAME}`);
	return Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'ascii'), bytes]);
}

/**
 * Whether a message built with these settings needs the server to offer 8BITMIME (RFC 6152):
 * only an 8-bit body does; headers are always 7-bit (encoded words). When true, declare it with
 * nodemailer's `envelope: { ..., use8BitMime: true }` (BODY=8BITMIME) — nodemailer sends the
 * message anyway when the server does not offer 8BITMIME, so that check is the caller's.
 */
export function needs8BitMime(transferEncoding: TransferEncoding): boolean {
	return transferEncoding === 'eightBit';
}
