import { createHash } from 'node:crypto';

import { encryptPdf } from './encryptPdf';

/** A file as an item holds it, read from one of its binary properties. */
export interface BinaryFile {
	property: string;
	filename: string;
	contentType: string;
	content: Buffer;
}

export interface Attachment {
	filename: string;
	contentType: string;
	content: Buffer;
	/**
	 * SHA-256 of the file as the item holds it, before any encryption: the same file, the same
	 * digest. Taken only when asked for (Skip Already Sent), as it costs a pass over every byte.
	 */
	digest?: string;
	/** Set for an inline image: the HTML body shows it as `cid:<cid>`. */
	cid?: string;
	contentDisposition?: 'inline';
}

/** A binary property that cannot be attached as it is; the message tells the clerk which and why. */
export class AttachmentError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'AttachmentError';
	}
}

const PDF_MAGIC = Buffer.from('%PDF-');

export interface AttachmentRules {
	/** Encrypt every PDF with this password (not inline images). */
	pdfPassword?: string;
	/** Take each file's SHA-256. */
	withDigest: boolean;
	/** Embed as an inline image under its property name. */
	inline?: boolean;
}

/**
 * Checks a file and makes it an attachment: not empty, a PDF (by name or type) that really is
 * one, encrypted with the PDF password when there is one, digested when asked.
 */
export async function prepareAttachment(file: BinaryFile, { pdfPassword, withDigest, inline }: AttachmentRules): Promise<Attachment> {
	const { property, filename, contentType, content } = file;
	if (content.length === 0) {
		throw new AttachmentError(`The file "${filename}" in "${property}" is empty`);
	}
	const isPdf = /\.pdf$/i.test(filename) || contentType.toLowerCase() === 'application/pdf';
	if (isPdf && !content.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
		throw new AttachmentError(
			`The file "${filename}" in "${property}" is not a PDF (it does not start with %PDF-). ` +
				'Check the payroll export for this employee',
		);
	}
	const digest = withDigest ? createHash('sha256').update(content).digest('hex') : undefined;
	const attachment: Attachment = { filename, contentType, content, digest };
	if (inline) return { ...attachment, cid: property, contentDisposition: 'inline' };
	if (!pdfPassword || !isPdf) return attachment;
	const encrypted = await encryptPdf(content, pdfPassword).catch((error: Error) => {
		throw new AttachmentError(`The PDF "${filename}" in "${property}" could not be encrypted: ${error.message}`);
	});
	return { ...attachment, content: encrypted };
}
