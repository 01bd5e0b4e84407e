import iconv from 'iconv-lite';

/**
 * Subject and body in the clerk's code page and transfer encoding (Divalto: "Code page du corps
 * du message", "Mettre le corps du message en base 64" or 8 bits, "Découper le champ Sujet s'il
 * est plus long que 78 caractères"). Pure functions: what they return goes into nodemailer's
 * message options as they are.
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

export type Charset = 'utf8' | 'windows1252' | 'iso88591' | 'iso885915';
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

const CHARSETS: Record<Charset, { mime: string; label: string }> = {
	utf8: { mime: 'utf-8', label: 'UTF-8' },
	windows1252: { mime: 'windows-1252', label: 'Windows-1252' },
	iso88591: { mime: 'iso-8859-1', label: 'ISO-8859-1' },
	iso885915: { mime: 'iso-8859-15', label: 'ISO-8859-15' },
};

/** The charset's name as MIME labels it (Content-Type charset=, encoded words). */
export function mimeCharsetName(charset: Charset): string {
	return CHARSETS[charset].mime;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describeCharacter(character: string): string {
	const code = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
	// Controls, spaces and half surrogate pairs would be invisible or garbled between quotes.
	return /^[\p{Cc}\p{Cf}\p{Z}\p{Cs}]$/u.test(character) ? code : `"${character}" (${code})`;
}

function representable(character: string, charset: Charset): boolean {
	if (charset === 'utf8') return !LONE_SURROGATE.test(character);
	// iconv-lite writes what the code page lacks as "?": a character is there if it comes back.
	return iconv.decode(iconv.encode(character, charset), charset) === character;
}

function unrepresentableMessage(field: string, character: string, charset: Charset): string {
	const what = describeCharacter(character);
	if (LONE_SURROGATE.test(character)) {
		return `${field}: ${what} is half of a character pair (a broken character) and cannot be written in any charset. Retype the text around it`;
	}
	const others = (Object.keys(CHARSETS) as Charset[])
		.filter((other) => other !== charset && representable(character, other))
		.map((other) => CHARSETS[other].label);
	const choice = others.length > 1 ? `${others.slice(0, -1).join(', ')} or ${others[others.length - 1]}` : others[0];
	return `${field}: ${what} cannot be written in ${CHARSETS[charset].label}. Choose ${choice}`;
}

/** A character the chosen charset does not have. Never replaced by "?" or dropped: the clerk decides. */
export class UnrepresentableCharacterError extends Error {
	constructor(
		readonly field: string,
		readonly character: string,
		readonly charset: Charset,
	) {
		super(unrepresentableMessage(field, character, charset));
		this.name = 'UnrepresentableCharacterError';
	}
}

/** The text's bytes in the charset; throws on the first character the charset does not have. */
export function encodeInCharset(text: string, charset: Charset, field: string): Buffer {
	if (charset === 'utf8') {
		const broken = LONE_SURROGATE.exec(text);
		if (broken) throw new UnrepresentableCharacterError(field, broken[0], charset);
		return Buffer.from(text, 'utf8');
	}
	const bytes = iconv.encode(text, charset);
	if (iconv.decode(bytes, charset) !== text) {
		for (const character of text) {
			if (!representable(character, charset)) throw new UnrepresentableCharacterError(field, character, charset);
		}
	}
	return bytes;
}

// ---------------------------------------------------------------------------------------------
// Subject and other unstructured headers

/** RFC 5322 2.1.1: lines SHOULD be at most 78 characters, MUST be at most 998. */
const FOLD_COLUMNS = 78;
const MAX_LINE = 998;
/** RFC 2047 2: an encoded word is at most 75 characters, a line holding one at most 76. */
const MAX_ENCODED_WORD = 75;
const ENCODED_WORD_LINE = 76;
/** The longest encoding of one character in an encoded word: 4 UTF-8 bytes as =XX=XX=XX=XX. */
const MAX_ENCODED_CHARACTER = 12;
/** RFC 2047 5(3): the characters Q may leave as they are in any header position. */
const Q_LITERAL = /^[A-Za-z0-9!*+\-/]$/;

/** The Subject header's value; see unstructuredHeader. */
export function subjectHeader(subject: string, charset: Charset, fold: boolean): string {
	return unstructuredHeader('Subject', subject, charset, fold, 'Subject');
}

/**
 * An unstructured header's value (Subject, or a clerk's own header), ready for nodemailer as
 * `headers: { Subject: { prepared: true, value } }` — and then no `subject` option, which would
 * replace it. Empty text gives '' (nodemailer then leaves the header out).
 *
 * - Printable ASCII stays as it is; when folded, lines break before a single space, so that both
 *   RFC 5322 unfolding (drop the CRLF) and the common "CRLF + blanks → one space" give the text
 *   back exactly, runs of spaces and tabs included.
 * - Anything else becomes RFC 2047 encoded words in the charset, covering the whole text: the
 *   spaces then live inside the words (as "_"), so folding between words loses nothing, and no
 *   word splits a character. Q or B, whichever makes the shorter header (ties: Q): Q for Latin
 *   text, where it stays readable in the raw message and is shorter; B for mostly non-Latin
 *   text in UTF-8, where Q would triple every byte.
 * - fold: lines of at most 78 columns ("Name: " counts on the first; lines with encoded words
 *   at most 76, RFC 2047), continued with CRLF + space. Without fold the value stays on one
 *   line unless it would pass the 998-octet limit every server enforces.
 * - Line breaks in the text become a space (a header cannot hold one); ASCII text that contains
 *   "=?" is encoded too, so that no client decodes it as an encoded word.
 */
export function unstructuredHeader(name: string, value: string, charset: Charset, fold: boolean, field: string): string {
	const text = value.replace(/\r\n|\r|\n/g, ' ');
	const limit = fold ? FOLD_COLUMNS : MAX_LINE;
	const prefix = `${name}: `.length;
	if (!/[^\x20-\x7e\t]|=\?/.test(text)) {
		const plain = foldPlain(text, limit, prefix);
		if (plain !== undefined) return plain;
	}
	const characters = Array.from(text, (character) => encodeInCharset(character, charset, field));
	const wordLimit = fold ? ENCODED_WORD_LINE : MAX_LINE;
	const q = encodedWords(characters, 'Q', charset, wordLimit, prefix);
	const b = encodedWords(characters, 'B', charset, wordLimit, prefix);
	return b.length < q.length ? b : q;
}

/** ASCII text folded before single spaces; undefined when some line would pass 998 octets. */
function foldPlain(text: string, limit: number, prefix: number): string | undefined {
	const lines: string[] = [];
	let start = 0;
	let column = prefix;
	const blank = (i: number) => text[i] === ' ' || text[i] === '\t';
	while (column + text.length - start > limit) {
		// A fold point: a space with text before it on the line and no blank after it.
		let at = -1;
		let textBefore = !blank(start);
		for (let i = start + 1; i < text.length - 1; i++) {
			const fits = column + i - start <= limit;
			if (!fits && at >= 0) break;
			if (text[i] === ' ' && textBefore && !blank(i + 1)) {
				at = i;
				if (!fits) break;
			}
			if (!blank(i)) textBefore = true;
		}
		if (at < 0) break;
		lines.push(text.slice(start, at));
		start = at;
		column = 0;
	}
	lines.push(text.slice(start));
	if (lines.some((line, i) => (i === 0 ? prefix : 0) + line.length > MAX_LINE)) return undefined;
	return lines.join('\r\n');
}

function qEncode(bytes: Buffer): string {
	let out = '';
	for (const byte of bytes) {
		const character = String.fromCharCode(byte);
		if (byte === 0x20) out += '_';
		else if (Q_LITERAL.test(character)) out += character;
		else out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return out;
}

/** Encoded words covering every character, each whole character in one word, packed into lines. */
function encodedWords(characters: Buffer[], encoding: 'Q' | 'B', charset: Charset, limit: number, headerPrefix: number): string {
	const prefix = `=?${CHARSETS[charset].mime}?${encoding}?`;
	const overhead = prefix.length + '?='.length;
	let out = '';
	let column = headerPrefix;
	let next = 0;
	while (next < characters.length) {
		const first = next === 0;
		let room = Math.min(MAX_ENCODED_WORD, limit - column - (first ? 0 : 1));
		if (room < overhead + MAX_ENCODED_CHARACTER) {
			out += '\r\n';
			column = 0;
			room = Math.min(MAX_ENCODED_WORD, limit - 1);
		}
		const capacity = room - overhead;
		let payload = '';
		if (encoding === 'Q') {
			while (next < characters.length) {
				const piece = qEncode(characters[next]);
				if (payload.length + piece.length > capacity) break;
				payload += piece;
				next++;
			}
		} else {
			const taken: Buffer[] = [];
			let size = 0;
			while (next < characters.length && Math.ceil((size + characters[next].length) / 3) * 4 <= capacity) {
				size += characters[next].length;
				taken.push(characters[next++]);
			}
			payload = Buffer.concat(taken).toString('base64');
		}
		const word = `${prefix}${payload}?=`;
		const separator = first && column === headerPrefix ? '' : ' ';
		out += separator + word;
		column += separator.length + word.length;
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Body

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
	const contentType = `${MEDIA_TYPES[kind]}; charset=${CHARSETS[charset].mime}`;
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
