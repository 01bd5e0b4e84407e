import { createHash } from 'node:crypto';

import type { IExecuteFunctions } from 'n8n-workflow';

import { encryptPdf } from './encryptPdf';
import type { MailRequest } from './mailRequest';

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
const PROPERTY_NAME = /^[\p{L}\p{N}_.-]+$/u;

/** The Attachments parameter is not a list of property names: a configuration error. */
export class PropertyListError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PropertyListError';
	}
}

/** Reads "data, payslip" into property names; throws on a list a clerk mistyped. */
export function parsePropertyList(text: string, field = 'Attachments'): string[] {
	if (!text.trim()) return [];
	const names = text.split(',').map((name) => name.trim());
	const bad = names.find((name) => !PROPERTY_NAME.test(name));
	if (bad !== undefined) {
		throw new PropertyListError(
			`${field}: "${text}" is not a comma-separated list of binary property names` +
				(bad ? ` ("${bad}" is not a property name)` : ' (an entry is empty)'),
		);
	}
	return names;
}

/**
 * Reads an item's attachments and inline images through n8n's binary helpers, so the filesystem
 * and S3 binary modes work, one item at a time: a run never holds more than the items being
 * sent. With a PDF password, every PDF attachment is encrypted here, before anything is sent.
 */
export async function loadAttachments(
	context: IExecuteFunctions,
	request: MailRequest,
	{ withDigests = false } = {},
): Promise<Attachment[]> {
	const { itemIndex, attachmentProperties, inlineImageProperties, pdfPassword } = request;
	const attachments: Attachment[] = [];
	for (const property of attachmentProperties) {
		const file = await readFile(context, itemIndex, property, withDigests);
		attachments.push(pdfPassword && file.isPdf ? { ...file.attachment, content: await encrypted(file, pdfPassword) } : file.attachment);
	}
	for (const property of inlineImageProperties) {
		const { attachment } = await readFile(context, itemIndex, property, withDigests);
		attachments.push({ ...attachment, cid: property, contentDisposition: 'inline' });
	}
	return attachments;
}

interface ReadFile {
	attachment: Attachment;
	property: string;
	isPdf: boolean;
}

async function readFile(
	context: IExecuteFunctions,
	itemIndex: number,
	property: string,
	withDigest: boolean,
): Promise<ReadFile> {
	const meta = context.getInputData()[itemIndex]?.binary?.[property];
	if (!meta) {
		const present = Object.keys(context.getInputData()[itemIndex]?.binary ?? {});
		throw new AttachmentError(
			`The item has no binary property "${property}" to attach` +
				(present.length ? ` (it has: ${present.join(', ')})` : ' (it has no binary data at all)') +
				'. Check that the payslip PDF was read for this employee',
		);
	}
	const content = await context.helpers.getBinaryDataBuffer(itemIndex, property);
	const filename = meta.fileName ?? `${property}${meta.fileExtension ? `.${meta.fileExtension}` : ''}`;
	if (content.length === 0) {
		throw new AttachmentError(`The file "${filename}" in "${property}" is empty`);
	}
	const contentType = meta.mimeType || 'application/octet-stream';
	const isPdf = /\.pdf$/i.test(filename) || contentType.toLowerCase() === 'application/pdf';
	if (isPdf && !content.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
		throw new AttachmentError(
			`The file "${filename}" in "${property}" is not a PDF (it does not start with %PDF-). ` +
				'Check the payroll export for this employee',
		);
	}
	const digest = withDigest ? createHash('sha256').update(content).digest('hex') : undefined;
	return { attachment: { filename, contentType, content, digest }, property, isPdf };
}

async function encrypted(file: ReadFile, password: string): Promise<Buffer> {
	const { filename, content } = file.attachment;
	return encryptPdf(content, password).catch((error: Error) => {
		throw new AttachmentError(`The PDF "${filename}" in "${file.property}" could not be encrypted: ${error.message}`);
	});
}
